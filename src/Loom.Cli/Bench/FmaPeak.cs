using System.Diagnostics;
using Loom.Kernels;

namespace Loom.Cli.Bench;

/// <summary>
/// The machine's physical limit for the kernels: fused multiply–adds per second of <see cref="FmaLoop"/> (the
/// register-only loop in the vector width and instruction GEMM uses), with every thread of the kernels running at
/// once. GEMM and the training steps report their share of it.
/// </summary>
internal static class FmaPeak
{
    /// <summary>The instruction and width measured.</summary>
    public static string Isa => FmaLoop.Isa;

    /// <summary>
    /// GFLOPS of <paramref name="threads"/> threads running the loop together, the median over the plan's windows
    /// (the same statistic as every throughput of <c>loom bench</c>, so that a busy spell on this shared machine
    /// lowers the peak as it lowers the figures measured against it).
    /// </summary>
    public static double Gflops(int threads, BenchPlan plan)
    {
        FmaLoop.Run(1000);
        long iterations = 1_000_000;
        var watch = Stopwatch.StartNew();
        FmaLoop.Run(iterations);
        iterations = Math.Max(iterations, (long)(iterations * plan.WindowSeconds / Math.Max(watch.Elapsed.TotalSeconds, 1e-6)));
        var rates = new double[plan.Windows];
        for (int w = 0; w < rates.Length; w++)
        {
            using var start = new Barrier(threads + 1);
            var workers = new Thread[threads];
            for (int t = 0; t < threads; t++)
            {
                workers[t] = new Thread(() => { start.SignalAndWait(); FmaLoop.Run(iterations); }) { IsBackground = true };
                workers[t].Start();
            }
            start.SignalAndWait();
            long t0 = Stopwatch.GetTimestamp();
            foreach (var worker in workers) worker.Join();
            rates[w] = threads * (double)iterations * FmaLoop.FlopsPerIteration / Stopwatch.GetElapsedTime(t0).TotalSeconds / 1e9;
        }
        return Measure.Median(rates);
    }
}
