using System.Numerics.Tensors;
using Loom.Autograd;

namespace Loom;

public static partial class Functional
{
    /// <summary>
    /// Batch normalisation over x: (N, C, …) per channel C. In training it normalises with the batch
    /// statistics and updates the running ones in place (running variance unbiased, as PyTorch); in
    /// evaluation it uses the running statistics.
    /// </summary>
    /// <remarks>
    /// A channel's values are N contiguous runs of the inner size (H·W), so every pass is a vector primitive over
    /// one run, its sum carried in double across runs; the variance is taken about the mean (two passes), never as
    /// E[x²] − E[x]², which cancels when the mean is large. Channels are independent, forward and backward, so large
    /// inputs share them out among the threads. The output is fully written, so it comes from the step's buffer pool.
    /// </remarks>
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
        var y = Tensor.Uninitialized(x.Shape, layer);
        float[] xd = x.Data, yd = y.Data;
        bool parallel = x.Size >= ParallelNormElements;

        Kernels.Threading.For(c, ch =>
        {
            float mu, variance;
            if (training)
            {
                (double m, double ss) = ChannelMoments(xd, ch, n, c, inner);
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
                var dst = yd.AsSpan(off, inner);
                TensorPrimitives.Multiply(xd.AsSpan(off, inner), scale, dst);
                TensorPrimitives.Add(dst, shift, dst);
            }
        }, parallel);

        return Graph.Record(y, layer, [x, weight, bias], g =>
        {
            var dx = x.GradBuffer();
            var dw = weight?.GradBuffer();
            var db = bias?.GradBuffer();
            Kernels.Threading.For(c, ch => BatchNormChannelBackward(ch, n, c, inner, xd, g, mean[ch], invStd[ch], weight?.Data[ch] ?? 1f, training, dx, dw, db), parallel);
        });
    }

    /// <summary>Below this many elements a batch norm runs its channels on the calling thread.</summary>
    private const int ParallelNormElements = 1 << 16;

    /// <summary>Runs (H·W values of one channel of one sample) up to this long are worked on the stack, longer ones in a pooled array.</summary>
    private const int StackRun = 2048;

    /// <summary>
    /// The mean of channel <paramref name="ch"/> and the sum of squared deviations from it, by the corrected two-pass
    /// algorithm: a first mean from float sums of each run, then the deviations from it, whose own sum corrects the
    /// mean and the squares. The deviations are small, so their float sums are accurate even where the first mean is
    /// not (values near 100 with a spread of 0.3: a plain float sum of 10³ of them in order is off by ~10⁻⁴ in the mean).
    /// </summary>
    private static (double Mean, double SumSquares) ChannelMoments(float[] xd, int ch, int n, int c, int inner)
    {
        double s = 0, count = (double)n * inner;
        for (int b = 0; b < n; b++) s += TensorPrimitives.Sum(xd.AsSpan((b * c + ch) * inner, inner));
        float first = (float)(s / count);
        float[]? rented = null;
        Span<float> centred = inner <= StackRun ? stackalloc float[inner] : (rented = System.Buffers.ArrayPool<float>.Shared.Rent(inner)).AsSpan(0, inner);
        double sc = 0, ss = 0;
        for (int b = 0; b < n; b++)
        {
            TensorPrimitives.Subtract(xd.AsSpan((b * c + ch) * inner, inner), first, centred);
            sc += TensorPrimitives.Sum(centred);
            ss += TensorPrimitives.SumOfSquares(centred);
        }
        if (rented is not null) System.Buffers.ArrayPool<float>.Shared.Return(rented);
        double shift = sc / count;
        return (first + shift, Math.Max(0, ss - count * shift * shift));
    }

    /// <summary>
    /// One channel's gradients: Σg into the bias, Σg·x̂ into the weight, and into the input
    /// dx += γ·σ⁻¹/M · (M·g − Σg − x̂·Σ(g·x̂)) with batch statistics (training), or γ·σ⁻¹·g with running ones.
    /// x̂ = (x − μ)·σ⁻¹ is recomputed per run rather than kept from the forward pass.
    /// </summary>
    private static void BatchNormChannelBackward(int ch, int n, int c, int inner, float[] xd, float[] g, float mu, float istd, float gamma,
        bool training, float[]? dx, float[]? dw, float[]? db)
    {
        float[]? rented = null;
        Span<float> xhat = inner <= StackRun ? stackalloc float[inner] : (rented = System.Buffers.ArrayPool<float>.Shared.Rent(inner)).AsSpan(0, inner);
        double sumG = 0, sumGx = 0;
        for (int b = 0; b < n; b++)
        {
            int off = (b * c + ch) * inner;
            var gi = g.AsSpan(off, inner);
            Normalized(xd.AsSpan(off, inner), mu, istd, xhat);
            sumG += TensorPrimitives.Sum(gi);
            sumGx += TensorPrimitives.Dot(gi, xhat);
        }
        if (dw is not null) dw[ch] += (float)sumGx;
        if (db is not null) db[ch] += (float)sumG;
        if (dx is not null)
        {
            int count = n * inner;
            for (int b = 0; b < n; b++)
            {
                int off = (b * c + ch) * inner;
                var gi = g.AsSpan(off, inner);
                var di = dx.AsSpan(off, inner);
                if (training)
                {
                    float k = gamma * istd / count;
                    Normalized(xd.AsSpan(off, inner), mu, istd, xhat);
                    TensorPrimitives.MultiplyAdd(xhat, -k * (float)sumGx, di, di);
                    TensorPrimitives.MultiplyAdd(gi, k * count, di, di);
                    TensorPrimitives.Add(di, -k * (float)sumG, di);
                }
                else TensorPrimitives.MultiplyAdd(gi, gamma * istd, di, di);
            }
        }
        if (rented is not null) System.Buffers.ArrayPool<float>.Shared.Return(rented);
    }

    /// <summary>x̂ = (x − μ)·σ⁻¹ into <paramref name="xhat"/>.</summary>
    private static void Normalized(ReadOnlySpan<float> x, float mu, float istd, Span<float> xhat)
    {
        TensorPrimitives.Subtract(x, mu, xhat);
        TensorPrimitives.Multiply(xhat, istd, xhat);
    }

    /// <summary>Zeroes each element with probability p in training and scales the rest by 1/(1−p).</summary>
    public static Tensor Dropout(Tensor x, float p, bool training, Rng? rng = null)
    {
        if (p < 0f || p >= 1f) throw new ArgumentOutOfRangeException(nameof(p), $"Dropout probability must be in [0, 1), got {p}.");
        if (!training || p == 0f) return x;
        var r = rng ?? Rng.Default;
        float scale = 1f / (1f - p);
        // The mask and the output are fully written, and live as long as the step: both from the step's buffer pool.
        var mask = BufferPool.RentFloats(x.Size);
        r.FillKeepMask(mask, p, scale);
        var y = Tensor.Uninitialized(x.Shape);
        TensorPrimitives.Multiply(x.Data, mask, y.Data);
        return Graph.Record(y, "Dropout", [x], g =>
        {
            if (x.GradBuffer() is { } dx) TensorPrimitives.MultiplyAdd(g, mask, dx, dx);
        });
    }
}
