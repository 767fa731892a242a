using System.Runtime.CompilerServices;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Loom.Kernels;

/// <summary>Element-wise activations and their derivatives, vectorised through TensorPrimitives where it has the op.</summary>
public static class Activations
{
    public static void Relu(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Max(x, 0f, y);

    /// <summary>dx += dy where x &gt; 0; with <paramref name="accumulate"/> false, dx = that (dx may then be dy itself).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, bool accumulate = true)
    {
        int i = 0;
        // The widest vectors the CPU runs natively: Vector512 and Vector256 are emulated in software on ARM64.
        ref float rx = ref MemoryMarshal.GetReference(x), rdy = ref MemoryMarshal.GetReference(dy), rdx = ref MemoryMarshal.GetReference(dx);
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= x.Length - 16; i += 16)
            {
                var mask = Vector512.GreaterThan(Vector512.LoadUnsafe(ref rx, (nuint)i), Vector512<float>.Zero);
                var d = Vector512.LoadUnsafe(ref rdy, (nuint)i) & mask;
                if (accumulate) d += Vector512.LoadUnsafe(ref rdx, (nuint)i);
                d.StoreUnsafe(ref rdx, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= x.Length - 8; i += 8)
            {
                var mask = Vector256.GreaterThan(Vector256.LoadUnsafe(ref rx, (nuint)i), Vector256<float>.Zero);
                var d = Vector256.LoadUnsafe(ref rdy, (nuint)i) & mask;
                if (accumulate) d += Vector256.LoadUnsafe(ref rdx, (nuint)i);
                d.StoreUnsafe(ref rdx, (nuint)i);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= x.Length - 4; i += 4)
            {
                var mask = Vector128.GreaterThan(Vector128.LoadUnsafe(ref rx, (nuint)i), Vector128<float>.Zero);
                var d = Vector128.LoadUnsafe(ref rdy, (nuint)i) & mask;
                if (accumulate) d += Vector128.LoadUnsafe(ref rdx, (nuint)i);
                d.StoreUnsafe(ref rdx, (nuint)i);
            }
        }
        for (; i < x.Length; i++)
        {
            float d = x[i] > 0f ? dy[i] : 0f;
            dx[i] = accumulate ? dx[i] + d : d;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LeakyRelu(ReadOnlySpan<float> x, Span<float> y, float slope)
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0f ? x[i] : slope * x[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LeakyReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, float slope, bool accumulate = true)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float d = x[i] > 0f ? dy[i] : slope * dy[i];
            dx[i] = accumulate ? dx[i] + d : d;
        }
    }

    public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Tanh(x, y);

    /// <summary>dx += dy·(1 − y²), from the output y = tanh(x); with <paramref name="accumulate"/> false, dx = that.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TanhBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, bool accumulate = true)
    {
        for (int i = 0; i < y.Length; i++)
        {
            float d = dy[i] * (1f - y[i] * y[i]);
            dx[i] = accumulate ? dx[i] + d : d;
        }
    }

    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Sigmoid(x, y);

    /// <summary>dx += dy·y·(1 − y), from the output y = σ(x); with <paramref name="accumulate"/> false, dx = that.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SigmoidBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, bool accumulate = true)
    {
        for (int i = 0; i < y.Length; i++)
        {
            float d = dy[i] * y[i] * (1f - y[i]);
            dx[i] = accumulate ? dx[i] + d : d;
        }
    }

    /// <summary>Exact GELU, x·Φ(x), PyTorch's default (approximate='none').</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Gelu(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = (float)(0.5 * x[i] * (1.0 + Erf(x[i] / Math.Sqrt(2.0))));
    }

    /// <summary>dx += dy·(Φ(x) + x·φ(x)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GeluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        const double invSqrt2Pi = 0.3989422804014327;
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            double cdf = 0.5 * (1.0 + Erf(v / Math.Sqrt(2.0)));
            double pdf = invSqrt2Pi * Math.Exp(-0.5 * v * v);
            dx[i] += (float)(dy[i] * (cdf + v * pdf));
        }
    }

    /// <summary>The error function to about 1e-7 relative (W. J. Cody's rational approximations, via erfc for large |x|).</summary>
    public static double Erf(double x)
    {
        double ax = Math.Abs(x);
        if (ax < 0.5)
        {
            // Taylor series converges fast here.
            double x2 = x * x, term = x, sum = x;
            for (int n = 1; n < 12; n++)
            {
                term *= -x2 / n;
                sum += term / (2 * n + 1);
            }
            return sum * 1.1283791670955126;
        }
        double r = 1.0 - Erfc(ax);
        return x < 0 ? -r : r;
    }

    /// <summary>Complementary error function for x ≥ 0.5 (Numerical Recipes' Chebyshev fit, |error| &lt; 1.2e-7).</summary>
    private static double Erfc(double x)
    {
        double t = 1.0 / (1.0 + 0.5 * x);
        double poly = -x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
                      t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
        return t * Math.Exp(poly);
    }
}
