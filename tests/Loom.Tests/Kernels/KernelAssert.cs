using Xunit;

namespace Loom.Tests.Kernels;

/// <summary>Comparison helpers for kernels checked against their naive twins.</summary>
internal static class KernelAssert
{
    /// <summary>
    /// |actual − expected| ≤ rel·bound + abs element-wise, where bound is a magnitude such as Σ|a|·|b| of
    /// the sum that produced the element (float32 sums taken in a different order differ by a few ulps of it).
    /// </summary>
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, ReadOnlySpan<float> bound, string what,
        double rel = 1e-5, double abs = 1e-6)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            double tol = rel * Math.Abs(bound[i]) + abs;
            if (!(Math.Abs(e - a) <= tol))
                Assert.Fail($"{what}: element {i} is {a:G9}, expected {e:G9} (tolerance {tol:G3}).");
        }
    }

    /// <summary>Element-wise |x|.</summary>
    public static float[] Abs(float[] x)
    {
        var r = new float[x.Length];
        for (int i = 0; i < x.Length; i++) r[i] = Math.Abs(x[i]);
        return r;
    }

    public static float[] Random(Rng rng, int size, float low = -1f, float high = 1f)
    {
        var r = new float[size];
        rng.FillUniform(r, low, high);
        return r;
    }

    /// <summary>Runs <paramref name="body"/> with <c>Threading.Threads</c> set, then restores it.</summary>
    public static void WithThreads(int threads, Action body) =>
        With(() => Loom.Kernels.Threading.Threads, v => Loom.Kernels.Threading.Threads = v, threads, body);

    /// <summary>Runs <paramref name="body"/> with <c>Convolution.UseWinograd</c> set, then restores it.</summary>
    public static void WithWinograd(bool on, Action body) =>
        With(() => Loom.Kernels.Convolution.UseWinograd, v => Loom.Kernels.Convolution.UseWinograd = v, on, body);

    /// <summary>Runs <paramref name="body"/> with a process-wide setting changed, then puts it back.</summary>
    private static void With<T>(Func<T> get, Action<T> set, T value, Action body)
    {
        T saved = get();
        try
        {
            set(value);
            body();
        }
        finally { set(saved); }
    }
}
