using System.Text.Json.Nodes;
using Loom.Serialization;
using Xunit;

namespace Loom.Tests.Cli;

/// <summary>The command's happy paths: summary, train → eval → predict, and exact resume from a checkpoint.</summary>
public sealed class CliWorkflowTests
{
    private const string TinySpec = """
        { "name": "tiny", "input_shape": [1, 28, 28], "classes": 10,
          "normalize": { "mean": [0.286], "std": [0.353] },
          "layers": [ { "type": "Conv2d", "in_channels": 1, "out_channels": 4, "kernel_size": 3, "stride": 2 },
                      { "type": "ReLU" }, { "type": "Dropout", "p": 0.2 }, { "type": "Flatten" },
                      { "type": "Linear", "in_features": 676, "out_features": 10 } ] }
        """;

    [Fact]
    public void SummaryOfATextModelWorksBeforeTraining()
    {
        using var dir = new TempFolder();
        var standIn = LoomProcess.Run(dir.Path, "summary", "--model", "char-lstm", "--vocab-size", "91");
        Assert.True(standIn.ExitCode == 0, standIn.Stderr);
        Assert.Contains("Embedding(91, 64)", standIn.Stdout);
        Assert.Contains("Total params: 358,939", standIn.Stdout);   // char-lstm's documented size for 91 characters
        var sized = LoomProcess.Run(dir.Path, "summary", "--model", "bilstm-tagger", "--data", "brown-mini");
        Assert.True(sized.ExitCode == 0, sized.Stderr);
        Assert.Contains("Model: bilstm-tagger", sized.Stdout);
        var wrong = LoomProcess.Run(dir.Path, "summary", "--model", "bilstm-tagger", "--data", "moby-dick-mini");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("is a tagger but 'moby-dick-mini' is data for a language model", wrong.Stderr);
    }

    [Fact]
    public void SummaryOfLenetCountsParametersLikePyTorch()
    {
        using var dir = new TempFolder();
        var r = LoomProcess.Run(dir.Path, "summary", "--model", "lenet");
        Assert.Equal(0, r.ExitCode);
        // Conv2d(1,32,3): 288 weights + 32 biases; Conv2d(32,64,3): 18,432 + 64; Linear(3136,128): 401,408 + 128; Linear(128,10): 1,280 + 10.
        var lines = r.Stdout.Split('\n');
        Assert.EndsWith("320", lines.Single(l => l.StartsWith("0: Conv2d", StringComparison.Ordinal)).TrimEnd());
        Assert.EndsWith("18,496", lines.Single(l => l.StartsWith("3: Conv2d", StringComparison.Ordinal)).TrimEnd());
        Assert.EndsWith("401,536", lines.Single(l => l.StartsWith("7: Linear", StringComparison.Ordinal)).TrimEnd());
        Assert.EndsWith("1,290", lines.Single(l => l.StartsWith("9: Linear", StringComparison.Ordinal)).TrimEnd());
        Assert.Contains("Total params: 421,642", r.Stdout);
    }

    [Fact]
    public void TrainedModelEvaluatesToTheAccuracyTrainingReported()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("tiny.json"), TinySpec);
        var train = LoomProcess.Run(dir.Path, "train", "--model", "tiny.json", "--epochs", "1", "--seed", "3", "--out", "tiny.safetensors", "--json");
        Assert.True(train.ExitCode == 0, train.Stderr);
        var trained = JsonNode.Parse(train.Stdout)!;
        double accuracy = trained["accuracy"]!.GetValue<double>();
        Assert.InRange(accuracy, 0.5, 1.0);
        Assert.Equal(1000, trained["samples"]!.GetValue<int>());
        Assert.True(trained["train_seconds"]!.GetValue<double>() > 0);

        var eval = LoomProcess.Run(dir.Path, "eval", "--model", "tiny.safetensors", "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        var evaluated = JsonNode.Parse(eval.Stdout)!;
        Assert.Equal(accuracy, evaluated["accuracy"]!.GetValue<double>());
        Assert.Equal(trained["loss"]!.GetValue<double>(), evaluated["loss"]!.GetValue<double>(), 1e-5);

        var predict = LoomProcess.Run(dir.Path, "predict", "--model", "tiny.safetensors", "--index", "0", "--json");
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        var p = JsonNode.Parse(predict.Stdout)!;
        Assert.InRange(p["prediction"]!.GetValue<int>(), 0, 9);
        Assert.Equal(global::Loom.Data.FashionMnist.ClassNames[p["prediction"]!.GetValue<int>()], p["class_name"]!.GetValue<string>());
    }

    [Fact]
    public void AValidationSplitKeepsTheBestEpochAndTestsOnceAtTheEnd()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("tiny.json"), TinySpec);
        var train = LoomProcess.Run(dir.Path, "train", "--model", "tiny.json", "--epochs", "2", "--seed", "3", "--validation-split", "0.2",
            "--out", "tiny.safetensors", "--json");
        Assert.True(train.ExitCode == 0, train.Stderr);
        var trained = JsonNode.Parse(train.Stdout)!;
        Assert.Equal(1200, trained["validation_samples"]!.GetValue<int>());
        int bestEpoch = trained["best_epoch"]!.GetValue<int>();
        Assert.InRange(bestEpoch, 1, 2);
        var history = trained["history"]!.AsArray();
        double bestValidationLoss = history.Min(e => e!["val_loss"]!.GetValue<double>());
        Assert.Equal(bestValidationLoss, history[bestEpoch - 1]!["val_loss"]!.GetValue<double>());
        Assert.Contains("val_loss", train.Stderr);

        // The saved model is the kept epoch's, and the test figures are measured on it.
        var eval = LoomProcess.Run(dir.Path, "eval", "--model", "tiny.safetensors", "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        Assert.Equal(trained["accuracy"]!.GetValue<double>(), JsonNode.Parse(eval.Stdout)!["accuracy"]!.GetValue<double>());
    }

    [Fact]
    public void PredictReadsAPngAndRejectsTheWrongSize()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("tiny.json"), TinySpec);
        Assert.Equal(0, LoomProcess.Run(dir.Path, "train", "--model", "tiny.json", "--epochs", "1", "--out", "tiny.safetensors").ExitCode);
        // A bright "trouser": two vertical bars.
        PngWriter.WriteGray(dir.File("ok.png"), 28, 28, (x, y) => (byte)((x is > 8 and < 13 or > 15 and < 20) && y > 3 ? 220 : 0));
        var ok = LoomProcess.Run(dir.Path, "predict", "--model", "tiny.safetensors", "--image", "ok.png");
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        Assert.Contains("ok.png", ok.Stdout);

        PngWriter.WriteGray(dir.File("small.png"), 20, 20, (x, y) => 0);
        var bad = LoomProcess.Run(dir.Path, "predict", "--model", "tiny.safetensors", "--image", "small.png");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("small.png", bad.Stderr);
        Assert.Contains("20×20", bad.Stderr);
        Assert.DoesNotContain("   at ", bad.Stderr);
    }

    [Fact]
    public void ResumingFromACheckpointReproducesAnUninterruptedRun()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("tiny.json"), TinySpec);
        string[] common = ["--model", "tiny.json", "--seed", "7", "--batch-size", "128", "--schedule", "cosine"];
        var straight = LoomProcess.Run(dir.Path, ["train", .. common, "--epochs", "2", "--out", "straight.safetensors"]);
        Assert.True(straight.ExitCode == 0, straight.Stderr);
        var first = LoomProcess.Run(dir.Path, ["train", .. common, "--epochs", "1", "--checkpoint", "ckpt.safetensors"]);
        Assert.True(first.ExitCode == 0, first.Stderr);
        var resumed = LoomProcess.Run(dir.Path, "train", "--resume", "ckpt.safetensors", "--epochs", "2", "--seed", "7", "--batch-size", "128", "--schedule", "cosine", "--out", "resumed.safetensors");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);

        var a = Safetensors.Load(dir.File("straight.safetensors")).ToDictionary();
        var b = Safetensors.Load(dir.File("resumed.safetensors")).ToDictionary();
        Assert.Equal(a.Keys.OrderBy(k => k), b.Keys.OrderBy(k => k));
        foreach (var (name, t) in a) Assert.Equal(t.Data, b[name].Data);
    }

    [Fact]
    public void AResumedRunKeepsTheCheckpointsOptimizerAndSchedule()
    {
        // Before the fix, a resume without the flags took momentum, weight decay, schedule and clip from the
        // defaults (0.9, none, cosine, none) and drifted from the uninterrupted run.
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("tiny.json"), TinySpec);
        string[] common = ["--model", "tiny.json", "--seed", "3", "--batch-size", "96", "--optimizer", "sgd", "--lr", "0.05", "--momentum", "0.5",
            "--weight-decay", "0.001", "--schedule", "step", "--clip-grad", "1", "--label-smoothing", "0.1"];
        var straight = LoomProcess.Run(dir.Path, ["train", .. common, "--epochs", "2", "--out", "straight.safetensors"]);
        Assert.True(straight.ExitCode == 0, straight.Stderr);
        var first = LoomProcess.Run(dir.Path, ["train", .. common, "--epochs", "1", "--checkpoint", "ckpt.safetensors"]);
        Assert.True(first.ExitCode == 0, first.Stderr);
        var resumed = LoomProcess.Run(dir.Path, "train", "--resume", "ckpt.safetensors", "--epochs", "2", "--out", "resumed.safetensors");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);

        var a = Safetensors.Load(dir.File("straight.safetensors")).ToDictionary();
        var b = Safetensors.Load(dir.File("resumed.safetensors")).ToDictionary();
        foreach (var (name, t) in a) Assert.Equal(t.Data, b[name].Data);

        var contradicted = LoomProcess.Run(dir.Path, "train", "--resume", "ckpt.safetensors", "--epochs", "2", "--schedule", "cosine");
        Assert.NotEqual(0, contradicted.ExitCode);
        Assert.Contains("--schedule cosine contradicts the checkpoint, which trains with --schedule step", contradicted.Stderr);
        Assert.DoesNotContain("   at ", contradicted.Stderr);
        var momentum = LoomProcess.Run(dir.Path, "train", "--resume", "ckpt.safetensors", "--epochs", "2", "--momentum", "0.9");
        Assert.NotEqual(0, momentum.ExitCode);
        Assert.Contains("--momentum 0.9 contradicts the checkpoint, which trains with --momentum 0.5", momentum.Stderr);
    }
}
