using Loom.Autograd;

namespace Loom;

/// <summary>How a loss combines per-sample values, as PyTorch's <c>reduction</c>.</summary>
public enum Reduction { Mean, Sum, None }

public static partial class Functional
{
    /// <summary>
    /// Cross-entropy on logits: logits (N, C), targets (N) holding class indices. Optional class
    /// weights (C), label smoothing ε, and an ignored target value. With weights, the mean divides by
    /// the summed weights of the targets, as PyTorch does.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets, Tensor? weight = null, float labelSmoothing = 0f,
        int ignoreIndex = -100, Reduction reduction = Reduction.Mean)
    {
        var (n, c, labels) = CheckClassification(logits, targets, weight, ignoreIndex, "CrossEntropyLoss");
        if (labelSmoothing < 0f || labelSmoothing > 1f) throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"CrossEntropyLoss: label smoothing must be in [0, 1], got {labelSmoothing}.");
        var logp = BufferPool.RentFloats(n * c);
        Kernels.SoftmaxKernel.Forward(logits.Data, logp, n, c, 1, log: true);
        float eps = labelSmoothing;
        float[]? w = weight?.Data;
        float wSum = 0f;
        if (w is not null) foreach (float v in w) wSum += v; else wSum = c;
        var perSample = new float[n];
        double denom = 0;
        for (int i = 0; i < n; i++)
        {
            int y = labels[i];
            if (y == ignoreIndex) continue;
            float wy = w?[y] ?? 1f;
            float nll = -logp[i * c + y];
            float smooth = 0f;
            if (eps > 0f)
                for (int j = 0; j < c; j++) smooth -= (w?[j] ?? 1f) * logp[i * c + j];
            perSample[i] = (1 - eps) * wy * nll + eps / c * smooth;
            denom += wy;
        }
        var loss = Reduce(perSample, reduction, denom);
        return Graph.Record(loss, "CrossEntropyLoss", [logits], g =>
        {
            if (w is null && eps == 0f)
            {
                PlainCrossEntropyBackward(logits, logp, labels, n, c, ignoreIndex, reduction, g, denom);
                return;
            }
            if (logits.GradBuffer() is not { } dl) return;
            for (int i = 0; i < n; i++)
            {
                int y = labels[i];
                if (y == ignoreIndex) continue;
                float gi = reduction == Reduction.None ? g[i] : reduction == Reduction.Sum ? g[0] : (float)(g[0] / denom);
                float wy = w?[y] ?? 1f;
                for (int j = 0; j < c; j++)
                {
                    float p = MathF.Exp(logp[i * c + j]);
                    float d = (1 - eps) * wy * (p - (j == y ? 1f : 0f)) + eps / c * (wSum * p - (w?[j] ?? 1f));
                    dl[i * c + j] += gi * d;
                }
            }
        });
    }

    /// <summary>
    /// The gradient of unweighted, unsmoothed cross-entropy — per row g·(softmax − one-hot) — a row at a time
    /// with vector exponentials; written rather than added when it is the first gradient to reach the logits.
    /// </summary>
    private static void PlainCrossEntropyBackward(Tensor logits, float[] logp, int[] labels, int n, int c, int ignoreIndex,
        Reduction reduction, float[] g, double denom)
    {
        if (logits.GradBufferToWrite(out bool accumulate) is not { } dl) return;
        Span<float> p = c <= 1024 ? stackalloc float[c] : new float[c];
        for (int i = 0; i < n; i++)
        {
            var row = dl.AsSpan(i * c, c);
            int y = labels[i];
            if (y == ignoreIndex)
            {
                if (!accumulate) row.Clear();
                continue;
            }
            float gi = reduction == Reduction.None ? g[i] : reduction == Reduction.Sum ? g[0] : (float)(g[0] / denom);
            System.Numerics.Tensors.TensorPrimitives.Exp(logp.AsSpan(i * c, c), p);
            if (accumulate) System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(p, gi, row, row);
            else System.Numerics.Tensors.TensorPrimitives.Multiply(p, gi, row);
            row[y] -= gi;
        }
    }

    /// <summary>Negative log-likelihood on log-probabilities (N, C) with targets (N).</summary>
    public static Tensor NllLoss(Tensor logProbs, Tensor targets, Tensor? weight = null, int ignoreIndex = -100, Reduction reduction = Reduction.Mean)
    {
        var (n, c, labels) = CheckClassification(logProbs, targets, weight, ignoreIndex, "NLLLoss");
        var perSample = new float[n];
        double denom = 0;
        for (int i = 0; i < n; i++)
        {
            int y = labels[i];
            if (y == ignoreIndex) continue;
            float wy = weight?.Data[y] ?? 1f;
            perSample[i] = -wy * logProbs.Data[i * c + y];
            denom += wy;
        }
        var loss = Reduce(perSample, reduction, denom);
        return Graph.Record(loss, "NLLLoss", [logProbs], g =>
        {
            if (logProbs.GradBuffer() is not { } dl) return;
            for (int i = 0; i < n; i++)
            {
                int y = labels[i];
                if (y == ignoreIndex) continue;
                float gi = reduction == Reduction.None ? g[i] : reduction == Reduction.Sum ? g[0] : (float)(g[0] / denom);
                dl[i * c + y] -= gi * (weight?.Data[y] ?? 1f);
            }
        });
    }

    /// <summary>Mean squared error between two tensors of the same shape.</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        if (!ShapeUtil.SameShape(input.Shape, target.Shape))
            throw new ArgumentException($"MSELoss: input {ShapeUtil.Format(input.Shape)} and target {ShapeUtil.Format(target.Shape)} differ.");
        var perElement = new float[input.Size];
        for (int i = 0; i < perElement.Length; i++) { float d = input.Data[i] - target.Data[i]; perElement[i] = d * d; }
        var loss = Reduce(perElement, reduction, input.Size, input.Shape);
        return Graph.Record(loss, "MSELoss", [input, target], g =>
        {
            var di = input.GradBuffer();
            var dt = target.GradBuffer();
            for (int i = 0; i < perElement.Length; i++)
            {
                float gi = reduction == Reduction.None ? g[i] : reduction == Reduction.Sum ? g[0] : g[0] / input.Size;
                float d = 2f * (input.Data[i] - target.Data[i]) * gi;
                if (di is not null) di[i] += d;
                if (dt is not null) dt[i] -= d;
            }
        });
    }

    /// <summary>Binary cross-entropy on logits, computed stably: max(x,0) − x·t + log(1 + e^−|x|).</summary>
    public static Tensor BceWithLogits(Tensor logits, Tensor target, Tensor? posWeight = null, Reduction reduction = Reduction.Mean)
    {
        if (!ShapeUtil.SameShape(logits.Shape, target.Shape))
            throw new ArgumentException($"BCEWithLogitsLoss: input {ShapeUtil.Format(logits.Shape)} and target {ShapeUtil.Format(target.Shape)} differ.");
        int last = logits.Rank == 0 ? 1 : logits.Shape[^1];
        if (posWeight is not null && posWeight.Size != 1 && posWeight.Size != last)
            throw new ArgumentException($"BCEWithLogitsLoss: pos_weight of shape {ShapeUtil.Format(posWeight.Shape)} does not match the last dimension ({last}).");
        var perElement = new float[logits.Size];
        for (int i = 0; i < perElement.Length; i++)
        {
            float x = logits.Data[i], t = target.Data[i];
            float pw = posWeight is null ? 1f : posWeight.Data[posWeight.Size == 1 ? 0 : i % last];
            // (1 − t)·x + (1 + (pw − 1)·t)·softplus(−x), with softplus(−x) = log(1 + e^−|x|) + max(−x, 0).
            float softplusNeg = MathF.Log(1f + MathF.Exp(-MathF.Abs(x))) + MathF.Max(-x, 0f);
            perElement[i] = (1 - t) * x + (1 + (pw - 1) * t) * softplusNeg;
        }
        var loss = Reduce(perElement, reduction, logits.Size, logits.Shape);
        return Graph.Record(loss, "BCEWithLogitsLoss", [logits], g =>
        {
            if (logits.GradBuffer() is not { } dl) return;
            for (int i = 0; i < perElement.Length; i++)
            {
                float x = logits.Data[i], t = target.Data[i];
                float pw = posWeight is null ? 1f : posWeight.Data[posWeight.Size == 1 ? 0 : i % last];
                float s = 1f / (1f + MathF.Exp(-x));
                float d = (1 - t) - (1 + (pw - 1) * t) * (1 - s);
                float gi = reduction == Reduction.None ? g[i] : reduction == Reduction.Sum ? g[0] : g[0] / logits.Size;
                dl[i] += gi * d;
            }
        });
    }

    private static Tensor Reduce(float[] values, Reduction reduction, double denom, int[]? shape = null)
    {
        if (reduction == Reduction.None) return new Tensor(values, shape ?? [values.Length]);
        double s = 0;
        foreach (float v in values) s += v;
        return Tensor.Scalar((float)(reduction == Reduction.Sum ? s : s / denom));
    }

    private static (int N, int C, int[] Labels) CheckClassification(Tensor scores, Tensor targets, Tensor? weight, int ignoreIndex, string loss)
    {
        if (scores.Rank != 2) throw new ArgumentException($"{loss}: expected input (N, C), got {ShapeUtil.Format(scores.Shape)}.");
        int n = scores.Shape[0], c = scores.Shape[1];
        if (targets.Size != n || targets.Rank != 1) throw new ArgumentException($"{loss}: expected targets (N) = ({n}), got {ShapeUtil.Format(targets.Shape)}.");
        if (weight is not null && weight.Size != c) throw new ArgumentException($"{loss}: class weights have {weight.Size} entries for {c} classes.");
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            float t = targets.Data[i];
            int y = (int)t;
            if (y != t) throw new ArgumentException($"{loss}: target {t} at position {i} is not a whole class index.");
            labels[i] = y;
        }
        for (int i = 0; i < n; i++)
            if ((labels[i] < 0 || labels[i] >= c) && labels[i] != ignoreIndex)
                throw new ArgumentException($"{loss}: target {labels[i]} at position {i} is outside the {c} classes [0, {c - 1}].");
        return (n, c, labels);
    }
}
