using Loom.IO;
using Loom.Nn;

namespace Loom.Serialization;

/// <summary>
/// The element-wise mean of several saved models of one architecture: checkpoint averaging, which speech toolkits
/// apply to the last or best few epochs of a run, and the mean that PyTorch's <c>swa_utils.AveragedModel</c> keeps
/// during training. Nearby epochs of one run lie in one basin of the loss, so their mean is a model too, often a
/// smoother one than any of them; models of different runs generally are not, and averaging them is left to the
/// caller's judgement.
/// </summary>
/// <remarks>
/// Every parameter and floating-point buffer is averaged, batch-norm running statistics included (their mean
/// stands in for statistics re-measured on the averaged weights, which <c>swa_utils.update_bn</c> would compute;
/// for epochs of one annealed run the two are close). <c>num_batches_tracked</c> is a count, not a weight: the last
/// file's is kept. Optimizer state in a checkpoint is ignored; the result is a model, not a checkpoint.
/// </remarks>
public static class ModelAverage
{
    /// <summary>Loads every file of <paramref name="paths"/> and returns the first one's model holding the mean of all their weights.</summary>
    /// <exception cref="ArgumentException">Fewer than two paths.</exception>
    /// <exception cref="InvalidDataException">A file cannot be loaded, or its architecture (spec) differs from the first file's; the message names both files.</exception>
    public static ModelFile.Loaded Average(IReadOnlyList<string> paths, ReaderLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count < 2) throw new ArgumentException($"Averaging needs at least two model files; got {paths.Count}.", nameof(paths));
        var first = ModelFile.Load(paths[0], limits);
        string spec = first.Spec.ToJson();
        var target = first.Model.StateDict();
        // Sums in double: the mean of ten float32 weights then rounds once, not at every addition.
        var sums = target.Select(t => Array.ConvertAll(t.Value.Data, v => (double)v)).ToArray();
        for (int f = 1; f < paths.Count; f++)
        {
            var other = ModelFile.Load(paths[f], limits);
            if (other.Spec.ToJson() != spec)
                throw new InvalidDataException($"'{paths[f]}' holds a different model ({other.Spec.Name}, {other.Model.ParameterCount():N0} parameters) from '{paths[0]}' ({first.Spec.Name}, {first.Model.ParameterCount():N0} parameters); only models of one architecture can be averaged.");
            var state = other.Model.StateDict();
            for (int i = 0; i < target.Count; i++)
            {
                var (name, value) = state[i];
                if (IsCount(name)) { value.Data.AsSpan().CopyTo(target[i].Value.Data); continue; }
                var sum = sums[i];
                var data = value.Data;
                for (int j = 0; j < sum.Length; j++) sum[j] += data[j];
            }
        }
        for (int i = 0; i < target.Count; i++)
        {
            if (IsCount(target[i].Name)) continue;
            var data = target[i].Value.Data;
            var sum = sums[i];
            for (int j = 0; j < data.Length; j++) data[j] = (float)(sum[j] / paths.Count);
        }
        var metadata = new Dictionary<string, string>
        {
            ["loom.averaged_from"] = string.Join(", ", paths.Select(p => Path.GetFileName(p))),
        };
        return new ModelFile.Loaded(first.Model, first.Spec, metadata, null, []);
    }

    private static bool IsCount(string name) => name.EndsWith("num_batches_tracked", StringComparison.Ordinal);
}
