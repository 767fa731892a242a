using System.Numerics.Tensors;

namespace Loom.Kernels;

/// <summary>
/// 2-D convolution (cross-correlation) by im2col + GEMM, forward and backward.
/// x: (N, C, H, W), w: (O, C/groups, kH, kW), y: (N, O, OH, OW). A batch is split across threads,
/// one sample per task with single-threaded GEMMs; a single sample uses threaded GEMMs instead. The forward unfolds
/// the input row by row straight into the GEMM's packed panels (<see cref="Gemm.MultiplyRows"/>) where they fit in cache.
/// <see cref="ConvolutionReference"/> is the naive twin.
/// </summary>
public static unsafe class Convolution
{
    [ThreadStatic] private static float[]? _col;

    private static float[] ColumnBuffer(in ConvGeometry g)
    {
        int size = g.ColumnRows * g.OutPlane;
        var col = _col;
        if (col is null || col.Length < size) _col = col = new float[size];
        return col;
    }

    /// <summary>One sample's column matrix: the input itself for a pointwise kernel, else its im2col unfolding in this thread's buffer.</summary>
    private static ReadOnlySpan<float> Columns(ReadOnlySpan<float> xs, in ConvGeometry g)
    {
        if (g.IsPointwise) return xs;
        var buffer = ColumnBuffer(g);
        Im2Col.Unfold(xs, g, buffer);
        return buffer;
    }

    /// <summary>
    /// y = conv(x, w) + bias, or with <paramref name="relu"/> max(0, that): the activation is applied to each
    /// sample's output right after its GEMM, while it is still in cache, instead of in a separate pass over the batch.
    /// </summary>
    public static void Forward(float[] x, float[] w, float[]? bias, float[] y, ConvGeometry g, bool relu = false)
    {
        bool perSample = g.Batch > 1 && Threading.Threads > 1;
        Threading.For(g.Batch, n => ForwardSample(x, w, bias, y, g, n, relu, innerParallel: !perSample), perSample);
    }

    private static void ForwardSample(float[] x, float[] w, float[]? bias, float[] y, in ConvGeometry g, int n, bool relu, bool innerParallel)
    {
        int plane = g.OutPlane, inSize = g.InChannels * g.InPlane, outSize = g.OutChannels * plane;
        var xs = x.AsSpan(n * inSize, inSize);
        var ys = y.AsSpan(n * outSize, outSize);
        int og = g.OutChannelsPerGroup, kg = g.WeightsPerOutput;
        if (!g.IsPointwise && Gemm.PacksRows(og, plane, kg))
        {
            // The unfolded input goes straight into the GEMM's packed panels, row by row: col is never stored.
            fixed (float* px = xs)
                for (int grp = 0; grp < g.Groups; grp++)
                    Gemm.MultiplyRows(og, plane, kg, w.AsSpan(grp * og * kg), kg, new Im2Col.Rows(px, g, grp * kg),
                        ys[(grp * og * plane)..], plane, innerParallel);
        }
        else
        {
            var col = Columns(xs, g);
            for (int grp = 0; grp < g.Groups; grp++)
                Gemm.Multiply(false, false, og, plane, kg,
                    w.AsSpan(grp * og * kg), kg, col[(grp * kg * plane)..], plane, ys[(grp * og * plane)..], plane, 0f, innerParallel);
        }
        if (bias is not null)
            for (int o = 0; o < g.OutChannels; o++)
            {
                var row = ys.Slice(o * plane, plane);
                TensorPrimitives.Add(row, bias[o], row);
            }
        if (relu) Activations.Relu(ys, ys);
    }

    /// <summary>
    /// dx += conv_transpose(dy, w): the gradient with respect to the input; with <paramref name="accumulate"/>
    /// false, dx is overwritten (each sample's slice is cleared just before use, while it is in cache).
    /// With <paramref name="reluOutput"/> (the output of a convolution fused with ReLU), dy is first zeroed
    /// in place where that output is not positive, sample by sample.
    /// </summary>
    public static void BackwardInput(float[] dy, float[] w, float[] dx, ConvGeometry g, bool accumulate = true, float[]? reluOutput = null)
    {
        bool perSample = g.Batch > 1 && Threading.Threads > 1;
        Threading.For(g.Batch, n =>
        {
            int plane = g.OutPlane, inSize = g.InChannels * g.InPlane, outSize = g.OutChannels * plane;
            var dys = dy.AsSpan(n * outSize, outSize);
            if (reluOutput is not null) Activations.ReluBackward(reluOutput.AsSpan(n * outSize, outSize), dys, dys, accumulate: false);
            var dxs = dx.AsSpan(n * inSize, inSize);
            int og = g.OutChannelsPerGroup, kg = g.WeightsPerOutput;
            if (g.IsPointwise)
            {
                for (int grp = 0; grp < g.Groups; grp++)
                    Gemm.Multiply(true, false, kg, plane, og, w.AsSpan(grp * og * kg), kg, dys[(grp * og * plane)..], plane, dxs[(grp * kg * plane)..], plane, accumulate ? 1f : 0f, !perSample);
                return;
            }
            if (!accumulate) dxs.Clear();
            var col = ColumnBuffer(g);
            for (int grp = 0; grp < g.Groups; grp++)
                Gemm.Multiply(true, false, kg, plane, og, w.AsSpan(grp * og * kg), kg, dys[(grp * og * plane)..], plane, col.AsSpan(grp * kg * plane), plane, 0f, !perSample);
            Im2Col.Col2Im(col, g, dxs);
        }, perSample);
    }

    /// <summary>
    /// dw += Σ_n dy[n]·col[n]ᵀ and db += Σ dy over positions. Samples are split into fixed chunks so the sum order
    /// is deterministic. <paramref name="reluOutput"/> masks dy in place as in <see cref="BackwardInput"/>.
    /// </summary>
    public static void BackwardWeight(float[] x, float[] dy, float[]? dw, float[]? db, ConvGeometry g, float[]? reluOutput = null)
    {
        int chunks = Math.Min(g.Batch, Threading.Threads);
        bool perChunk = chunks > 1;
        // Chunk 0 adds straight into dw and db; the others into zeroed partial sums kept by the calling thread.
        var partialW = Partials(ref _partialW, chunks, dw?.Length ?? 0);
        var partialB = Partials(ref _partialB, chunks, db?.Length ?? 0);
        Threading.For(chunks, c =>
        {
            int n0 = g.Batch * c / chunks, n1 = g.Batch * (c + 1) / chunks;
            float[]? pw = dw is null ? null : (c == 0 ? dw : partialW[c]);
            float[]? pb = db is null ? null : (c == 0 ? db : partialB[c]);
            int plane = g.OutPlane, inSize = g.InChannels * g.InPlane, outSize = g.OutChannels * plane;
            int og = g.OutChannelsPerGroup, kg = g.WeightsPerOutput;
            for (int n = n0; n < n1; n++)
            {
                var dys = dy.AsSpan(n * outSize, outSize);
                if (reluOutput is not null) Activations.ReluBackward(reluOutput.AsSpan(n * outSize, outSize), dys, dys, accumulate: false);
                if (pb is not null)
                    for (int o = 0; o < g.OutChannels; o++) pb[o] += TensorPrimitives.Sum(dys.Slice(o * plane, plane));
                if (pw is null) continue;
                var col = Columns(x.AsSpan(n * inSize, inSize), g);
                for (int grp = 0; grp < g.Groups; grp++)
                    Gemm.Multiply(false, true, og, kg, plane, dys[(grp * og * plane)..], plane, col[(grp * kg * plane)..], plane, pw.AsSpan(grp * og * kg), kg, 1f, !perChunk);
            }
        }, perChunk);
        for (int c = 1; c < chunks; c++)
        {
            if (dw is not null) TensorPrimitives.Add(dw, partialW[c].AsSpan(0, dw.Length), dw);
            if (db is not null) TensorPrimitives.Add(db, partialB[c].AsSpan(0, db.Length), db);
        }
    }

    [ThreadStatic] private static float[][]? _partialW, _partialB;

    /// <summary>Zeroed partial-sum buffers of at least <paramref name="length"/> for chunks 1.., reused from call to call.</summary>
    private static float[][] Partials(ref float[][]? cache, int chunks, int length)
    {
        if (cache is null || cache.Length < chunks) cache = new float[chunks][];
        for (int c = 1; c < chunks; c++)
        {
            if (cache[c] is null || cache[c].Length < length) cache[c] = new float[length];
            else Array.Clear(cache[c], 0, length);
        }
        return cache;
    }
}
