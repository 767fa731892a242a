using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using System.Numerics.Tensors;

namespace Loom.Kernels;

/// <summary>
/// 2-D convolution (cross-correlation) by im2col + GEMM, forward and backward.
/// x: (N, C, H, W), w: (O, C/groups, kH, kW), y: (N, O, OH, OW). A batch is split across threads,
/// one sample per task with single-threaded GEMMs; a single sample uses threaded GEMMs instead. The forward reads
/// the padded input (split into its stride phases when strided) in place as the GEMM's B where that saves work
/// (<see cref="ForwardShifted"/>); otherwise it unfolds the input row by row straight into the GEMM's packed panels
/// (<see cref="Gemm.MultiplyRows"/>) where they fit in cache. A 3×3 stride-1 forward, undilated and ungrouped, with
/// at least 8 input and output channels, an output of at least 2×2 and a transformed sample of at most 4 MB, runs by
/// Winograd's F(2×2, 3×3) instead (<see cref="Kernels.Winograd.Applies"/>, <see cref="UseWinograd"/>), and so does
/// its input gradient (<see cref="Kernels.Winograd.AppliesBackward"/>).
/// <see cref="ConvolutionReference"/> is the naive twin.
/// </summary>
public static unsafe class Convolution
{
    [ThreadStatic] private static float[]? _col;

    /// <summary>
    /// Whether 3×3 stride-1 convolutions (undilated, ungrouped, with at least 8 input and output channels: the conditions
    /// are <see cref="Kernels.Winograd.Applies"/>) run their forward and input gradient by Winograd's F(2×2, 3×3) (default true): 2.25
    /// times fewer multiply–adds, results within a few roundings of the direct convolution's rather than bit for bit
    /// for finite inputs (an infinite or near-overflow input can give NaN where the direct sum does not). As cuDNN and
    /// NNPACK choose such algorithms for PyTorch; false gives the direct convolution's bits everywhere. Not for changing
    /// while a convolution runs.
    /// </summary>
    public static bool UseWinograd { get; set; } = true;

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
        if (Winograd.Applies(g))
        {
            CheckSizes(x, w, bias, y, g.Batch * g.OutChannels * g.OutPlane, g, nameof(Forward));
            fixed (float* py = y) Winograd.Forward(x, w, bias, g, relu, new Winograd.Into(py, g.OutChannels * g.OutPlane));
            return;
        }
        bool perSample = g.Batch > 1 && Threading.Threads > 1;
        int inSize = g.InChannels * g.InPlane, outSize = g.OutChannels * g.OutPlane;
        Threading.For(g.Batch, n => ForwardSample(x.AsSpan(n * inSize, inSize), w, bias, y.AsSpan(n * outSize, outSize), g, relu, innerParallel: !perSample), perSample);
    }

    [ThreadStatic] private static float[]? _unpooled; // one sample's convolution output, before ForwardReluMaxPool pools it

    /// <summary>
    /// y = MaxPool2d(2)(ReLU(conv(x, w) + bias)) (2×2 windows, stride 2, no padding; y is (N, O, ⌊OH/2⌋, ⌊OW/2⌋)) for
    /// inference: each sample's convolution output is pooled while it is in cache, and the unpooled batch (LeNet's
    /// first convolution at batch 256: 25.7 MB) is never written. Bit for bit the three ops one after another.
    /// </summary>
    public static unsafe void ForwardReluMaxPool(float[] x, float[] w, float[]? bias, float[] y, ConvGeometry g)
    {
        int inSize = g.InChannels * g.InPlane, outSize = g.OutChannels * g.OutPlane;
        if (g.OutHeight < 2 || g.OutWidth < 2)
            throw new ArgumentException($"ForwardReluMaxPool: a {g.OutHeight}×{g.OutWidth} convolution output is too small for a 2×2 pool.");
        int pooledSize = g.OutChannels * (g.OutHeight / 2) * (g.OutWidth / 2);
        if (y.Length < g.Batch * pooledSize) throw new ArgumentException($"ForwardReluMaxPool: y has {y.Length} floats; the pooled output needs {g.Batch * pooledSize}.");
        if (Winograd.Applies(g))
        {
            CheckSizes(x, w, bias, y, g.Batch * pooledSize, g, nameof(ForwardReluMaxPool));
            fixed (float* py = y) Winograd.Forward(x, w, bias, g, relu: true, new PooledInto(py, g.OutChannels, g.OutHeight, g.OutWidth));
            return;
        }
        bool perSample = g.Batch > 1 && Threading.Threads > 1;
        if (g.Batch == 1 && Threading.Threads > 1)
        {
            // One sample: its product was threaded, and so is its pool, by channels (LeNet's first layer: 32 planes of 28×28).
            var unpooled = Unpooled(outSize);
            ForwardSample(x.AsSpan(0, inSize), w, bias, unpooled.AsSpan(0, outSize), g, relu: true, innerParallel: true);
            int parts = Math.Min(Threading.Threads, g.OutChannels), plane = g.OutPlane, pooledPlane = pooledSize / g.OutChannels;
            Threading.For(parts, p =>
            {
                int first = g.OutChannels * p / parts, last = g.OutChannels * (p + 1) / parts;
                fixed (float* pu = unpooled, py = y)
                    Pooling.MaxValues2x2(pu + (long)first * plane, last - first, g.OutHeight, g.OutWidth, py + (long)first * pooledPlane);
            });
            return;
        }
        Threading.For(g.Batch, n =>
        {
            var unpooled = Unpooled(outSize);
            ForwardSample(x.AsSpan(n * inSize, inSize), w, bias, unpooled.AsSpan(0, outSize), g, relu: true, innerParallel: !perSample);
            fixed (float* pu = unpooled, py = &y[n * pooledSize])
                Pooling.MaxValues2x2(pu, g.OutChannels, g.OutHeight, g.OutWidth, py);
        }, perSample);
    }

    /// <summary>
    /// The arrays hold what the geometry reads and writes: the Winograd forward reads and writes them by pointer, where
    /// the direct one's spans would have stopped at their ends.
    /// </summary>
    private static void CheckSizes(float[] x, float[] w, float[]? bias, float[] y, long ySize, in ConvGeometry g, string op, string xName = "x", string yName = "y")
    {
        long xSize = (long)g.Batch * g.InChannels * g.InPlane, wSize = (long)g.OutChannels * g.WeightsPerOutput;
        if (x.Length < xSize) throw new ArgumentException($"Convolution.{op}: {xName} has {x.Length} floats; {g.Batch}×{g.InChannels}×{g.InHeight}×{g.InWidth} needs {xSize}.", xName);
        if (w.Length < wSize) throw new ArgumentException($"Convolution.{op}: w has {w.Length} floats; {wSize} are needed.", nameof(w));
        if (bias is not null && bias.Length < g.OutChannels) throw new ArgumentException($"Convolution.{op}: bias has {bias.Length} floats; {g.OutChannels} output channels need as many.", nameof(bias));
        if (y.Length < ySize) throw new ArgumentException($"Convolution.{op}: {yName} has {y.Length} floats; the output needs {ySize}.", yName);
    }

    /// <summary>This thread's buffer for one sample's unpooled output (pinned: the pooling reads it by pointer).</summary>
    private static float[] Unpooled(int size)
    {
        var unpooled = _unpooled;
        if (unpooled is null || unpooled.Length < size) _unpooled = unpooled = GC.AllocateUninitializedArray<float>(size, pinned: true);
        return unpooled;
    }

    /// <summary>A Winograd forward's samples, each pooled from this thread's buffer into y as <see cref="ForwardReluMaxPool"/> does, a slice of channels at a time.</summary>
    private readonly struct PooledInto(float* y, int channels, int oh, int ow) : Winograd.ISampleOutput
    {
        public float* Begin(int n) => (float*)Unsafe.AsPointer(ref Unpooled(channels * oh * ow)[0]);

        public void End(int n, float* written, int first, int count) =>
            Pooling.MaxValues2x2(written + (long)first * oh * ow, count, oh, ow, y + ((long)n * channels + first) * (oh / 2) * (ow / 2));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardSample(ReadOnlySpan<float> xs, float[] w, float[]? bias, Span<float> ys, in ConvGeometry g, bool relu, bool innerParallel)
    {
        int plane = g.OutPlane;
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

    [ThreadStatic] private static float[]? _padded;    // one sample's padded input (its phase planes), then slack for the last rows' whole-vector loads
    [ThreadStatic] private static float[]? _grid;      // one group's product: its output on the grid, or (positions on the rows) OH·OW × og
    [ThreadStatic] private static int[]? _taps;        // each weight's offset into the padded input
    [ThreadStatic] private static int[]? _positions;   // each output position's offset into the padded input (positions on the rows)
    [ThreadStatic] private static float[]? _packedWeights; // one group's weights, transposed and packed as the product's B (positions on the rows)

    /// <summary>
    /// Whether the forward reads the padded input in place (<see cref="ForwardShifted"/>): a product the GEMM would
    /// block anyway, and then either
    /// <list type="bullet">
    /// <item>the output positions on the product's rows (<see cref="GathersPositions"/>): nothing is computed on a
    /// grid, and no unfolding is written. LeNet's first convolution (9 taps, 32 outputs) was faster unfolded than on
    /// the grid, and is faster still this way: at batch 1 on a Zen 3, 22.6 → 14.8 µs on two threads, 25.9 → 23.3 on one
    /// (medians of alternated calls; docs/performance.md, run 12);</item>
    /// <item>or, with the channels on the rows, an output at least two thirds as wide as the grid it is computed on (the
    /// grid's extra columns are work thrown away: LeNet keeps 28 of 30 and 14 of 16 columns), and an unfolded input
    /// (kg·OH·OW floats, the pass this saves) larger than the output on the grid (og·OH·Wq, the pass it adds).</item>
    /// </list>
    /// Strided convolutions qualify too, on their phase planes (speech-crnn's second: 800·400 against 32·480).
    /// </summary>
    internal static bool ReadsInPlace(in ConvGeometry g)
    {
        int wq = new StridePhases(g).Wq;
        int gridN = g.OutHeight * wq, og = g.OutChannelsPerGroup, kg = g.WeightsPerOutput;
        if (g.IsPointwise || !Gemm.Blocks(og, gridN, kg)) return false;
        return GathersPositions(g) || (3 * g.OutWidth >= 2 * wq && (long)kg * g.OutPlane > (long)og * gridN);
    }

    /// <summary>
    /// Whether the in-place forward puts the output positions on the GEMM's rows (<see cref="Gemm.MultiplyGathered"/>)
    /// rather than the output channels (<see cref="Gemm.MultiplyShifted"/>): whichever computes fewer elements once each
    /// dimension is rounded up to whole tiles. Positions on the rows are exactly OH·OW, where channels on the rows are
    /// computed over the grid's OH·Wq columns; channels on the columns fill panels of NR. LeNet's second convolution on
    /// the AVX2 family (6×16 tiles): 198·64 against 66·224 elements, 15 % fewer, and 108 → 87 µs on one Zen 3 core
    /// (docs/performance.md, "Output positions on the rows"). Few channels per group stay on the rows (5 on that family:
    /// 16 columns for 5 channels). With square tiles (128-bit, scalar) the positions always win: there are fewer of them
    /// than grid columns.
    /// </summary>
    internal static bool GathersPositions(in ConvGeometry g)
    {
        var (mr, nr, _, _) = Gemm.Blocking;
        int og = g.OutChannelsPerGroup, gridN = g.OutHeight * new StridePhases(g).Wq;
        return (long)RoundUp(g.OutPlane, mr) * RoundUp(og, nr) <= (long)RoundUp(og, mr) * RoundUp(gridN, nr);

        static int RoundUp(int x, int to) => (x + to - 1) / to * to;
    }

    /// <summary>
    /// One sample's forward without unfolding the input: on an output grid Wq wide, the unfolded row of weight
    /// (ci, i, j) — its input at every output position — is one of the input's stride phase planes read from the tap's
    /// offset on (<see cref="StridePhases"/>), so every element of the unfolded input lies in the planes, at the tap's
    /// offset plus the output position's. (At stride 1 there is one phase: the padded image, read Wp wide.) Against
    /// unfolding row by row into packed panels: no pass that writes kg·OH·OW floats (LeNet's second convolution: 225 KB,
    /// beside the next layer's 1.6 MB of weights in a 2 MB L2; speech-crnn's second: 1.25 MB a clip). The product runs
    /// one of two ways (<see cref="GathersPositions"/>):
    /// <list type="bullet">
    /// <item>positions on the rows: C (OH·OW × og) = unfoldedᵀ · Wᵀ, the unfolded input read in place as A
    /// (<see cref="Gemm.MultiplyGathered"/>) and the weights packed as B; each thread writes the output positions it
    /// computed into y, transposed, adding bias and ReLU while they are in cache;</item>
    /// <item>channels on the rows: C (og × OH·Wq) = W · unfolded on the grid, the input read in place as B
    /// (<see cref="Gemm.MultiplyShifted"/>); the last Wq − OW columns of each output row (the window running off the
    /// edge into the next row) are dropped as the output is copied out, bias and ReLU added on the way.</item>
    /// </list>
    /// The values and their order in every sum are those of the unfolding: the results are identical.
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

        if (GathersPositions(g))
        {
            ForwardGathered(padded, w, bias, ys, g, wq, channelPlanes, taps, grid, relu, innerParallel);
            return;
        }
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
    /// <see cref="ForwardShifted"/> with the output positions on the product's rows, group by group; <paramref name="product"/>
    /// holds one group's OH·OW × og product, which each thread writes out, transposed, for the positions it computed.
    /// </summary>
    private static void ForwardGathered(float[] padded, float[] w, float[]? bias, Span<float> ys, in ConvGeometry g, int wq, int channelPlanes,
        int[] taps, float[] product, bool relu, bool innerParallel)
    {
        int plane = g.OutPlane, ow = g.OutWidth, cg = g.InChannelsPerGroup, og = g.OutChannelsPerGroup, kg = g.WeightsPerOutput;
        var positions = _positions;
        if (positions is null || positions.Length < plane) _positions = positions = new int[plane];
        for (int r = 0, i = 0; r < g.OutHeight; r++)
            for (int c = 0; c < ow; c++)
                positions[i++] = r * wq + c;
        int packedSize = Gemm.PackedSize(kg, og);
        var packedWeights = _packedWeights;
        if (packedWeights is null || packedWeights.Length < packedSize) _packedWeights = packedWeights = GC.AllocateUninitializedArray<float>(packedSize);

        fixed (float* pp = padded, py = ys, pb = bias, pr = product)
        {
            for (int grp = 0; grp < g.Groups; grp++)
            {
                Gemm.Pack(true, kg, og, w.AsSpan(grp * og * kg), kg, packedWeights); // B = Wᵀ: kg × og
                int first = grp * og; // the group's first output channel
                Gemm.MultiplyGathered(plane, og, kg, pp + (long)grp * cg * channelPlanes, positions, taps, packedWeights, product, og, innerParallel,
                    new WriteOut(pr, og, py + (long)first * plane, plane, pb == null ? null : pb + first, relu));
            }
        }
    }

    /// <summary>
    /// y[o·plane + i] = product[i·og + o] (+ bias[o]; then ReLU) for positions i in [i0, i1) and channels o in [0, og):
    /// the product's rows, positions, become the output's columns. By 8×8 register transposes where AVX has them (4×4 on ARM64);
    /// the same additions and maxima (IEEE maximum, as <see cref="Activations.Relu"/>) elsewhere, so the bits agree.
    /// </summary>
    private readonly struct WriteOut(float* product, int og, float* y, int plane, float* bias, bool relu) : Gemm.IFinishedRows
    {
        public void Rows(int i0, int i1) => WriteTransposed(product, og, og, i0, i1, y, plane, bias, relu);
    }

    /// <summary>
    /// y[o·plane + i] = product[i·ld + o] (+ bias[o]; then ReLU) for positions i in [i0, i1) and channels o in [0, og):
    /// positions × channels (row stride <paramref name="ld"/>) become channels × positions.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void WriteTransposed(float* product, int ld, int og, int i0, int i1, float* y, int plane, float* bias, bool relu)
    {
        int i = i0;
        if (Avx.IsSupported)
            for (; i + 8 <= i1; i += 8)
            {
                float* src = product + (long)i * ld;
                int o = 0;
                for (; o + 8 <= og; o += 8)
                {
                    float* s = src + o;
                    var r0 = Avx.LoadVector256(s); var r1 = Avx.LoadVector256(s + ld);
                    var r2 = Avx.LoadVector256(s + 2L * ld); var r3 = Avx.LoadVector256(s + 3L * ld);
                    var r4 = Avx.LoadVector256(s + 4L * ld); var r5 = Avx.LoadVector256(s + 5L * ld);
                    var r6 = Avx.LoadVector256(s + 6L * ld); var r7 = Avx.LoadVector256(s + 7L * ld);
                    Transpose8.InPlace(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7); // channel o + q in rq
                    float* d = y + (long)o * plane + i;
                    Put(r0, d, bias, o, relu); Put(r1, d + plane, bias, o + 1, relu);
                    Put(r2, d + 2L * plane, bias, o + 2, relu); Put(r3, d + 3L * plane, bias, o + 3, relu);
                    Put(r4, d + 4L * plane, bias, o + 4, relu); Put(r5, d + 5L * plane, bias, o + 5, relu);
                    Put(r6, d + 6L * plane, bias, o + 6, relu); Put(r7, d + 7L * plane, bias, o + 7, relu);
                }
                for (; o < og; o++)
                    for (int t = 0; t < 8; t++) y[(long)o * plane + i + t] = Value(src[(long)t * ld + o], bias, o, relu);
            }
        else if (AdvSimd.Arm64.IsSupported)
            for (; i + 4 <= i1; i += 4)
            {
                float* src = product + (long)i * ld;
                int o = 0;
                for (; o + 4 <= og; o += 4)
                {
                    float* s = src + o;
                    var r0 = AdvSimd.LoadVector128(s); var r1 = AdvSimd.LoadVector128(s + ld);
                    var r2 = AdvSimd.LoadVector128(s + 2L * ld); var r3 = AdvSimd.LoadVector128(s + 3L * ld);
                    // A 4×4 transpose: pairs of rows interleaved, then pairs of pairs (as 64-bit lanes).
                    var t0 = AdvSimd.Arm64.ZipLow(r0, r1).AsDouble(); var t1 = AdvSimd.Arm64.ZipHigh(r0, r1).AsDouble();
                    var t2 = AdvSimd.Arm64.ZipLow(r2, r3).AsDouble(); var t3 = AdvSimd.Arm64.ZipHigh(r2, r3).AsDouble();
                    float* d = y + (long)o * plane + i;
                    Put128(AdvSimd.Arm64.ZipLow(t0, t2).AsSingle(), d, bias, o, relu);
                    Put128(AdvSimd.Arm64.ZipHigh(t0, t2).AsSingle(), d + plane, bias, o + 1, relu);
                    Put128(AdvSimd.Arm64.ZipLow(t1, t3).AsSingle(), d + 2L * plane, bias, o + 2, relu);
                    Put128(AdvSimd.Arm64.ZipHigh(t1, t3).AsSingle(), d + 3L * plane, bias, o + 3, relu);
                }
                for (; o < og; o++)
                    for (int t = 0; t < 4; t++) y[(long)o * plane + i + t] = Value(src[(long)t * ld + o], bias, o, relu);
            }
        for (; i < i1; i++)
            for (int o = 0; o < og; o++) y[(long)o * plane + i] = Value(product[(long)i * ld + o], bias, o, relu);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Put128(Vector128<float> v, float* d, float* bias, int o, bool relu)
        {
            if (bias != null) v += Vector128.Create(bias[o]);
            if (relu) v = Vector128.Max(v, Vector128<float>.Zero);
            v.Store(d);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Put(Vector256<float> v, float* d, float* bias, int o, bool relu)
        {
            if (bias != null) v += Vector256.Create(bias[o]);
            if (relu) v = Vector256.Max(v, Vector256<float>.Zero);
            v.Store(d);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static float Value(float v, float* bias, int o, bool relu)
        {
            if (bias != null) v += bias[o];
            return relu ? MathF.Max(v, 0f) : v;
        }
    }

    /// <summary>
    /// dx += conv_transpose(dy, w): the gradient with respect to the input; with <paramref name="accumulate"/>
    /// false, dx is overwritten (each sample's slice is cleared just before use, while it is in cache).
    /// With <paramref name="reluOutput"/> (the output of a convolution fused with ReLU), dy is first zeroed
    /// in place where that output is not positive, sample by sample.
    /// </summary>
    public static void BackwardInput(float[] dy, float[] w, float[] dx, ConvGeometry g, bool accumulate = true, float[]? reluOutput = null)
    {
        if (Winograd.AppliesBackward(g))
        {
            var t = Winograd.Transposed(g);
            CheckSizes(dy, w, null, dx, (long)g.Batch * g.InChannels * g.InPlane, t, nameof(BackwardInput), "dy", "dx");
            if (reluOutput is not null && reluOutput.Length < (long)g.Batch * g.OutChannels * g.OutPlane)
                throw new ArgumentException($"Convolution.BackwardInput: reluOutput has {reluOutput.Length} floats; the output is {(long)g.Batch * g.OutChannels * g.OutPlane}.", nameof(reluOutput));
            Winograd.BackwardInput(dy, w, dx, g, accumulate, reluOutput);
            return;
        }
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
