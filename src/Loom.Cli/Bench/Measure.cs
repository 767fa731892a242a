using System.Diagnostics;

namespace Loom.Cli.Bench;

/// <summary>
/// How long to measure: warm-up steps (excluded), the number of timed windows and how long each lasts,
/// and how many single calls a latency median is taken over. <see cref="Quick"/> keeps a whole run under a minute.
/// </summary>
internal sealed record BenchPlan(int WarmupSteps, int Windows, double WindowSeconds, int LatencyWarmup, int LatencyCalls, int AllocationSteps)
{
    public static readonly BenchPlan Full = new(WarmupSteps: 3, Windows: 7, WindowSeconds: 1.0, LatencyWarmup: 50, LatencyCalls: 500, AllocationSteps: 20);
    public static readonly BenchPlan Quick = new(WarmupSteps: 2, Windows: 5, WindowSeconds: 0.3, LatencyWarmup: 10, LatencyCalls: 100, AllocationSteps: 5);
}

/// <summary>Timing without any library code: throughput as the median over timed windows, latency as the median of single calls.</summary>
internal static class Measure
{
    /// <summary>
    /// Runs <paramref name="step"/> <see cref="BenchPlan.WarmupSteps"/> times untimed, then in
    /// <see cref="BenchPlan.Windows"/> windows of at least <see cref="BenchPlan.WindowSeconds"/> (and at least one
    /// step each); returns the median over windows of work done per second (<paramref name="workPerStep"/> per step).
    /// </summary>
    public static double Throughput(Action step, double workPerStep, BenchPlan plan)
    {
        for (int i = 0; i < plan.WarmupSteps; i++) step();
        var rates = new double[plan.Windows];
        for (int w = 0; w < plan.Windows; w++)
        {
            long start = Stopwatch.GetTimestamp();
            int steps = 0;
            double elapsed;
            do
            {
                step();
                steps++;
                elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            } while (elapsed < plan.WindowSeconds);
            rates[w] = steps * workPerStep / elapsed;
        }
        return Median(rates);
    }

    /// <summary>
    /// The median time of one call in microseconds, over <see cref="BenchPlan.LatencyCalls"/> calls after a
    /// warm-up of at least <see cref="BenchPlan.LatencyWarmup"/> calls and one window's time. The time matters:
    /// the JIT recompiles a hot method with full optimisation only after it has been called for a while
    /// (tiered compilation), and a call-counted warm-up of 50 short calls ended before that, so a run could
    /// time unoptimised code (lenet at batch 1: ReLU 61 µs instead of 3 µs).
    /// </summary>
    public static double LatencyMicroseconds(Action call, BenchPlan plan)
    {
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < plan.LatencyWarmup || warm.Elapsed.TotalSeconds < plan.WindowSeconds; i++) call();
        var times = new double[plan.LatencyCalls];
        for (int i = 0; i < times.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            call();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        return Median(times);
    }

    /// <summary>
    /// Managed bytes allocated per call of <paramref name="step"/> in steady state, on the calling thread and in
    /// the whole process (the kernels' worker threads allocate too), and gen-0 collections per 100 calls.
    /// </summary>
    public static (double ThreadBytes, double TotalBytes, double Gen0Per100) Allocations(Action step, int steps)
    {
        step(); // steady state: buffers and optimizer slots exist already
        long thread0 = GC.GetAllocatedBytesForCurrentThread();
        long total0 = GC.GetTotalAllocatedBytes(precise: true);
        int gen0 = GC.CollectionCount(0);
        for (int i = 0; i < steps; i++) step();
        long thread1 = GC.GetAllocatedBytesForCurrentThread();
        long total1 = GC.GetTotalAllocatedBytes(precise: true);
        return ((double)(thread1 - thread0) / steps, (double)(total1 - total0) / steps, 100.0 * (GC.CollectionCount(0) - gen0) / steps);
    }

    /// <summary>The process's peak resident set so far, in MiB (VmHWM on Linux).</summary>
    public static double PeakWorkingSetMiB()
    {
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return p.PeakWorkingSet64 / (1024.0 * 1024.0);
    }

    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("Median of no values.");
        var sorted = values.OrderBy(v => v).ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
