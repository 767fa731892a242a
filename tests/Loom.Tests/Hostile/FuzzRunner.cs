using System.Diagnostics;
using CsCheck;

namespace Loom.Tests.Hostile;

/// <summary>What the fuzz run saw for one reader.</summary>
internal sealed class FuzzReport(string reader)
{
    public string Reader { get; } = reader;
    public long Inputs, Accepted, Rejected, FileSystem;
    public double SlowestMs;
    public double LargestAllocationRatio;
    public long LargestAllocation;
    public List<string> Failures { get; } = [];

    public string Line() =>
        $"| {Reader} | {Inputs} | {Accepted} | {Rejected} | {FileSystem} | {Failures.Count} | {SlowestMs:F1} | {LargestAllocation / 1024.0:F0} KB |";

    public const string Header = "| reader | inputs | accepted | InvalidData | IO | failures | slowest (ms) | largest allocation |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |";
}

/// <summary>
/// Runs mutants of a target's seeds through its reader and holds each to the contract: it returns, or throws
/// <see cref="InvalidDataException"/> or <see cref="IOException"/>, with a message of at most
/// <see cref="IO.ErrorText.MaxMessageLength"/> characters and no control character; within <see cref="MaxSeconds"/>;
/// allocating at most <see cref="AllocationBase"/> + <see cref="AllocationFactor"/> × its size.
/// </summary>
internal static class FuzzRunner
{
    public const double MaxSeconds = 1.0;
    public const long AllocationBase = 16L << 20;
    public const long AllocationFactor = 256;

    /// <summary>The PCG stream of a reader, so each reader's inputs are fixed by (reader, index) alone.</summary>
    public static PCG Pcg(string reader, ulong index) => new((uint)StableHash(reader), index);

    /// <summary>Inputs <paramref name="first"/>.. of <paramref name="target"/>, until <paramref name="count"/> ran or <paramref name="until"/> passed.</summary>
    public static FuzzReport Run(FuzzTarget target, ulong first, long count, DateTime until, string scratch, string? keepFailuresIn = null)
    {
        var report = new FuzzReport(target.Name);
        for (ulong i = first; report.Inputs < count && DateTime.UtcNow < until; i++)
        {
            var plan = Mutator.Plans.Generate(Pcg(target.Name, i), null!, out _);
            byte[] input = target.Mutate is { } mutate ? mutate(target.Seeds, plan) : Mutator.Apply(target.Seeds, plan);
            string? failure = Check(target, input, scratch, report);
            if (failure is null) continue;
            string id = $"{target.Name} input {i}";
            report.Failures.Add($"{id} ({input.Length} bytes): {failure}");
            if (keepFailuresIn is not null)
                File.WriteAllBytes(Path.Combine(keepFailuresIn, $"{target.FixturePrefix}found-{i}.bin"), input);
        }
        return report;
    }

    /// <summary>Reads one input; null when it kept the contract, otherwise what went wrong.</summary>
    public static string? Check(FuzzTarget target, byte[] input, string scratch, FuzzReport report)
    {
        report.Inputs++;
        string? failure = null;
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        try
        {
            target.Read(input, scratch);
            report.Accepted++;
        }
        catch (InvalidDataException e) { report.Rejected++; failure = CheckMessage(e); }
        catch (IOException e) { report.FileSystem++; failure = CheckMessage(e); }
        catch (Exception e) { failure = $"unexpected {e.GetType().Name}: {IO.ErrorText.Clean(e.Message)} at {IO.ErrorText.Clean(e.StackTrace?.Split('\n').FirstOrDefault()?.Trim())}"; }
        double seconds = clock.Elapsed.TotalSeconds;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        report.SlowestMs = Math.Max(report.SlowestMs, seconds * 1000);
        report.LargestAllocation = Math.Max(report.LargestAllocation, allocated);
        report.LargestAllocationRatio = Math.Max(report.LargestAllocationRatio, allocated / (double)Math.Max(1, input.Length));
        if (failure is null && seconds > MaxSeconds) failure = $"took {seconds:F2} s";
        if (failure is null && allocated > AllocationBase + AllocationFactor * input.Length) failure = $"allocated {allocated} bytes";
        return failure;
    }

    private static string? CheckMessage(Exception e)
    {
        if (e.Message.Length > IO.ErrorText.MaxMessageLength) return $"{e.GetType().Name} message of {e.Message.Length} characters";
        if (e.Message.Any(char.IsControl)) return $"{e.GetType().Name} message with a control character: {IO.ErrorText.Clean(e.Message)}";
        return null;
    }

    private static int StableHash(string s)
    {
        unchecked
        {
            int h = (int)2166136261;
            foreach (char c in s) h = (h ^ c) * 16777619;
            return h & 0x7FFFFFFF;
        }
    }
}
