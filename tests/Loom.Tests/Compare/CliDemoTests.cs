using Loom.Tests.Cli;
using Xunit;

namespace Loom.Tests.Compare;

/// <summary>
/// <c>loom demo</c>, the README's main job, end to end on the embedded data as a fresh clone runs it: both
/// comparisons print their table and reading, and --out writes their reports.
/// </summary>
public class CliDemoTests
{
    [Fact]
    public void DemoPrintsBothTablesAndWritesTheReports()
    {
        using var dir = new TempFolder();
        var outDir = dir.File("demo");
        var r = LoomProcess.Run(dir.Path, "demo", "--out", outDir);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("== Fashion-MNIST", r.Stdout);
        Assert.Contains("inference (images/s)", r.Stdout);
        Assert.Contains("inference (mails/s)", r.Stdout);
        foreach (var model in new[] { "lenet", "row-gru", "hybrid-cnn-lstm", "text-cnn", "gru-classifier" })
            Assert.Matches($@"(?m)^{model}\s+(CNN|RNN|hybrid)\s+\d+\.\d\d %", r.Stdout);
        Assert.Contains("came first with", r.Stdout);
        Assert.Contains("Demo finished in", r.Stdout);
        foreach (var task in new[] { "fashion", "spam" })
        {
            Assert.True(File.Exists(Path.Combine(outDir, $"compare-{task}.md")), $"compare-{task}.md missing");
            Assert.True(File.Exists(Path.Combine(outDir, $"compare-{task}-curves.png")), $"compare-{task}-curves.png missing");
        }
    }
}
