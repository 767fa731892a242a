using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Loom.Cli.Bench;

/// <summary>
/// The machine's physical limit for the kernels: fused multiply–adds per second in the vector width GEMM uses
/// (the same ISA choice as <see cref="Kernels.Gemm.Path"/>), with every thread of the kernels running at once.
/// A register-only loop: twelve independent accumulator chains cover the FMA latency (4 cycles) on two pipes, and
/// nothing is loaded or stored, so nothing but the FMA units limits it. GEMM and the training steps report their
/// share of it.
/// </summary>
internal static class FmaPeak
{
    private const int Chains = 12;

    /// <summary>The instruction and width measured.</summary>
    public static string Isa =>
        Vector512.IsHardwareAccelerated ? "AVX-512 FMA (512-bit)"
        : Vector256.IsHardwareAccelerated && Fma.IsSupported ? "AVX2 FMA (256-bit)"
        : Vector128.IsHardwareAccelerated ? (Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported ? "128-bit FMA" : "128-bit multiply + add")
        : "scalar multiply + add";

    private static int FlopsPerIteration =>
        Chains * 2 * (Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated && Fma.IsSupported ? 8 : Vector128.IsHardwareAccelerated ? 4 : 1);

    /// <summary>
    /// GFLOPS of <paramref name="threads"/> threads running the loop together, the median over the plan's windows
    /// (the same statistic as every throughput of <c>loom bench</c>, so that a busy spell on this shared machine
    /// lowers the peak as it lowers the figures measured against it).
    /// </summary>
    public static double Gflops(int threads, BenchPlan plan)
    {
        Loop(1000);
        long iterations = 1_000_000;
        var watch = Stopwatch.StartNew();
        Loop(iterations);
        iterations = Math.Max(iterations, (long)(iterations * plan.WindowSeconds / Math.Max(watch.Elapsed.TotalSeconds, 1e-6)));
        var rates = new double[plan.Windows];
        for (int w = 0; w < rates.Length; w++)
        {
            using var start = new Barrier(threads + 1);
            var workers = new Thread[threads];
            for (int t = 0; t < threads; t++)
            {
                workers[t] = new Thread(() => { start.SignalAndWait(); Loop(iterations); }) { IsBackground = true };
                workers[t].Start();
            }
            start.SignalAndWait();
            long t0 = Stopwatch.GetTimestamp();
            foreach (var worker in workers) worker.Join();
            rates[w] = threads * (double)iterations * FlopsPerIteration / Stopwatch.GetElapsedTime(t0).TotalSeconds / 1e9;
        }
        return Measure.Median(rates);
    }

    // One method per width, not inlined: the accumulators must stay in registers for the whole loop (kept apart from
    // the timing calls, the JIT spilled them to the stack in an earlier version).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Loop(long iterations)
    {
        if (Vector512.IsHardwareAccelerated) return Loop512(iterations);
        if (Vector256.IsHardwareAccelerated && Fma.IsSupported) return Loop256(iterations);
        if (Vector128.IsHardwareAccelerated) return Loop128(iterations);
        return LoopScalar(iterations);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Loop512(long iterations)
    {
        // c ← 0.999·c + 0.001 converges to 1: no overflow, no denormals.
        var a = Vector512.Create(0.999f);
        var b = Vector512.Create(0.001f);
        Vector512<float> c0 = b, c1 = b, c2 = b, c3 = b, c4 = b, c5 = b, c6 = b, c7 = b, c8 = b, c9 = b, c10 = b, c11 = b;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(a, c0, b); c1 = Vector512.FusedMultiplyAdd(a, c1, b); c2 = Vector512.FusedMultiplyAdd(a, c2, b);
            c3 = Vector512.FusedMultiplyAdd(a, c3, b); c4 = Vector512.FusedMultiplyAdd(a, c4, b); c5 = Vector512.FusedMultiplyAdd(a, c5, b);
            c6 = Vector512.FusedMultiplyAdd(a, c6, b); c7 = Vector512.FusedMultiplyAdd(a, c7, b); c8 = Vector512.FusedMultiplyAdd(a, c8, b);
            c9 = Vector512.FusedMultiplyAdd(a, c9, b); c10 = Vector512.FusedMultiplyAdd(a, c10, b); c11 = Vector512.FusedMultiplyAdd(a, c11, b);
        }
        return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11).ToScalar();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Loop256(long iterations)
    {
        var a = Vector256.Create(0.999f);
        var b = Vector256.Create(0.001f);
        Vector256<float> c0 = b, c1 = b, c2 = b, c3 = b, c4 = b, c5 = b, c6 = b, c7 = b, c8 = b, c9 = b, c10 = b, c11 = b;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(a, c0, b); c1 = Vector256.FusedMultiplyAdd(a, c1, b); c2 = Vector256.FusedMultiplyAdd(a, c2, b);
            c3 = Vector256.FusedMultiplyAdd(a, c3, b); c4 = Vector256.FusedMultiplyAdd(a, c4, b); c5 = Vector256.FusedMultiplyAdd(a, c5, b);
            c6 = Vector256.FusedMultiplyAdd(a, c6, b); c7 = Vector256.FusedMultiplyAdd(a, c7, b); c8 = Vector256.FusedMultiplyAdd(a, c8, b);
            c9 = Vector256.FusedMultiplyAdd(a, c9, b); c10 = Vector256.FusedMultiplyAdd(a, c10, b); c11 = Vector256.FusedMultiplyAdd(a, c11, b);
        }
        return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11).ToScalar();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Loop128(long iterations)
    {
        // MultiplyAddEstimate, as GEMM's 128-bit kernel: one fmla on ARM64, a multiply and an add on x86 without FMA.
        var a = Vector128.Create(0.999f);
        var b = Vector128.Create(0.001f);
        Vector128<float> c0 = b, c1 = b, c2 = b, c3 = b, c4 = b, c5 = b, c6 = b, c7 = b, c8 = b, c9 = b, c10 = b, c11 = b;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector128.MultiplyAddEstimate(a, c0, b); c1 = Vector128.MultiplyAddEstimate(a, c1, b); c2 = Vector128.MultiplyAddEstimate(a, c2, b);
            c3 = Vector128.MultiplyAddEstimate(a, c3, b); c4 = Vector128.MultiplyAddEstimate(a, c4, b); c5 = Vector128.MultiplyAddEstimate(a, c5, b);
            c6 = Vector128.MultiplyAddEstimate(a, c6, b); c7 = Vector128.MultiplyAddEstimate(a, c7, b); c8 = Vector128.MultiplyAddEstimate(a, c8, b);
            c9 = Vector128.MultiplyAddEstimate(a, c9, b); c10 = Vector128.MultiplyAddEstimate(a, c10, b); c11 = Vector128.MultiplyAddEstimate(a, c11, b);
        }
        return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11).ToScalar();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float LoopScalar(long iterations)
    {
        float a = 0.999f, b = 0.001f;
        float c0 = b, c1 = b, c2 = b, c3 = b, c4 = b, c5 = b, c6 = b, c7 = b, c8 = b, c9 = b, c10 = b, c11 = b;
        for (long i = 0; i < iterations; i++)
        {
            c0 = a * c0 + b; c1 = a * c1 + b; c2 = a * c2 + b; c3 = a * c3 + b; c4 = a * c4 + b; c5 = a * c5 + b;
            c6 = a * c6 + b; c7 = a * c7 + b; c8 = a * c8 + b; c9 = a * c9 + b; c10 = a * c10 + b; c11 = a * c11 + b;
        }
        return c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
    }
}
