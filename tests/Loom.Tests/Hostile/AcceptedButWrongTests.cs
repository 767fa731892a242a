using Loom.Models;
using Loom.Nn;
using Loom.Serialization;
using Loom.Training;
using Xunit;

namespace Loom.Tests.Hostile;

/// <summary>
/// Files that parsed but were wrong (issue 17, "accepted but wrong"): a model with NaN or infinite weights, and a
/// checkpoint whose training state no run can reach, are errors at load; and inference is safe from many threads.
/// </summary>
public sealed class AcceptedButWrongTests : IDisposable
{
    private readonly HostileInputTests _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void AModelWithNonFiniteWeightsIsRejectedAtLoad(float bad)
    {
        string path = _files.SaveCheckpoint(_ => { }, tensors =>
        {
            var w = tensors.Single(t => t.Name == "0.weight").Value;
            w.Data[5] = bad;
        });
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.Contains("tensor '0.weight'", e.Message);
        Assert.Contains("element 5", e.Message);
        // A caller who wants to inspect such a file says so.
        var loaded = ModelFile.Load(path, IO.ReaderLimits.Default with { RejectNonFiniteWeights = false });
        Assert.Equal(bad, loaded.Model.StateDict().Single(t => t.Name == "0.weight").Value.Data[5]);
    }

    [Theory]
    [InlineData("loom.epoch", "-1", "epoch is -1")]
    [InlineData("loom.optimizer.lr", "NaN", "learning rate is NaN")]
    [InlineData("loom.optimizer.lr", "-0.5", "learning rate is -0.5")]
    [InlineData("loom.optimizer.step", "-3", "optimizer step is -3")]
    [InlineData("loom.scheduler.step", "-3", "scheduler step is -3")]
    [InlineData("loom.rng", "7", "generator state has 1 words; expected 4")]
    [InlineData("loom.rng", "0,0,0,0", "all zeros")]
    public void ACheckpointWithAnImpossibleTrainingStateIsRejectedAtLoad(string key, string value, string expected)
    {
        string path = _files.SaveCheckpoint(m => m[key] = value);
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.Contains("impossible training state", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void AHundredThousandWordGeneratorStateIsRejected()
    {
        string path = _files.SaveCheckpoint(m => m["loom.rng"] = string.Join(",", Enumerable.Range(1, 100_000)));
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.Contains("generator state has 100000 words; expected 4", e.Message);
    }

    [Fact]
    public void AValidCheckpointStillLoadsInEvalMode()
    {
        var loaded = ModelFile.Load(_files.SaveCheckpoint(_ => { }));
        Assert.Equal(2, loaded.Training!.CompletedEpochs);
        // Decided: a loaded model is for inference, so it comes back in eval mode (the trainer switches to training).
        Assert.False(loaded.Model.Training);
        Assert.All(loaded.Model.NamedModules(), m => Assert.False(m.Module.Training));
    }

    /// <summary>
    /// fashion-cnn (BatchNorm and Dropout, whose outputs depend on the mode) from 4 threads at once: every output
    /// equals the sequential one bit for bit, and no BatchNorm statistic moves — with the model in eval mode (lock-free)
    /// and in training mode (where each call switches the mode under the model's lock and restores it).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PredictProbabilitiesFromFourThreadsEqualsSequentialCalls(bool trainingMode)
    {
        Rng.ManualSeed(3);
        var model = ModelZoo.FashionCnn().Model;
        var rng = new Rng(5);
        // Move the BatchNorm statistics off their initial values so a training-mode pass would show.
        model.Train();
        for (int i = 0; i < 2; i++) model.Call(Tensor.Normal(0.5f, 1f, [8, 1, 28, 28], rng));
        model.Train(trainingMode);
        var inputs = Enumerable.Range(0, 16).Select(_ => Tensor.Normal(0.3f, 1f, [2, 1, 28, 28], rng)).ToArray();
        var expected = inputs.Select(x => Evaluator.PredictProbabilities(model, x).Data).ToArray();
        var stats = Statistics(model);

        const int Threads = 4, CallsPerThread = 60;
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var workers = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            for (int c = 0; c < CallsPerThread; c++)
            {
                int k = (t * 7 + c) % inputs.Length;
                var p = Evaluator.PredictProbabilities(model, inputs[k]).Data;
                if (!p.AsSpan().SequenceEqual(expected[k])) failures.Add($"thread {t} call {c} input {k}");
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        Assert.Empty(failures);
        Assert.Equal(trainingMode, model.Training);
        Assert.Equal(stats, Statistics(model));
    }

    private static float[] Statistics(Module model) =>
        [.. model.StateDict().Where(t => t.Name.Contains("running_", StringComparison.Ordinal)).SelectMany(t => t.Value.Data)];
}
