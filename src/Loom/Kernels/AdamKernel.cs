using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Loom.Kernels;

/// <summary>
/// Adam's element-wise update (<see cref="Optim.Adam"/>), in the widest vectors the CPU runs natively (512, 256 or
/// 128 bits; ARM64 takes the 128-bit loop), then scalar code for the tail. Every width performs the same operations
/// in the same order as the scalar loop — multiplies and adds, no fused multiply–add — so the weights do not depend
/// on the machine: a run resumed on another CPU continues bit for bit.
/// </summary>
internal static unsafe class AdamKernel
{
    /// <summary>The step's constants: decoupled decay factor, L2 coefficient, lr/bc1, √bc2 (PyTorch's names).</summary>
    public readonly record struct Constants(float Beta1, float Beta2, float Eps, float Decay, float L2, float StepSize, float SqrtBc2);

    /// <summary>
    /// g' = g + l2·p; m = β1·m + (1 − β1)·g'; v = β2·v + (1 − β2)·g'²; p = p·decay − stepSize·m / (√v / √bc2 + eps).
    /// </summary>
    public static void Step(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, in Constants k)
    {
        if (g.Length < p.Length || m.Length < p.Length || v.Length < p.Length) throw new ArgumentException("Adam: the gradient and state must be as long as the parameter.");
        fixed (float* pp = p, pg = g, pm = m, pv = v)
        {
            int n = p.Length, i = 0;
            if (Vector512.IsHardwareAccelerated) i = Loop<Vector512Ops, Vector512<float>>(pp, pg, pm, pv, n, k);
            else if (Vector256.IsHardwareAccelerated) i = Loop<Vector256Ops, Vector256<float>>(pp, pg, pm, pv, n, k);
            else if (Vector128.IsHardwareAccelerated) i = Loop<Vector128Ops, Vector128<float>>(pp, pg, pm, pv, n, k);
            Tail(pp, pg, pm, pv, i, n, k);
        }
    }

    /// <summary>The vector loop over whole vectors; returns where the scalar tail starts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Loop<TOps, TV>(float* p, float* g, float* m, float* v, int n, in Constants k)
        where TOps : struct, IVectorOps<TV> where TV : struct
    {
        TV b1 = TOps.Broadcast(k.Beta1), c1 = TOps.Broadcast(1 - k.Beta1), b2 = TOps.Broadcast(k.Beta2), c2 = TOps.Broadcast(1 - k.Beta2);
        TV l2 = TOps.Broadcast(k.L2), decay = TOps.Broadcast(k.Decay), step = TOps.Broadcast(k.StepSize);
        TV sqrtBc2 = TOps.Broadcast(k.SqrtBc2), eps = TOps.Broadcast(k.Eps);
        int w = TOps.Count, i = 0;
        for (; i <= n - w; i += w)
        {
            TV pi = TOps.Load(p + i);
            TV gi = TOps.Add(TOps.Load(g + i), TOps.Multiply(l2, pi));
            TV mi = TOps.Add(TOps.Multiply(b1, TOps.Load(m + i)), TOps.Multiply(c1, gi));
            TV vi = TOps.Add(TOps.Multiply(b2, TOps.Load(v + i)), TOps.Multiply(TOps.Multiply(c2, gi), gi));
            TOps.Store(mi, m + i);
            TOps.Store(vi, v + i);
            TV denominator = TOps.Add(TOps.Divide(TOps.Sqrt(vi), sqrtBc2), eps);
            TOps.Store(TOps.Subtract(TOps.Multiply(pi, decay), TOps.Divide(TOps.Multiply(step, mi), denominator)), p + i);
        }
        return i;
    }

    private static void Tail(float* p, float* g, float* m, float* v, int from, int n, in Constants k)
    {
        for (int i = from; i < n; i++)
        {
            float gi = g[i] + k.L2 * p[i];
            m[i] = k.Beta1 * m[i] + (1 - k.Beta1) * gi;
            v[i] = k.Beta2 * v[i] + (1 - k.Beta2) * gi * gi;
            p[i] = p[i] * k.Decay - k.StepSize * m[i] / (MathF.Sqrt(v[i]) / k.SqrtBc2 + k.Eps);
        }
    }
}
