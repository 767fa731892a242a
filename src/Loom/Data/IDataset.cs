namespace Loom.Data;

/// <summary>
/// A finite, indexable set of samples of one shape, each with a target: a class label (the default,
/// <see cref="TargetShape"/> = ()) or one label per step, (T), for tagging and language modelling.
/// </summary>
public interface IDataset
{
    /// <summary>Number of samples.</summary>
    int Count { get; }

    /// <summary>Shape of one sample's features, e.g. (1, 28, 28), or (T) token ids.</summary>
    int[] SampleShape { get; }

    /// <summary>Shape of one sample's target: () for a class index, (T) for per-step class indices.</summary>
    int[] TargetShape => [];

    /// <summary>Number of classes (targets are 0..ClassCount−1, or <see cref="IgnoreTarget"/> for steps that do not count).</summary>
    int ClassCount { get; }

    /// <summary>
    /// Copies sample <paramref name="index"/>'s features into <paramref name="features"/> (length = product of
    /// <see cref="SampleShape"/>) and its target into <paramref name="target"/> (length = product of <see cref="TargetShape"/>).
    /// </summary>
    void Get(int index, Span<float> features, Span<float> target);

    /// <summary>The target value of padded steps: losses and metrics skip it (PyTorch's ignore_index).</summary>
    const int IgnoreTarget = -100;
}

/// <summary>
/// A data set of variable-length sequences stored padded to <see cref="IDataset.SampleShape"/>[0] steps.
/// The <see cref="DataLoader"/> trims each batch to its longest member and, when shuffling, groups
/// samples of similar length so that little time goes into padding.
/// </summary>
public interface IVariableLengthDataset : IDataset
{
    /// <summary>Valid steps of sample <paramref name="index"/> (1..SampleShape[0]); steps after it are padding.</summary>
    int LengthOf(int index);
}

public static class DatasetExtensions
{
    /// <summary>Copies the features of a sample with a single class label and returns the label.</summary>
    public static int GetLabeled(this IDataset data, int index, Span<float> features)
    {
        if (data.TargetShape.Length != 0)
            throw new InvalidOperationException($"The data set has per-step targets of shape {ShapeUtil.Format(data.TargetShape)}, not one label per sample.");
        Span<float> label = stackalloc float[1];
        data.Get(index, features, label);
        return (int)label[0];
    }
}
