using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Loom.Kernels;

/// <summary>
/// The machine's physical limit for the kernels, as one thread's loop: fused multiply–adds in the vector width and
/// instruction of GEMM's micro-kernel (<see cref="Gemm.Path"/>, the same <see cref="IVectorOps{TVector}"/> the kernel
/// uses). Twelve independent accumulator chains cover the FMA latency (4 cycles) on two pipes, and nothing is loaded
/// or stored, so nothing but the FMA units limits it. <c>loom bench</c> times it on every kernel thread at once.
/// </summary>
public static class FmaLoop
{
    private const int Chains = 12;

    /// <summary>The instruction and width measured.</summary>
    public static string Isa => Gemm.Path switch
    {
        Gemm.Isa.Avx512 => "AVX-512 FMA (512-bit)",
        Gemm.Isa.Avx2Fma => "AVX2 FMA (256-bit)",
        Gemm.Isa.Vector128 => Fma.IsSupported || AdvSimd.IsSupported ? "128-bit FMA" : "128-bit multiply + add",
        _ => "scalar multiply + add",
    };

    /// <summary>Floating-point operations (a multiply–add counts two) of one iteration of <see cref="Run"/>.</summary>
    public static int FlopsPerIteration => Chains * 2 * Gemm.Path switch
    {
        Gemm.Isa.Avx512 => Vector512<float>.Count,
        Gemm.Isa.Avx2Fma => Vector256<float>.Count,
        Gemm.Isa.Vector128 => Vector128<float>.Count,
        _ => 1,
    };

    /// <summary>Runs <paramref name="iterations"/> iterations on the calling thread; the result only keeps the work alive.</summary>
    // Not inlined, and one compiled loop per width: the accumulators must stay in registers for the whole loop (kept apart
    // from the timing calls, the JIT spilled them to the stack in an earlier version).
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static float Run(long iterations) => Gemm.Path switch
    {
        Gemm.Isa.Avx512 => Loop<Vector512Ops, Vector512<float>>(iterations),
        Gemm.Isa.Avx2Fma => Loop<Vector256Ops, Vector256<float>>(iterations),
        Gemm.Isa.Vector128 => Loop<Vector128Ops, Vector128<float>>(iterations),
        _ => Loop<ScalarOps, float>(iterations),
    };

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Loop<TOps, TV>(long iterations) where TOps : struct, IVectorOps<TV> where TV : struct
    {
        // c ← 0.999·c + 0.001 converges to 1: no overflow, no denormals.
        var a = TOps.Broadcast(0.999f);
        var b = TOps.Broadcast(0.001f);
        TV c0 = b, c1 = b, c2 = b, c3 = b, c4 = b, c5 = b, c6 = b, c7 = b, c8 = b, c9 = b, c10 = b, c11 = b;
        for (long i = 0; i < iterations; i++)
        {
            c0 = TOps.MultiplyAdd(a, c0, b); c1 = TOps.MultiplyAdd(a, c1, b); c2 = TOps.MultiplyAdd(a, c2, b);
            c3 = TOps.MultiplyAdd(a, c3, b); c4 = TOps.MultiplyAdd(a, c4, b); c5 = TOps.MultiplyAdd(a, c5, b);
            c6 = TOps.MultiplyAdd(a, c6, b); c7 = TOps.MultiplyAdd(a, c7, b); c8 = TOps.MultiplyAdd(a, c8, b);
            c9 = TOps.MultiplyAdd(a, c9, b); c10 = TOps.MultiplyAdd(a, c10, b); c11 = TOps.MultiplyAdd(a, c11, b);
        }
        var sum = TOps.Add(TOps.Add(TOps.Add(c0, c1), TOps.Add(c2, c3)), TOps.Add(TOps.Add(c4, c5), TOps.Add(c6, c7)));
        return TOps.First(TOps.Add(sum, TOps.Add(TOps.Add(c8, c9), TOps.Add(c10, c11))));
    }
}
