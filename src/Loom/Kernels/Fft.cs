using System.Collections.Concurrent;

namespace Loom.Kernels;

/// <summary>
/// Where FFT plans come from: one <see cref="FftPlan"/> (complex input) or <see cref="FftRealPlan"/> (real input)
/// per length, built on first use and cached for the life of the process. Plans are immutable, so one plan serves
/// every thread at once; each caller brings its own scratch. A speech front end uses one or two lengths (400 and
/// 512 at 16 kHz), so the cache stays small; it is bounded anyway, against a caller sweeping lengths.
/// </summary>
public static class Fft
{
    /// <summary>The longest transform a plan is built for (2^24 points: 64 MB of twiddles at most).</summary>
    public const int MaxLength = 1 << 24;

    /// <summary>Distinct lengths cached per kind; past this, plans are built for the caller but not kept.</summary>
    private const int MaxCached = 256;

    private static readonly ConcurrentDictionary<int, FftPlan> Complex = new();
    private static readonly ConcurrentDictionary<int, FftRealPlan> Real = new();

    /// <summary>The complex plan of length <paramref name="n"/> (1 ≤ n ≤ <see cref="MaxLength"/>).</summary>
    public static FftPlan Plan(int n)
    {
        Check(n);
        if (Complex.TryGetValue(n, out var plan)) return plan;
        return Complex.Count < MaxCached ? Complex.GetOrAdd(n, static n => new FftPlan(n)) : new FftPlan(n);
    }

    /// <summary>The real-input plan of length <paramref name="n"/> (1 ≤ n ≤ <see cref="MaxLength"/>).</summary>
    public static FftRealPlan RealPlan(int n)
    {
        Check(n);
        if (Real.TryGetValue(n, out var plan)) return plan;
        return Real.Count < MaxCached ? Real.GetOrAdd(n, static n => new FftRealPlan(n)) : new FftRealPlan(n);
    }

    private static void Check(int n)
    {
        if (n < 1 || n > MaxLength)
            throw new ArgumentOutOfRangeException(nameof(n), n, $"An FFT length must be between 1 and {MaxLength}.");
    }
}
