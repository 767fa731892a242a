using System.Globalization;
using System.Text.Json.Nodes;
using Loom.Kernels;
using Loom.Recipes;
using Loom.Serialization;
using Loom.Tests.Cli;
using Loom.Tests.Core;
using Loom.Training;
using Xunit;

namespace Loom.Tests.Recipes;

/// <summary>
/// <see cref="Recipe"/> is what <c>loom train</c> runs: the library call and the command give the same figures, and a
/// checkpointed run resumed through the library ends where the uninterrupted run ends.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed class RecipeTests
{
    private const string TinySpec = """
        { "name": "tiny", "input_shape": [1, 28, 28], "classes": 10, "normalize": { "mean": [0.286], "std": [0.353] },
          "layers": [ { "type": "Flatten" }, { "type": "Linear", "in_features": 784, "out_features": 10 } ] }
        """;

    [Fact]
    public void TheCommandAndTheLibraryRunTheSameRecipe()
    {
        using var dir = new TempFolder();
        var cli = LoomProcess.Run(dir.Path, "train", "--model", "gru-classifier", "--data", "spam-assassin-mini", "--epochs", "1", "--threads", "2", "--json");
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        var expected = JsonNode.Parse(cli.Stdout)!;

        int threads = Threading.Threads;
        try
        {
            Threading.Threads = 2;
            var run = Recipe.For("gru-classifier", "spam-assassin-mini", new TrainingSettings { Epochs = 1 });
            var result = run.Fit();
            Assert.Equal(expected["accuracy"]!.GetValue<double>(), Math.Round(result.Final.ValidationAccuracy, 6));
            Assert.Equal(expected["loss"]!.GetValue<double>(), Math.Round(result.Final.ValidationLoss, 6));
            Assert.Equal(expected["train_loss"]!.GetValue<double>(), Math.Round(result.Final.TrainLoss, 6));
            Assert.Equal(expected["parameters"]!.GetValue<long>(), run.Model.ParameterCount());
        }
        finally { Threading.Threads = threads; }
    }

    [Theory]
    [InlineData("step", null)]
    [InlineData("cosine", 0.4f)] // a per-batch schedule: the resumed run seeks to the batch it stopped at
    public void AResumedCheckpointEndsWhereTheUninterruptedRunEnds(string schedule, float? warmup)
    {
        using var dir = new TempFolder();
        string spec = dir.File("tiny.json"), checkpoint = dir.File("tiny.ckpt.safetensors");
        File.WriteAllText(spec, TinySpec);
        var settings = new TrainingSettings { Epochs = 3, Schedule = schedule, Warmup = warmup, Optimizer = "sgd", Momentum = 0.5f, BatchSize = 100, Seed = 4 };

        var whole = Recipe.For(spec, "fashion-mnist-mini", settings);
        whole.Fit();

        // Stop after one epoch (a checkpoint after each), then resume to the same total of three.
        var first = Recipe.For(spec, "fashion-mnist-mini", settings);
        first.Trainer.EpochEnded += _ => first.Trainer.StopRequested = true;
        first.Fit(checkpoint);
        var resumed = Recipe.Resume(ModelFile.Load(checkpoint), "fashion-mnist-mini", settings);
        Assert.Single(resumed.History);
        var result = resumed.Fit(checkpoint);

        Assert.Equal([1, 2, 3], result.History.Select(e => e.Epoch));
        foreach (var ((name, a), (_, b)) in whole.Model.StateDict().Zip(resumed.Model.StateDict()))
            Assert.True(a.Data.AsSpan().SequenceEqual(b.Data), $"{name} differs after resuming");
        // The last checkpoint holds all three epochs' history.
        Assert.Equal(3, ModelFile.Load(checkpoint).Training!.CompletedEpochs);
        Assert.Equal(3, Loom.Training.HistoryJson.Parse(ModelFile.Load(checkpoint).Training!.HistoryJson).Count);
        Assert.Equal("sgd", ModelFile.Load(checkpoint).Training!.Options["optimizer"]);
        Assert.Equal(0.5f, float.Parse(ModelFile.Load(checkpoint).Training!.Options["momentum"], CultureInfo.InvariantCulture));
        Assert.Equal(TrainingSettings.Show(warmup), ModelFile.Load(checkpoint).Training!.Options["warmup"]);
    }

    [Fact]
    public void SettingsNoRunCanUseAreRejectedByName()
    {
        Assert.Contains("learning rate", Assert.Throws<ArgumentException>(() => new TrainingSettings { LearningRate = 0 }.Validate()).Message);
        Assert.Contains("Unknown optimizer 'adagrad'", Assert.Throws<ArgumentException>(() => new TrainingSettings { Optimizer = "adagrad" }.Validate()).Message);
        Assert.Contains("validation split", Assert.Throws<ArgumentException>(() => new TrainingSettings { ValidationSplit = 1 }.Validate()).Message);
        Assert.Contains("warm-up must be a fraction of the run above 0 and below 1, got 1", Assert.Throws<ArgumentException>(() =>
            new TrainingSettings { Warmup = 1f }.Validate()).Message);
        Assert.Contains("applies to the cosine and onecycle schedules, not to 'step'", Assert.Throws<ArgumentException>(() =>
            new TrainingSettings { Schedule = "step", Warmup = 0.1f }.Validate()).Message);
        var e = Assert.Throws<ArgumentException>(() => Recipe.For("char-lstm", "fashion-mnist-mini"));
        Assert.Contains("reads text", e.Message);
        Assert.Contains("Unknown monitored metric 'val_f1' (known: val_loss, val_accuracy, val_cer, val_wer)",
            Assert.Throws<ArgumentException>(() => new TrainingSettings { Monitor = "val_f1" }.Validate()).Message);
        // Error rates are a transcriber's: a classifier reports none, so monitoring one could never choose an epoch.
        Assert.Contains("needs a speech model", Assert.Throws<ArgumentException>(() =>
            Recipe.For("lenet", "fashion-mnist-mini", new TrainingSettings { Monitor = "val_wer", ValidationSplit = 0.2 })).Message);
    }

    [Fact]
    public void TheKeptEpochIsTheBestByTheMonitoredMetric()
    {
        // A speech run's loss and WER can part: the loss lowest at epoch 2, the WER at epoch 3.
        EpochResult Epoch(int n, double loss, double wer, double accuracy) =>
            new(n, 1, 0, loss, accuracy, 1e-3f, 1, 1) { ValidationCer = wer / 3, ValidationWer = wer };
        EpochResult[] epochs = [Epoch(1, 0.30, 0.20, 0.5), Epoch(2, 0.18, 0.135, 0.7), Epoch(3, 0.19, 0.102, 0.6)];
        foreach (var (monitor, kept) in new[] { ("val_loss", 2), ("val_wer", 3), ("val_cer", 3), ("val_accuracy", 2) })
        {
            var best = new RestoreBestWeights(monitor);
            var model = new Loom.Nn.Linear(2, 2);
            var trainer = new Trainer(model, new Loom.Optim.Sgd(model.Parameters(), 0.1f), Objective.Classification());
            foreach (var epoch in epochs) best.OnEpochEnd(trainer, epoch);
            Assert.True(kept == best.BestEpoch, $"{monitor}: kept epoch {best.BestEpoch}, expected {kept}");
        }
    }
}
