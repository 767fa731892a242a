using Loom.Audio;

namespace Loom.Tests.Audio;

/// <summary>
/// The naive twin of <see cref="Resampler"/>: each output sample straight from the definition, in double precision —
/// y[k] = Σₙ x[n]·h(t − n) / Σₙ h(t − n) at t = k·in/out over every integer n the kernel reaches (outside the signal x
/// is zero), with h the resampler's own windowed sinc. No reduced ratio, no phase table, no padding, no SIMD: what
/// the fast path must reproduce.
/// </summary>
internal static class ResamplerReference
{
    public static double[] Resample(ReadOnlySpan<float> x, Resampler r)
    {
        int outLength = (int)Math.Ceiling((double)x.Length * r.OutputRate / r.InputRate - 1e-9);
        var y = new double[outLength];
        for (int k = 0; k < outLength; k++)
        {
            // t = k · in / out exactly: the integer part and the fraction kept apart so large k loses nothing.
            long num = (long)k * r.InputRate;
            long whole = num / r.OutputRate;
            double frac = (double)(num % r.OutputRate) / r.OutputRate;
            double acc = 0, norm = 0;
            for (long n = whole - (long)r.HalfWidth - 2; n <= whole + (long)r.HalfWidth + 2; n++)
            {
                double h = r.Kernel(whole - n + frac);
                norm += h;
                if (n >= 0 && n < x.Length) acc += h * x[(int)n];
            }
            y[k] = acc / norm;
        }
        return y;
    }
}
