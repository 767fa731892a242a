using System.Text.Json.Nodes;
using Loom.Tests.Cli;
using Xunit;

namespace Loom.Tests.Compare;

/// <summary>
/// <c>loom compare</c> end to end on the embedded data, kept short with --models and --train-samples: the table,
/// the reports, the charts (real PNG files), and the errors.
/// </summary>
public class CliCompareTests
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public void FashionMiniWritesTableReportsAndCharts()
    {
        using var dir = new TempFolder();
        var outDir = dir.File("out");
        var r = LoomProcess.Run(dir.Path, "compare", "--task", "fashion", "--mini", "--epochs", "1", "--models", "lenet,row-gru,hybrid-cnn-lstm",
            "--train-samples", "1200", "--out", outDir);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("hybrid-cnn-lstm  hybrid", r.Stdout);
        Assert.Contains("baseline: majority class", r.Stdout);

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "compare-fashion.json")))!;
        Assert.Equal("fashion", json["task"]!.GetValue<string>());
        Assert.Equal(1200, json["train_samples"]!.GetValue<int>());
        var models = json["models"]!.AsArray();
        Assert.Equal(["lenet", "row-gru", "hybrid-cnn-lstm"], models.Select(m => m!["name"]!.GetValue<string>()));
        foreach (var m in models)
        {
            var history = m!["history"]!.AsArray();
            Assert.Single(history);
            double accuracy = m["test_accuracy"]!.GetValue<double>();
            Assert.InRange(accuracy, 0.2, 1.0);   // well above chance (0.1) even after one short epoch
            Assert.Equal(accuracy, history[0]!["test_accuracy"]!.GetValue<double>());
            Assert.Equal(accuracy, history[0]!["metric"]!.GetValue<double>());
            Assert.True(m["parameters"]!.GetValue<long>() > 0 && m["train_seconds"]!.GetValue<double>() > 0 && m["inference_per_second"]!.GetValue<double>() > 0);
        }
        Assert.Equal(192_106, models[2]!["parameters"]!.GetValue<long>());
        // The reading is computed from the numbers: it opens with the model of the best accuracy.
        var best = models.MaxBy(m => m!["metric"]!.GetValue<double>())!["name"]!.GetValue<string>();
        Assert.StartsWith($"`{best}`", json["reading"]!.GetValue<string>());

        var md = File.ReadAllText(Path.Combine(outDir, "compare-fashion.md"));
        Assert.Contains("| model | family | accuracy | parameters |", md);
        Assert.Contains("loom compare --task fashion --mini --epochs 1", md);
        Assert.Contains("![compare-fashion-curves](compare-fashion-curves.png)", md);
        foreach (var chart in new[] { "curves", "params", "time" })
        {
            var bytes = File.ReadAllBytes(Path.Combine(outDir, $"compare-fashion-{chart}.png"));
            Assert.Equal(PngSignature, bytes[..8]);
            Assert.InRange(bytes.Length, 10_000, 2_000_000);
        }
        // One HTML report links the table and the charts, and the printed summary names it.
        var html = File.ReadAllText(Path.Combine(outDir, "compare-fashion.html"));
        Assert.Contains("<table>", html);
        Assert.Contains("<img src=\"compare-fashion-curves.png\"", html);
        Assert.Contains($"Report: {Path.Combine(outDir, "compare-fashion.html")}", r.Stdout);
    }

    [Fact]
    public void SpamMiniTextCnn()
    {
        using var dir = new TempFolder();
        var r = LoomProcess.Run(dir.Path, "compare", "--task", "spam", "--mini", "--epochs", "1", "--models", "text-cnn", "--out", dir.Path);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("naive Bayes (words)", r.Stdout);
        var json = JsonNode.Parse(File.ReadAllText(dir.File("compare-spam.json")))!;
        Assert.Equal("spam-assassin-mini", json["data"]!.GetValue<string>());
        Assert.Equal("text-cnn", json["models"]![0]!["name"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("Give --epochs or --budget, not both.", "--task", "fashion", "--epochs", "1", "--budget", "1")]
    [InlineData("Task 'spam' has no model 'lenet'", "--task", "spam", "--models", "lenet")]
    [InlineData("--budget must be a positive number", "--task", "pos", "--budget", "0")]
    public void BadArgumentsFailWithOneLine(string message, params string[] args)
    {
        using var dir = new TempFolder();
        var r = LoomProcess.Run(dir.Path, ["compare", .. args, "--out", dir.Path]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(message, r.Stderr);
    }

    [Fact]
    public void UnknownTaskIsRejectedByTheParser()
    {
        using var dir = new TempFolder();
        var r = LoomProcess.Run(dir.Path, "compare", "--task", "chess");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("chess", r.Stderr);
    }
}
