using System.Globalization;
using Xunit;
using Xunit.Abstractions;

namespace Loom.Tests.Hostile;

/// <summary>
/// The fuzz suite. In the ordinary test run each reader gets <see cref="SuiteInputs"/> fixed mutants (the same every
/// run, so a failure reproduces by reader and index); with LOOM_FUZZ_MINUTES set (tools/fuzz.sh) it instead runs
/// each reader for its share of that time from a seed in LOOM_FUZZ_SEED (default: the clock), keeps every input
/// that broke the contract in LOOM_FUZZ_FOUND as a new fixture, and writes the figures to LOOM_FUZZ_REPORT.
/// Every file in Fixtures/fuzz (the reproducers of issue 17 and all inputs found since) is also replayed through
/// its reader.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output) : IDisposable
{
    private const int SuiteInputs = 5000;
    private readonly string _dir = Directory.CreateTempSubdirectory("loom-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> Readers()
    {
        var data = new TheoryData<string>();
        foreach (var t in FuzzTargets.All.Value) data.Add(t.Name);
        return data;
    }

    [Theory, MemberData(nameof(Readers))]
    public void MutantsKeepTheErrorContract(string reader)
    {
        var target = FuzzTargets.All.Value.Single(t => t.Name == reader);
        string scratch = Path.Combine(_dir, "input.bin");
        string? minutes = Environment.GetEnvironmentVariable("LOOM_FUZZ_MINUTES");
        FuzzReport report;
        if (minutes is null)
        {
            // Every seed unmutated first: the readers accept what Loom writes.
            foreach (var seed in target.Seeds) target.Read(seed, scratch);
            report = FuzzRunner.Run(target, 0, SuiteInputs, DateTime.MaxValue, scratch);
        }
        else
        {
            double share = double.Parse(minutes, CultureInfo.InvariantCulture) / FuzzTargets.All.Value.Count;
            ulong first = ulong.TryParse(Environment.GetEnvironmentVariable("LOOM_FUZZ_SEED"), out var s) ? s : (ulong)DateTime.UtcNow.Ticks;
            string? found = Environment.GetEnvironmentVariable("LOOM_FUZZ_FOUND");
            if (found is not null) Directory.CreateDirectory(found);
            report = FuzzRunner.Run(target, first, long.MaxValue, DateTime.UtcNow.AddMinutes(share), scratch, found);
            if (Environment.GetEnvironmentVariable("LOOM_FUZZ_REPORT") is string path)
                lock (typeof(FuzzTests)) File.AppendAllText(path, $"{report.Line()} first index {first}\n" + string.Concat(report.Failures.Take(20).Select(f => $"    {f}\n")));
        }
        output.WriteLine(FuzzReport.Header);
        output.WriteLine(report.Line());
        Assert.True(report.Failures.Count == 0, $"{report.Failures.Count} of {report.Inputs} inputs broke the contract:\n" + string.Join("\n", report.Failures.Take(10)));
    }

    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures", "fuzz")).Order(StringComparer.Ordinal))
            if (!f.EndsWith(".md", StringComparison.Ordinal)) data.Add(Path.GetFileName(f));
        return data;
    }

    /// <summary>Each kept input, read by the reader its name's prefix names (spec-, st-, idx-raw-, …), keeps the contract.</summary>
    [Theory, MemberData(nameof(Fixtures))]
    public void KeptInputsKeepTheErrorContract(string file)
    {
        string name = file switch
        {
            _ when file.StartsWith("idx-", StringComparison.Ordinal) && file.EndsWith(".gz", StringComparison.Ordinal) => "idx-gzip-",
            _ when file.StartsWith("idx-", StringComparison.Ordinal) && file.EndsWith(".idx", StringComparison.Ordinal) => "idx-raw-",
            _ => file,
        };
        var target = FuzzTargets.All.Value.Where(t => name.StartsWith(t.FixturePrefix, StringComparison.Ordinal)).MaxBy(t => t.FixturePrefix.Length)
            ?? throw new InvalidOperationException($"no reader for fixture {file}");
        var report = new FuzzReport(target.Name);
        string? failure = FuzzRunner.Check(target, File.ReadAllBytes(HostileInputTests.Fixture(file)), Path.Combine(_dir, "input.bin"), report);
        Assert.Null(failure);
    }
}

