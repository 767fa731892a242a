namespace Loom.Kernels;

/// <summary>
/// The naive twin of <see cref="FftPlan"/> and <see cref="FftRealPlan"/>: the DFT sum written out, O(n²), in double
/// with each angle taken from the exact integer j·k mod n (so the twin itself is accurate to double rounding).
/// Used by the tests and <c>loom doctor</c>'s self-test.
/// </summary>
public static class FftReference
{
    /// <summary>X[k] = Σ_j (re + i·im)[j]·exp(−2πi·jk/n), n = inRe.Length, into (outRe, outIm).</summary>
    public static void Forward(ReadOnlySpan<float> inRe, ReadOnlySpan<float> inIm, Span<float> outRe, Span<float> outIm)
    {
        int n = inRe.Length;
        for (int k = 0; k < n; k++)
        {
            double sr = 0, si = 0;
            for (int j = 0; j < n; j++)
            {
                var (s, c) = Math.SinCos(2 * Math.PI * ((long)j * k % n) / n);
                sr += inRe[j] * c + inIm[j] * s;
                si += inIm[j] * c - inRe[j] * s;
            }
            outRe[k] = (float)sr;
            outIm[k] = (float)si;
        }
    }

    /// <summary>The ⌊n/2⌋ + 1 bins of the DFT of n = x.Length real samples.</summary>
    public static void RealForward(ReadOnlySpan<float> x, Span<float> re, Span<float> im)
    {
        int n = x.Length;
        for (int k = 0; k <= n / 2; k++)
        {
            double sr = 0, si = 0;
            for (int j = 0; j < n; j++)
            {
                var (s, c) = Math.SinCos(2 * Math.PI * ((long)j * k % n) / n);
                sr += x[j] * c;
                si -= x[j] * s;
            }
            re[k] = (float)sr;
            im[k] = (float)si;
        }
    }
}
