using System.Text.Json.Nodes;
using Xunit;

namespace Loom.Tests.Cli;

/// <summary>
/// <c>loom bench</c> runs and reports its figures under the keys that bench/torch/bench.py and bench/compare.sh
/// share. Smoke tests only: the quickest workload, no timing asserted (performance is measured by benchmarks).
/// </summary>
public sealed class CliBenchTests
{
    [Fact]
    public void QuickJsonRunReportsItsFigures()
    {
        using var dir = new TempFolder();
        var r = LoomProcess.Run(dir.Path, "bench", "--quick", "--only", "lstm-generate", "--threads", "1", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var o = JsonNode.Parse(r.Stdout)!.AsObject();
        Assert.True(o["lstm_generate_us_per_step"]!.GetValue<double>() > 0);
        Assert.True(o["peak_working_set_mib"]!.GetValue<double>() > 0);
        Assert.False(o.ContainsKey("sgemm_1024_gflops")); // --only ran one workload
        var settings = o["settings"]!.AsObject();
        Assert.Equal(1, settings["threads"]!.GetValue<int>());
        Assert.True(settings["quick"]!.GetValue<bool>());
        Assert.Equal("lstm-generate", Assert.Single(settings["workloads"]!.AsArray())!.GetValue<string>());
    }

    [Fact]
    public void UnknownWorkloadIsNamed()
    {
        using var dir = new TempFolder();
        var r = LoomProcess.Run(dir.Path, "bench", "--only", "lenet-train,resnet");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("unknown workload 'resnet'", r.Stderr);
        Assert.Contains("sgemm", r.Stderr); // the known ones are listed
        Assert.Equal("", r.Stdout);
    }
}
