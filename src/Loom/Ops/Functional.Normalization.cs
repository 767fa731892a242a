using Loom.Autograd;

namespace Loom;

public static partial class Functional
{
    /// <summary>
    /// Batch normalisation over x: (N, C, …) per channel C. In training it normalises with the batch
    /// statistics and updates the running ones in place (running variance unbiased, as PyTorch); in
    /// evaluation it uses the running statistics.
    /// </summary>
    public static Tensor BatchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor? weight, Tensor? bias,
        bool training, float momentum = 0.1f, float eps = 1e-5f, string layer = "BatchNorm")
    {
        int c = runningMean.Size;
        if (x.Rank < 2 || x.Shape[1] != c)
            throw new ArgumentException($"{layer}: expected input (N, {c}, …), got {ShapeUtil.Format(x.Shape)}.");
        int n = x.Shape[0], inner = x.Size / (n * c), count = n * inner;
        if (training && count <= 1)
            throw new ArgumentException($"{layer}: training needs more than one value per channel, got input {ShapeUtil.Format(x.Shape)}.");
        var mean = new float[c];
        var invStd = new float[c];
        var y = Tensor.Zeros(x.Shape);
        float[] xd = x.Data, yd = y.Data;

        for (int ch = 0; ch < c; ch++)
        {
            float mu, variance;
            if (training)
            {
                double s = 0, ss = 0;
                for (int b = 0; b < n; b++)
                {
                    var span = xd.AsSpan((b * c + ch) * inner, inner);
                    foreach (float v in span) s += v;
                }
                double m = s / count;
                for (int b = 0; b < n; b++)
                {
                    var span = xd.AsSpan((b * c + ch) * inner, inner);
                    foreach (float v in span) { double d = v - m; ss += d * d; }
                }
                mu = (float)m;
                variance = (float)(ss / count);
                runningMean.Data[ch] = (1 - momentum) * runningMean.Data[ch] + momentum * mu;
                runningVar.Data[ch] = (1 - momentum) * runningVar.Data[ch] + momentum * (float)(ss / (count - 1));
            }
            else
            {
                mu = runningMean.Data[ch];
                variance = runningVar.Data[ch];
            }
            mean[ch] = mu;
            invStd[ch] = 1f / MathF.Sqrt(variance + eps);
            float scale = (weight?.Data[ch] ?? 1f) * invStd[ch], shift = (bias?.Data[ch] ?? 0f) - mu * scale;
            for (int b = 0; b < n; b++)
            {
                int off = (b * c + ch) * inner;
                for (int i = 0; i < inner; i++) yd[off + i] = xd[off + i] * scale + shift;
            }
        }

        return Graph.Record(y, layer, [x, weight, bias], g =>
        {
            var dx = x.GradBuffer();
            var dw = weight?.GradBuffer();
            var db = bias?.GradBuffer();
            for (int ch = 0; ch < c; ch++)
            {
                double sumG = 0, sumGx = 0;
                float mu = mean[ch], istd = invStd[ch];
                for (int b = 0; b < n; b++)
                {
                    int off = (b * c + ch) * inner;
                    for (int i = 0; i < inner; i++)
                    {
                        float gi = g[off + i];
                        sumG += gi;
                        sumGx += gi * (xd[off + i] - mu) * istd;
                    }
                }
                if (dw is not null) dw[ch] += (float)sumGx;
                if (db is not null) db[ch] += (float)sumG;
                if (dx is null) continue;
                float gamma = weight?.Data[ch] ?? 1f;
                if (training)
                {
                    // dx = γ·σ⁻¹/M · (M·g − Σg − x̂·Σ(g·x̂))
                    float k = gamma * istd / count, mg = (float)sumG, mgx = (float)sumGx;
                    for (int b = 0; b < n; b++)
                    {
                        int off = (b * c + ch) * inner;
                        for (int i = 0; i < inner; i++)
                        {
                            float xhat = (xd[off + i] - mu) * istd;
                            dx[off + i] += k * (count * g[off + i] - mg - xhat * mgx);
                        }
                    }
                }
                else
                {
                    float k = gamma * istd;
                    for (int b = 0; b < n; b++)
                    {
                        int off = (b * c + ch) * inner;
                        for (int i = 0; i < inner; i++) dx[off + i] += k * g[off + i];
                    }
                }
            }
        });
    }

    /// <summary>Zeroes each element with probability p in training and scales the rest by 1/(1−p).</summary>
    public static Tensor Dropout(Tensor x, float p, bool training, Rng? rng = null)
    {
        if (p < 0f || p >= 1f) throw new ArgumentOutOfRangeException(nameof(p), $"Dropout probability must be in [0, 1), got {p}.");
        if (!training || p == 0f) return x;
        var r = rng ?? Rng.Default;
        float scale = 1f / (1f - p);
        var mask = new float[x.Size];
        for (int i = 0; i < mask.Length; i++) mask[i] = r.NextFloat() >= p ? scale : 0f;
        var y = Tensor.Zeros(x.Shape);
        System.Numerics.Tensors.TensorPrimitives.Multiply(x.Data, mask, y.Data);
        return Graph.Record(y, "Dropout", [x], g =>
        {
            if (x.GradBuffer() is { } dx) System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(g, mask, dx, dx);
        });
    }
}
