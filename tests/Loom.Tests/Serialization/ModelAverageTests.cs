using Loom.Nn;
using Loom.Serialization;
using Loom.Tests.Cli;
using Xunit;

namespace Loom.Tests.Serialization;

/// <summary>
/// Checkpoint averaging: the mean of three saved models is the element-wise mean of every weight and batch-norm
/// statistic (the batch count is the last file's), a checkpoint averages like a model, the averaged model saves and
/// reloads through <c>loom average</c>, and models of different architectures or fewer than two files are refused
/// with a message naming the files.
/// </summary>
public sealed class ModelAverageTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private static ModelSpec Spec(int hidden) => ModelSpec.Parse($$"""
        {"name": "avg", "input_shape": [2, 4, 4], "classes": 3,
         "layers": [
           {"type": "Conv2d", "in_channels": 2, "out_channels": 3, "kernel_size": 3, "padding": 1},
           {"type": "BatchNorm2d", "num_features": 3},
           {"type": "ReLU"},
           {"type": "Flatten"},
           {"type": "Linear", "in_features": 48, "out_features": {{hidden}}},
           {"type": "Linear", "in_features": {{hidden}}, "out_features": 3}
         ]}
        """, "avg");

    /// <summary>A model with random weights whose batch-norm statistics moved in <paramref name="passes"/> training passes, saved to <paramref name="name"/>.</summary>
    private (string Path, Sequential Model) Saved(string name, int seed, int passes, int hidden = 5)
    {
        var spec = Spec(hidden);
        var rng = new Rng((ulong)seed);
        var model = spec.Build();
        foreach (var p in model.Parameters()) rng.FillNormal(p.Data, 0f, 0.5f);
        model.Train();
        for (int i = 0; i < passes; i++) model.Forward(Tensor.Normal(seed, 1f, [4, 2, 4, 4], rng));
        string path = _dir.File(name);
        ModelFile.Save(path, model, spec);
        return (path, model);
    }

    [Fact]
    public void TheMeanOfThreeModelsIsTheMeanOfEveryWeightAndStatistic()
    {
        var models = new[] { Saved("a.safetensors", 1, 2), Saved("b.safetensors", 2, 3), Saved("c.safetensors", 3, 4) };
        var averaged = ModelAverage.Average(models.Select(m => m.Path).ToArray());

        var states = models.Select(m => m.Model.StateDict()).ToArray();
        var result = averaged.Model.StateDict();
        Assert.Equal(states[0].Select(s => s.Name), result.Select(s => s.Name));
        for (int i = 0; i < result.Count; i++)
        {
            var (name, value) = result[i];
            for (int j = 0; j < value.Size; j++)
            {
                float expected = name.EndsWith("num_batches_tracked", StringComparison.Ordinal)
                    ? states[2][i].Value.Data[j]
                    : (float)(((double)states[0][i].Value.Data[j] + states[1][i].Value.Data[j] + states[2][i].Value.Data[j]) / 3);
                Assert.True(expected == value.Data[j], $"{name}[{j}]: {value.Data[j]}, expected {expected}");
            }
        }
        // Running statistics moved in every model, so their mean is not any one model's.
        int mean = result.Select(s => s.Name).ToList().IndexOf("1.running_mean");
        Assert.NotEqual(states[0][mean].Value.Data, result[mean].Value.Data);
        Assert.Equal([4f], result.Single(s => s.Name == "1.num_batches_tracked").Value.Data);
        Assert.Equal("a.safetensors, b.safetensors, c.safetensors", averaged.Metadata["loom.averaged_from"]);
        Assert.Null(averaged.Training);
    }

    [Fact]
    public void AModelAveragedWithItselfIsUnchanged()
    {
        var (path, model) = Saved("a.safetensors", 4, 2);
        var averaged = ModelAverage.Average([path, path]);
        foreach (var ((name, a), (_, b)) in model.StateDict().Zip(averaged.Model.StateDict()))
            Assert.True(a.Data.SequenceEqual(b.Data), $"{name} changed");
    }

    [Fact]
    public void ACheckpointAveragesLikeAModelAndItsOptimizerStateIsLeftOut()
    {
        var (modelPath, model) = Saved("a.safetensors", 5, 2);
        var spec = Spec(5);
        var optimizer = new Loom.Optim.Adam(model.Parameters(), 1e-3f);
        var state = new ModelFile.TrainingState("adam", 0, 1e-3f, 1, 0, [1, 2, 3, 4], new Dictionary<string, string>(), "[]");
        string checkpoint = _dir.File("a-checkpoint.safetensors");
        ModelFile.SaveCheckpoint(checkpoint, model, spec, optimizer, state);

        var averaged = ModelAverage.Average([modelPath, checkpoint]);
        foreach (var ((name, a), (_, b)) in model.StateDict().Zip(averaged.Model.StateDict()))
            Assert.True(a.Data.SequenceEqual(b.Data), $"{name} changed");
        Assert.Empty(averaged.OptimizerState);
    }

    [Fact]
    public void DifferentArchitecturesAndTooFewFilesAreRefused()
    {
        var (small, _) = Saved("small.safetensors", 6, 1, hidden: 5);
        var (wide, _) = Saved("wide.safetensors", 7, 1, hidden: 7);
        var e = Assert.Throws<InvalidDataException>(() => ModelAverage.Average([small, wide]));
        Assert.Contains("wide.safetensors", e.Message);
        Assert.Contains("small.safetensors", e.Message);
        Assert.Contains("one architecture", e.Message);
        Assert.Throws<ArgumentException>(() => ModelAverage.Average([small]));
        Assert.Throws<FileNotFoundException>(() => ModelAverage.Average([small, _dir.File("missing.safetensors")]));
    }

    [Fact]
    public void LoomAverageWritesAModelThatReloadsToTheMean()
    {
        var (a, _) = Saved("a.safetensors", 8, 2);
        var (b, _) = Saved("b.safetensors", 9, 3);
        var r = LoomProcess.Run(_dir.Path, "average", "a.safetensors", "b.safetensors", "--out", "mean.safetensors");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("the mean of 2 avg models", r.Stdout);
        var expected = ModelAverage.Average([a, b]).Model.StateDict();
        var written = ModelFile.Load(_dir.File("mean.safetensors")).Model.StateDict();
        foreach (var ((name, x), (_, y)) in expected.Zip(written))
            Assert.True(x.Data.SequenceEqual(y.Data), $"{name} differs from the library's mean");

        var one = LoomProcess.Run(_dir.Path, "average", "a.safetensors", "--out", "mean.safetensors");
        Assert.NotEqual(0, one.ExitCode);
        Assert.Contains("at least two", one.Stderr);
        Assert.DoesNotContain("   at ", one.Stderr);
        var different = LoomProcess.Run(_dir.Path, "average", "a.safetensors", "b.safetensors", Saved("w.safetensors", 1, 1, hidden: 9).Path, "--out", "m.safetensors");
        Assert.NotEqual(0, different.ExitCode);
        Assert.Contains("w.safetensors", different.Stderr);
        var onnx = LoomProcess.Run(_dir.Path, "average", "a.safetensors", "b.safetensors", "--out", "mean.onnx");
        Assert.NotEqual(0, onnx.ExitCode);
        Assert.Contains("--out must be a .safetensors file", onnx.Stderr);
        Assert.False(File.Exists(_dir.File("mean.onnx")));
    }
}
