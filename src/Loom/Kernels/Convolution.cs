using System.Runtime.CompilerServices;
using System.Numerics.Tensors;

namespace Loom.Kernels;

/// <summary>
/// 2-D convolution (cross-correlation) by im2col + GEMM, forward and backward.
/// x: (N, C, H, W), w: (O, C/groups, kH, kW), y: (N, O, OH, OW). A batch is split across threads,
/// one sample per task with single-threaded GEMMs; a single sample uses threaded GEMMs instead. The forward reads
/// the padded input (split into its stride phases when strided) in place as the GEMM's B where that saves work
/// (<see cref="ForwardShifted"/>); otherwise it unfolds the input row by row straight into the GEMM's packed panels
/// (<see cref="Gemm.MultiplyRows"/>) where they fit in cache.
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardSample(float[] x, float[] w, float[]? bias, float[] y, in ConvGeometry g, int n, bool relu, bool innerParallel)
    {
        int plane = g.OutPlane, inSize = g.InChannels * g.InPlane, outSize = g.OutChannels * plane;
        var xs = x.AsSpan(n * inSize, inSize);
        var ys = y.AsSpan(n * outSize, outSize);
        int og = g.OutChannelsPerGroup, kg = g.WeightsPerOutput;
        if (ReadsInPlace(g))
        {
            ForwardShifted(xs, w, bias, ys, g, relu, innerParallel);
            return;
        }
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

    [ThreadStatic] private static float[]? _padded; // one sample's padded input (its phase planes), then slack for the last rows' whole-vector loads
    [ThreadStatic] private static float[]? _grid;   // one group's output on the grid
    [ThreadStatic] private static int[]? _taps;     // each weight's offset into the padded input

    /// <summary>
    /// Whether the forward reads the padded input in place (<see cref="ForwardShifted"/>): a product the GEMM would
    /// block anyway, an output at least two thirds as wide as the grid it is computed on (the grid's extra columns are
    /// work thrown away: LeNet keeps 28 of 30 and 14 of 16 columns), and an unfolded input (kg·OH·OW floats, the pass
    /// this saves) larger than the output on the grid (og·OH·Wq, the pass it adds). LeNet's second convolution reads
    /// in place (288·196 against 64·224); its first, with 9 taps and 32 outputs, is faster unfolded (9·784 against
    /// 32·840; 17.8–19.4 against 20.6–21.3 µs in alternated bench/lenet-layers.cs runs on the Xeon of
    /// docs/performance.md). Strided convolutions qualify too, on their phase planes (speech-crnn's second: 800·400
    /// against 32·480).
    /// </summary>
    internal static bool ReadsInPlace(in ConvGeometry g)
    {
        int wq = new StridePhases(g).Wq;
        int gridN = g.OutHeight * wq, og = g.OutChannelsPerGroup, kg = g.WeightsPerOutput;
        return !g.IsPointwise && 3 * g.OutWidth >= 2 * wq
            && Gemm.Blocks(og, gridN, kg) && (long)kg * g.OutPlane > (long)og * gridN;
    }

    /// <summary>
    /// One sample's forward without unfolding the input: on an output grid Wq wide, the unfolded row of weight
    /// (ci, i, j) — its input at every output position — is one of the input's stride phase planes read from the tap's
    /// offset on (<see cref="StridePhases"/>), so every row of the GEMM's B lies in the planes, shifted
    /// (<see cref="Gemm.MultiplyShifted"/>). (At stride 1 there is one phase: the padded image, read Wp wide.) The product is computed on the grid; the last
    /// Wq − OW columns of each output row (the window running off the edge into the next row) are dropped as the
    /// output is copied out, bias and ReLU added on the way. Against unfolding row by row into packed panels: no pass
    /// that writes kg·OH·OW floats (LeNet's second convolution: 225 KB, beside the next layer's 1.6 MB of weights in a
    /// 2 MB L2; speech-crnn's second: 1.25 MB a clip) and B read from planes the size of the input. The values and
    /// their order in every sum are those of the unfolding: the results are identical.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardShifted(ReadOnlySpan<float> xs, float[] w, float[]? bias, Span<float> ys, in ConvGeometry g, bool relu, bool innerParallel)
    {
        var phases = new StridePhases(g);
        int wq = phases.Wq, channelPlanes = phases.ChannelPlanes;
        int oh = g.OutHeight, ow = g.OutWidth, plane = g.OutPlane, gridN = oh * wq;
        int cg = g.InChannelsPerGroup, og = g.OutChannelsPerGroup, kg = g.WeightsPerOutput;
        int size = phases.Size(Gemm.ShiftedSlack);
        var padded = _padded;
        if (padded is null || padded.Length < size) _padded = padded = GC.AllocateUninitializedArray<float>(size, pinned: true);
        var grid = _grid;
        if (grid is null || grid.Length < og * gridN) _grid = grid = GC.AllocateUninitializedArray<float>(og * gridN, pinned: true);
        var taps = _taps;
        if (taps is null || taps.Length < kg) _taps = taps = new int[kg];

        phases.Scatter(xs, padded.AsSpan(0, size));
        for (int ci = 0, t = 0; ci < cg; ci++)
            for (int i = 0; i < g.KernelHeight; i++)
                for (int j = 0; j < g.KernelWidth; j++)
                    taps[t++] = phases.Tap(ci, i, j);

        fixed (float* pp = padded)
            for (int grp = 0; grp < g.Groups; grp++)
            {
                Gemm.MultiplyShifted(og, gridN, kg, w.AsSpan(grp * og * kg), kg, pp + (long)grp * cg * channelPlanes, taps, grid, gridN, innerParallel);
                // Row by row the copies are short (LeNet: 14 floats); bias and ReLU then go over whole planes.
                for (int o = 0; o < og; o++)
                {
                    var to = ys.Slice((grp * og + o) * plane, plane);
                    for (int r = 0; r < oh; r++) grid.AsSpan(o * gridN + r * wq, ow).CopyTo(to.Slice(r * ow, ow));
                    if (bias is not null) TensorPrimitives.Add(to, bias[grp * og + o], to);
                }
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
