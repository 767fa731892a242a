using System.Runtime.CompilerServices;
namespace Loom.Kernels;

/// <summary>
/// Connectionist temporal classification (Graves et al. 2006) for one sample: the log-space forward (alpha) and
/// backward (beta) recursions over the extended label sequence l' = (blank, l1, blank, l2, …, lL, blank) of
/// length S' = 2L + 1. Both recursions include the frame's own probability (Graves' eq. 6 and 10), so
/// alpha_t(s)·beta_t(s) / y_t(l'_s) sums over s to p(l | x) at every t.
/// </summary>
/// <remarks>
/// The sample's log-probabilities are read strided from the batch (T, N, C): frame t, class c is at
/// <c>logProbs[t * stride + c]</c> with stride = N·C, so no copy of the sample is made. The recursions run in
/// double: a path's log-probability is a sum of up to T float terms and the loss is compared with float64
/// PyTorch references. Only the states that can still reach the end (and be reached from the start) are
/// visited, as in PyTorch: at frame t the states s ∈ [S' − 2(T − t), 2t + 1].
/// </remarks>
public static class Ctc
{
    /// <summary>
    /// Fills <paramref name="alpha"/> (length·S', row t is frame t; unreachable states −∞) and returns the
    /// negative log-likelihood −log p(target | x), +∞ when no alignment fits in <paramref name="length"/> frames.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Forward(ReadOnlySpan<float> logProbs, int stride, int length, ReadOnlySpan<int> target, int blank, Span<double> alpha)
    {
        int sp = 2 * target.Length + 1;
        if (length == 0) return target.Length == 0 ? 0.0 : double.PositiveInfinity;
        alpha[..(length * sp)].Fill(double.NegativeInfinity);
        alpha[0] = logProbs[blank];
        if (sp > 1) alpha[1] = logProbs[target[0]];
        for (int t = 1; t < length; t++)
        {
            var prev = alpha.Slice((t - 1) * sp, sp);
            var cur = alpha.Slice(t * sp, sp);
            var frame = logProbs.Slice(t * stride);
            int lo = Math.Max(0, sp - 2 * (length - t)), hi = Math.Min(sp, 2 * t + 2);
            for (int s = lo; s < hi; s++)
            {
                int label = Label(target, s, blank);
                double a = prev[s];
                double b = s > 0 ? prev[s - 1] : double.NegativeInfinity;
                double c = s > 1 && label != blank && label != target[(s - 3) / 2] ? prev[s - 2] : double.NegativeInfinity;
                cur[s] = LogSumExp(a, b, c) + frame[label];
            }
        }
        var last = alpha.Slice((length - 1) * sp, sp);
        double ll = sp > 1 ? LogSumExp(last[sp - 1], last[sp - 2], double.NegativeInfinity) : last[0];
        return -ll;
    }

    /// <summary>
    /// Adds the gradient of <paramref name="scale"/>·nll with respect to the log-probabilities into
    /// <paramref name="grad"/> (strided as the input), as PyTorch computes it:
    /// scale·(exp(lp) − exp(log Σ_{s: l'_s = c} alpha_t(s)·beta_t(s) + nll − lp)) for t &lt; length, nothing for
    /// later frames. The exp(lp) term is what makes it the gradient of the logits behind a log-softmax; it is
    /// annihilated by the log-softmax backward, so the chain through a log-softmax is the true gradient.
    /// An infinite nll gives NaN, as in PyTorch (the caller zeroes it under zero_infinity).
    /// </summary>
    /// <param name="beta">Scratch of 2·S' doubles (two rolling frames).</param>
    /// <param name="lcab">Scratch of length·C doubles: log Σ alpha·beta per frame and class.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(ReadOnlySpan<float> logProbs, int stride, int length, int classes, ReadOnlySpan<int> target, int blank,
        ReadOnlySpan<double> alpha, double nll, float scale, Span<double> beta, Span<double> lcab, Span<float> grad)
    {
        if (length == 0) return;
        int sp = 2 * target.Length + 1;
        lcab[..(length * classes)].Fill(double.NegativeInfinity);
        var next = beta[..sp];
        var cur = beta.Slice(sp, sp);
        next.Fill(double.NegativeInfinity);
        {
            int t = length - 1;
            var frame = logProbs.Slice(t * stride);
            next[sp - 1] = frame[blank];
            if (sp > 1) next[sp - 2] = frame[target[^1]];
            Accumulate(alpha.Slice(t * sp, sp), next, target, blank, lcab.Slice(t * classes, classes), sp - 2, sp);
        }
        for (int t = length - 2; t >= 0; t--)
        {
            var frame = logProbs.Slice(t * stride);
            cur.Fill(double.NegativeInfinity);
            int lo = Math.Max(0, sp - 2 * (length - t)), hi = Math.Min(sp, 2 * t + 2);
            for (int s = lo; s < hi; s++)
            {
                int label = Label(target, s, blank);
                double a = next[s];
                double b = s + 1 < sp ? next[s + 1] : double.NegativeInfinity;
                double c = s + 2 < sp && label != blank && label != target[(s + 1) / 2] ? next[s + 2] : double.NegativeInfinity;
                cur[s] = LogSumExp(a, b, c) + frame[label];
            }
            Accumulate(alpha.Slice(t * sp, sp), cur, target, blank, lcab.Slice(t * classes, classes), lo, hi);
            var swap = next; next = cur; cur = swap;
        }
        for (int t = 0; t < length; t++)
        {
            var frame = logProbs.Slice(t * stride, classes);
            var g = grad.Slice(t * stride, classes);
            var row = lcab.Slice(t * classes, classes);
            for (int c = 0; c < classes; c++)
            {
                double lp = frame[c];
                g[c] += (float)((Math.Exp(lp) - Math.Exp(row[c] + nll - lp)) * scale);
            }
        }
    }

    /// <summary>lcab[l'_s] ⊕= alpha_t(s) + beta_t(s) over the frame's live states.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate(ReadOnlySpan<double> alpha, ReadOnlySpan<double> beta, ReadOnlySpan<int> target, int blank,
        Span<double> lcab, int lo, int hi)
    {
        for (int s = Math.Max(lo, 0); s < hi; s++)
        {
            double ab = alpha[s] + beta[s];
            if (double.IsNegativeInfinity(ab)) continue;
            int label = Label(target, s, blank);
            lcab[label] = LogAddExp(lcab[label], ab);
        }
    }

    private static int Label(ReadOnlySpan<int> target, int s, int blank) => (s & 1) == 0 ? blank : target[s >> 1];

    /// <summary>log(e^a + e^b), −∞ when both are.</summary>
    public static double LogAddExp(double a, double b)
    {
        if (a < b) (a, b) = (b, a);
        if (double.IsNegativeInfinity(a)) return a;
        return a + Math.Log(1.0 + Math.Exp(b - a));
    }

    private static double LogSumExp(double a, double b, double c)
    {
        double m = Math.Max(a, Math.Max(b, c));
        if (double.IsNegativeInfinity(m)) return m;
        return m + Math.Log(Math.Exp(a - m) + Math.Exp(b - m) + Math.Exp(c - m));
    }
}
