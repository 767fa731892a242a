using System.Buffers;
using Loom.Autograd;

namespace Loom;

public static partial class Functional
{
    /// <summary>
    /// Connectionist temporal classification loss, with PyTorch's <c>F.ctc_loss</c> semantics.
    /// </summary>
    /// <param name="logProbs">(T, N, C) log-softmax outputs: T frames, N samples, C classes including the blank.</param>
    /// <param name="targets">
    /// Labels as float32 whole numbers: (N, S) padded (sample i's labels are the first targetLengths[i] of row
    /// i, S ≥ every target length), or (Σ targetLengths) concatenated, as PyTorch allows.
    /// </param>
    /// <param name="inputLengths">(N) frames used per sample, each in [0, T].</param>
    /// <param name="targetLengths">(N) labels per sample, each ≥ 0.</param>
    /// <param name="blank">The blank class, in [0, C); no target may hold it.</param>
    /// <param name="reduction">
    /// None: the (N) per-sample losses; Sum: their sum; Mean: each loss divided by its target length (at least 1),
    /// then averaged over the batch.
    /// </param>
    /// <param name="zeroInfinity">
    /// Whether an infinite loss (no alignment of the target fits in its input length) and its gradient become 0.
    /// Without it such a sample's loss is +∞ and its gradient NaN, as PyTorch's.
    /// </param>
    /// <remarks>
    /// The gradient reaching <paramref name="logProbs"/> is PyTorch's: exp(lp) − (posterior of c at t), which is the
    /// gradient of the logits behind a log-softmax (the exp(lp) term sums to 1 per frame and the log-softmax
    /// backward cancels it). Frames at or past a sample's input length get no gradient. Samples run in parallel
    /// when the batch is big enough to pay for it. An input length of 0 gives loss 0 for an empty target and +∞
    /// otherwise (PyTorch reads outside the sample there).
    /// </remarks>
    public static Tensor CtcLoss(Tensor logProbs, Tensor targets, int[] inputLengths, int[] targetLengths, int blank = 0,
        Reduction reduction = Reduction.Mean, bool zeroInfinity = false)
    {
        var (t, n, c) = CtcShapes(logProbs, inputLengths, targetLengths, blank);
        var (labels, offsets) = CtcTargets(targets, targetLengths, n, c, blank);

        // One alpha block per sample, kept for the backward: sample i owns inputLengths[i]·(2L + 1) doubles.
        var alphaOffsets = new long[n + 1];
        for (int i = 0; i < n; i++) alphaOffsets[i + 1] = alphaOffsets[i] + (long)inputLengths[i] * (2 * targetLengths[i] + 1);
        if (alphaOffsets[n] > Array.MaxLength)
            throw new ArgumentException($"CtcLoss: the forward variables of this batch need {alphaOffsets[n]} values, more than one array holds; split the batch.");
        var alpha = new double[alphaOffsets[n]];
        var nll = new double[n];
        int stride = n * c;
        var lp = logProbs.Data;
        bool parallel = alphaOffsets[n] >= 20_000;
        Kernels.Threading.For(n, i =>
        {
            int len = inputLengths[i];
            var sampleAlpha = alpha.AsSpan((int)alphaOffsets[i], (int)(alphaOffsets[i + 1] - alphaOffsets[i]));
            nll[i] = Kernels.Ctc.Forward(lp.AsSpan(i * c), stride, len, labels.AsSpan(offsets[i], targetLengths[i]), blank, sampleAlpha);
        }, parallel);

        var perSample = new float[n];
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            double v = zeroInfinity && double.IsPositiveInfinity(nll[i]) ? 0.0 : nll[i];
            perSample[i] = (float)v;
            total += reduction == Reduction.Mean ? v / Math.Max(targetLengths[i], 1) : v;
        }
        var loss = reduction switch
        {
            Reduction.None => new Tensor(perSample, n),
            Reduction.Sum => Tensor.Scalar((float)total),
            _ => Tensor.Scalar((float)(total / n)),
        };

        return Graph.Record(loss, "CtcLoss", [logProbs], g =>
        {
            if (logProbs.GradBuffer() is not { } dl) return;
            Kernels.Threading.For(n, i =>
            {
                if (zeroInfinity && double.IsPositiveInfinity(nll[i])) return;
                int len = inputLengths[i], target = targetLengths[i], sp = 2 * target + 1;
                float scale = reduction switch
                {
                    Reduction.None => g[i],
                    Reduction.Sum => g[0],
                    _ => (float)(g[0] / ((double)n * Math.Max(target, 1))),
                };
                var beta = ArrayPool<double>.Shared.Rent(2 * sp);
                var lcab = ArrayPool<double>.Shared.Rent(Math.Max(len * c, 1));
                try
                {
                    var sampleAlpha = alpha.AsSpan((int)alphaOffsets[i], len * sp);
                    Kernels.Ctc.Backward(lp.AsSpan(i * c), stride, len, c, labels.AsSpan(offsets[i], target), blank,
                        sampleAlpha, nll[i], scale, beta, lcab, dl.AsSpan(i * c));
                }
                finally
                {
                    ArrayPool<double>.Shared.Return(beta);
                    ArrayPool<double>.Shared.Return(lcab);
                }
            }, parallel);
        });
    }

    private static (int T, int N, int C) CtcShapes(Tensor logProbs, int[] inputLengths, int[] targetLengths, int blank)
    {
        if (logProbs.Rank != 3)
            throw new ArgumentException($"CtcLoss: expected log-probabilities (T, N, C), got {ShapeUtil.Format(logProbs.Shape)}.");
        int t = logProbs.Shape[0], n = logProbs.Shape[1], c = logProbs.Shape[2];
        if (n == 0 || c == 0)
            throw new ArgumentException($"CtcLoss: log-probabilities {ShapeUtil.Format(logProbs.Shape)} hold no sample or no class.");
        if (blank < 0 || blank >= c)
            throw new ArgumentOutOfRangeException(nameof(blank), $"CtcLoss: blank {blank} is outside the {c} classes [0, {c - 1}] of log-probabilities {ShapeUtil.Format(logProbs.Shape)}.");
        if (inputLengths.Length != n)
            throw new ArgumentException($"CtcLoss: {inputLengths.Length} input lengths for a batch of {n} (log-probabilities {ShapeUtil.Format(logProbs.Shape)}).");
        if (targetLengths.Length != n)
            throw new ArgumentException($"CtcLoss: {targetLengths.Length} target lengths for a batch of {n} (log-probabilities {ShapeUtil.Format(logProbs.Shape)}).");
        for (int i = 0; i < n; i++)
        {
            if (inputLengths[i] < 0 || inputLengths[i] > t)
                throw new ArgumentException($"CtcLoss: input length {inputLengths[i]} of sample {i} is outside [0, {t}] (log-probabilities {ShapeUtil.Format(logProbs.Shape)}).");
            if (targetLengths[i] < 0)
                throw new ArgumentException($"CtcLoss: target length {targetLengths[i]} of sample {i} is negative.");
        }
        return (t, n, c);
    }

    /// <summary>The labels as integers, and where each sample's labels start in them.</summary>
    private static (int[] Labels, int[] Offsets) CtcTargets(Tensor targets, int[] targetLengths, int n, int c, int blank)
    {
        var offsets = new int[n];
        long sum = 0;
        foreach (int l in targetLengths) sum += l;
        if (targets.Rank == 2)
        {
            if (targets.Shape[0] != n)
                throw new ArgumentException($"CtcLoss: padded targets {ShapeUtil.Format(targets.Shape)} have {targets.Shape[0]} rows for a batch of {n}.");
            int s = targets.Shape[1];
            for (int i = 0; i < n; i++)
            {
                if (targetLengths[i] > s)
                    throw new ArgumentException($"CtcLoss: target length {targetLengths[i]} of sample {i} exceeds the {s} columns of padded targets {ShapeUtil.Format(targets.Shape)}.");
                offsets[i] = i * s;
            }
        }
        else if (targets.Rank == 1)
        {
            if (targets.Size != sum)
                throw new ArgumentException($"CtcLoss: concatenated targets {ShapeUtil.Format(targets.Shape)} hold {targets.Size} labels, but the target lengths add up to {sum}.");
            int at = 0;
            for (int i = 0; i < n; i++) { offsets[i] = at; at += targetLengths[i]; }
        }
        else
        {
            throw new ArgumentException($"CtcLoss: expected targets (N, S) padded or (Σ target lengths) concatenated, got {ShapeUtil.Format(targets.Shape)}.");
        }

        var labels = new int[targets.Size];
        var data = targets.Data;
        for (int i = 0; i < n; i++)
        {
            for (int j = offsets[i]; j < offsets[i] + targetLengths[i]; j++)
            {
                float v = data[j];
                int y = (int)v;
                if (y != v || y < 0 || y >= c)
                    throw new ArgumentException($"CtcLoss: label {v} at position {j - offsets[i]} of sample {i}'s target is not a class index in [0, {c - 1}].");
                if (y == blank)
                    throw new ArgumentException($"CtcLoss: label at position {j - offsets[i]} of sample {i}'s target is the blank ({blank}); targets hold only non-blank classes.");
                labels[j] = y;
            }
        }
        return (labels, offsets);
    }
}
