using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Loom.Kernels;

/// <summary>
/// The forward (and the input gradient) of a 3×3, stride-1 convolution by Winograd's minimal filtering F(2×2, 3×3) (Lavin and Gray, "Fast
/// Algorithms for Convolutional Neural Networks", 2016): each 2×2 block of outputs — a tile — is computed from the 4×4
/// input patch under it with 16 multiplications per input and output channel instead of 36. Per tile and channel,
///   V = Bᵀ d B (the 4×4 patch d transformed), U = G g Gᵀ (the 3×3 filter g transformed), Y = Aᵀ [Σ_c U ⊙ V] A,
/// and the sum over input channels of the 16 elementwise products is 16 independent products
/// M_ξ (tiles × O) = V_ξ (tiles × C) · U_ξ (C × O), one per element ξ of the 4×4 transform: 2.25 times fewer
/// multiply–adds than the direct convolution, plus transforms that are additions only (and halvings of the filter).
/// LeNet's second convolution (32 → 64 channels on 14×14) is 3.6 M multiply–adds direct, 1.6 M here.
/// <para>
/// The result is not bit for bit the direct convolution's: the transforms round differently. For finite inputs of
/// ordinary size the differences are of the order of a float's rounding of the sums' terms (the coefficients are 0, ±1
/// and ±½; F(2×2, 3×3) is the best-conditioned of the family), tested against <see cref="ConvolutionReference"/> with a
/// stated tolerance. A NaN reaches exactly the outputs whose window holds it. An infinite input, or one near the float
/// range's end (about 10³⁸), can give NaN where the direct sum gives ±∞ or a finite value: the transforms add and
/// subtract inputs before any weight scales them. The input gradient of such a convolution is itself one — dy
/// convolved by the filters turned by 180°, their channels swapped (<see cref="BackwardInput"/>) — and runs this way
/// too; the weight gradient stays direct.
/// </para>
/// <para>
/// The transformed weights are kept beside the weights they came from (<see cref="Prepared"/>), with a copy of those
/// weights: a later call whose weights are equal, bit for bit, to the copy reuses them (comparing costs a read of the
/// weights; transforming them, several), and calls from several threads at once share them. So inference transforms a
/// layer's weights once, as ONNX Runtime prepacks at session start, and a training step — new weights — transforms
/// them once for the whole batch.
/// </para>
/// Layouts: V is [ξ][c][tile row][tile column] (each tile row a whole number of vectors), so that the input transform
/// stores whole vectors of tiles and the product reads A in place (<see cref="Gemm.MultiplyGathered"/>); U_ξ is packed as the
/// product's B; M is [ξ][tile][o], so the output transform runs over vectors of output channels and writes the
/// positions-on-the-rows layout that <see cref="Convolution.WriteTransposed"/> turns into (O, OH, OW) with bias and ReLU.
/// </summary>
internal static unsafe class Winograd
{
    /// <summary>The 16 elements of a 4×4 transform.</summary>
    private const int Elements = 16;

    /// <summary>
    /// Whether <see cref="Forward"/> computes this convolution: 3×3, stride 1, undilated, ungrouped, at least 8 input and
    /// 8 output channels (fewer, and the transforms cost more than the multiplications they save: LeNet's first
    /// convolution has one input channel), an output of at least 2×2, and a transformed sample V of at most
    /// <see cref="MaxTransformedFloats"/>.
    /// </summary>
    internal static bool Applies(in ConvGeometry g) =>
        Convolution.UseWinograd && g.KernelHeight == 3 && g.KernelWidth == 3 && g.StrideH == 1 && g.StrideW == 1
        && g.DilationH == 1 && g.DilationW == 1 && g.Groups == 1 && g.InChannels >= 8 && g.OutChannels >= 8
        && g.OutHeight >= 2 && g.OutWidth >= 2 && (long)Elements * g.InChannels * new Plan(g).TileStride <= MaxTransformedFloats;

    /// <summary>
    /// The largest transformed sample (16 × C × tiles, a thread's buffer) taken: 4 MB. A whole sample's V is written
    /// before its products read it, so a large image (224×224 with 64 channels: 51 MB) would stream it through memory
    /// twice; such images keep the direct convolution until the transform goes band by band of tile rows. LeNet's
    /// second layer: 115 KB; 28×28 with 64 channels: 918 KB. The size is of V as laid out, tile rows rounded up to
    /// whole vectors, so within a vector's width of the limit a geometry can take Winograd on one CPU and not another.
    /// </summary>
    internal const long MaxTransformedFloats = 1L << 20;

    /// <summary>Tile counts and strides of one geometry.</summary>
    private readonly struct Plan
    {
        public readonly int C, O, H, W, OH, OW, PadH, PadW;
        // TileStride: V's row stride, TileRows·ZStride: each tile row starts a whole number of vectors in, so that the
        // input transform's stores are whole, aligned vectors; the product's rows skip the columns past TileCols.
        public readonly int TileRows, TileCols, Tiles, TileStride;
        // A transformed row's stride (the tile columns rounded up to whole vectors), and the zero-padded input's: the
        // transform across reads 2·ZStride + 2 of its columns (two for each tile column and the next tile's two), which
        // hold the image's W + PadW (2·TileCols ≥ OW = W + 2·PadW − 2).
        public readonly int ZStride, PaddedWidth;

        public Plan(in ConvGeometry g)
        {
            int lanes = Vector<float>.Count;
            (C, O, H, W, OH, OW, PadH, PadW) = (g.InChannels, g.OutChannels, g.InHeight, g.InWidth, g.OutHeight, g.OutWidth, g.PadH, g.PadW);
            TileRows = (OH + 1) / 2;
            TileCols = (OW + 1) / 2;
            Tiles = TileRows * TileCols;
            ZStride = RoundUp(TileCols, lanes);
            TileStride = TileRows * ZStride;
            PaddedWidth = 2 * ZStride + lanes;
        }

        /// <summary>Rows of the zero-padded input the tiles cover.</summary>
        public int PaddedRows => 2 * TileRows + 2;
        public int VSize => Elements * C * TileStride;
    }

    /// <summary>One thread's output channels [First, First + Count), a multiple of the tile's width from the start.</summary>
    private readonly record struct Slice(int First, int Count)
    {
        public int Padded => RoundUp(Count, Vector<float>.Count);
    }

    /// <summary>A thread's working buffers, grown as needed and kept.</summary>
    private sealed class Scratch
    {
        public float[]? V, M, Positions, Transposed, U, Padded, Z, Sum;
        public int[]? Rows, Depths;
        public (int Rows, int Width, int PadH, int PadW, int H, int W) PaddedShape; // what Padded's zero border was cleared for
    }

    [ThreadStatic] private static Scratch? _scratch;

    private static Scratch Mine => _scratch ??= new Scratch();

    /// <summary>
    /// A pinned buffer of at least <paramref name="size"/> floats from a 64-byte boundary, so that whole-vector rows do
    /// not straddle cache lines. Zeroed when new (the padded plane's border relies on it); slack past what a step
    /// writes keeps whatever an earlier call left, which only lanes that are thrown away read.
    /// </summary>
    private static float* Buffer(ref float[]? buffer, int size)
    {
        if (size < 0) throw new OverflowException($"Winograd: a scratch buffer of {size} floats (a size that overflowed).");
        if (buffer is null || buffer.Length < size + 16) buffer = GC.AllocateArray<float>(size + 16, pinned: true);
        nint start = (nint)Unsafe.AsPointer(ref buffer[0]);
        return (float*)((start + 63) & ~(nint)63);
    }

    /// <summary>
    /// A weight tensor's transformed weights for one split into slices under one GEMM family, and a copy of the
    /// weights they were made from. Any number of forwards may read it at once (<see cref="State"/> counts them); one
    /// that finds it out of date rewrites it if it reads alone, and otherwise works on a private one, so that callers
    /// serving one model from several threads share it while the weights stay put.
    /// </summary>
    private sealed class Prepared
    {
        public int State; // the forwards reading it (≥ 0), or −1 while one rewrites it
        public bool Flipped; // the input gradient's weights (BackwardInput): every slice made from all of the weights
        public float[] Source = [];
        public float[] Packed = [];
        public Slice[] Slices = [];
        public int[] Offsets = [];
        public (int C, int O, int Parts, Gemm.Isa Family) Layout;
        public bool[] Valid = [];

        public bool Fits(in Plan plan, int parts, Gemm.Isa family, int weights) =>
            Layout == (plan.C, plan.O, parts, family) && Source.Length == weights;

        /// <summary>
        /// Sets the layout for these slices (forgetting what was prepared if it changes). Everything is allocated before
        /// any field changes, so that a failure (out of memory) leaves the old layout whole, not a mix that still fits.
        /// </summary>
        public void Shape(in Plan plan, int parts, Gemm.Isa family, int weights)
        {
            if (Fits(plan, parts, family, weights)) return;
            int nr = Gemm.Blocking.NR, panels = (plan.O + nr - 1) / nr;
            var slices = new Slice[parts];
            var offsets = new int[parts];
            int total = 0;
            for (int p = 0; p < parts; p++)
            {
                int first = panels * p / parts * nr, last = Math.Min(plan.O, panels * (p + 1) / parts * nr);
                slices[p] = new Slice(first, last - first);
                offsets[p] = total;
                total = checked(total + Elements * Gemm.PackedSize(plan.C, last - first));
            }
            var packed = GC.AllocateUninitializedArray<float>(total, pinned: true);
            var source = GC.AllocateUninitializedArray<float>(weights, pinned: true);
            var valid = new bool[parts];
            (Slices, Offsets, Packed, Source, Valid, Layout) = (slices, offsets, packed, source, valid, (plan.C, plan.O, parts, family));
        }

        /// <summary>
        /// Whether slice p's transformed weights are those of <paramref name="w"/>: compared as bytes, bit for bit (float
        /// equality would call −0 and 0 equal, and never match a NaN), and vectorised. each slice is made from all of the weights, so this compares part p of them and answers for all.
        /// </summary>
        public bool Current(float[] w, in Plan plan, int p)
        {
            var (from, count) = Compared(plan, p);
            return (Flipped ? !Valid.AsSpan().Contains(false) : Valid[p])
                && MemoryMarshal.AsBytes(w.AsSpan(from, count)).SequenceEqual(MemoryMarshal.AsBytes(Source.AsSpan(from, count)));
        }

        /// <summary>The weights slice p is made from: its filters; flipped, the p-th of as many equal runs of all of them.</summary>
        private (int From, int Count) Compared(in Plan plan, int p)
        {
            if (!Flipped) return (Slices[p].First * plan.C * 9, Slices[p].Count * plan.C * 9);
            int all = plan.C * plan.O * 9, parts = Slices.Length;
            return ((int)((long)all * p / parts), (int)((long)all * (p + 1) / parts) - (int)((long)all * p / parts));
        }

        /// <summary>
        /// Makes slice p's transformed weights those of <paramref name="w"/>, unless they already are; the writer only.
        /// Flipped, all slices at once (so not from several threads). The weights are copied first and transformed from
        /// the copy, so that the copy is always what the transform was made from: a write into w meanwhile (an optimizer
        /// step on another thread) is then seen as a change by the next forward, never taken for the kept transform.
        /// </summary>
        public void Refresh(float[] w, in Plan plan, int p)
        {
            if (Flipped)
            {
                bool current = true;
                for (int q = 0; q < Slices.Length && current; q++) current = Current(w, plan, q);
                if (current) return;
                Array.Clear(Valid); // until every transform is complete
                w.AsSpan(0, plan.C * plan.O * 9).CopyTo(Source);
                fixed (float* ps = Source)
                    for (int q = 0; q < Slices.Length; q++)
                        fixed (float* pp = &Packed[Offsets[q]]) PrepareWeights(ps, plan, Slices[q], pp, flipped: true);
                Array.Fill(Valid, true);
                return;
            }
            if (Current(w, plan, p)) return;
            var (from, count) = Compared(plan, p);
            Valid[p] = false; // until the transform is complete
            w.AsSpan(from, count).CopyTo(Source.AsSpan(from, count));
            fixed (float* ps = Source, pp = &Packed[Offsets[p]]) PrepareWeights(ps, plan, Slices[p], pp, flipped: false); // reads only slice p's filters
            Valid[p] = true;
        }
    }

    /// <summary>Prepared weights as a forward holds them: reading, or alone to rewrite them (a private copy is always that).</summary>
    private readonly record struct Hold(Prepared Prepared, bool Writer);

    private static readonly ConditionalWeakTable<float[], Prepared> PreparedFor = new(), FlippedFor = new();

    /// <summary>
    /// The transformed weights kept for <paramref name="w"/>, laid out for these slices: read alongside other forwards
    /// where the layout fits; to rewrite where it does not and no other forward reads it; else a private copy.
    /// </summary>
    private static Hold Acquire(float[] w, in Plan plan, int parts, Gemm.Isa family, bool flipped)
    {
        var kept = flipped ? FlippedFor.GetValue(w, _ => new Prepared { Flipped = true }) : PreparedFor.GetValue(w, _ => new Prepared());
        for (int state = Volatile.Read(ref kept.State); state >= 0; state = Volatile.Read(ref kept.State))
        {
            if (Interlocked.CompareExchange(ref kept.State, state + 1, state) != state) continue;
            if (kept.Fits(plan, parts, family, w.Length)) return new Hold(kept, Writer: false);
            var reader = new Hold(kept, false);
            Hold writer;
            try
            {
                writer = Upgrade(reader, plan, parts, family, w.Length);
            }
            catch
            {
                Release(reader); // Upgrade keeps the read hold when it fails
                throw;
            }
            Shaped(writer, plan, parts, family, w.Length);
            return writer;
        }
        return Private(plan, parts, family, w.Length, flipped);
    }

    /// <summary>
    /// A reader becomes the writer if it reads alone; otherwise it takes a private copy and then lets go, so that a
    /// failure to make the copy leaves the hold as it was (and its caller releases it once, as a reader).
    /// </summary>
    private static Hold Upgrade(Hold hold, in Plan plan, int parts, Gemm.Isa family, int weights)
    {
        if (hold.Writer) return hold;
        if (Interlocked.CompareExchange(ref hold.Prepared.State, -1, 1) == 1) return new Hold(hold.Prepared, Writer: true);
        var copy = Private(plan, parts, family, weights, hold.Prepared.Flipped);
        Interlocked.Decrement(ref hold.Prepared.State);
        return copy;
    }

    private static Hold Private(in Plan plan, int parts, Gemm.Isa family, int weights, bool flipped)
    {
        var hold = new Hold(new Prepared { State = -1, Flipped = flipped }, Writer: true);
        Shaped(hold, plan, parts, family, weights);
        return hold;
    }

    /// <summary>Shapes a writer's weights; an allocation that fails must not leave them held for good.</summary>
    private static void Shaped(Hold writer, in Plan plan, int parts, Gemm.Isa family, int weights)
    {
        try
        {
            writer.Prepared.Shape(plan, parts, family, weights);
        }
        catch
        {
            Release(writer);
            throw;
        }
    }

    private static void Release(Hold hold)
    {
        if (hold.Writer) Volatile.Write(ref hold.Prepared.State, 0);
        else Interlocked.Decrement(ref hold.Prepared.State);
    }

    /// <summary>
    /// Unless every slice is known to be current, a reader becomes the writer or takes a private copy, and every slice is
    /// brought up to date, on this thread. The hold is updated before anything can fail, so that it is released as held.
    /// </summary>
    private static void UpToDate(ref Hold hold, ReadOnlySpan<bool> current, float[] w, in Plan plan, int parts, Gemm.Isa family)
    {
        if (!current.Contains(false)) return;
        hold = Upgrade(hold, plan, parts, family, w.Length);
        for (int p = 0; p < parts; p++) hold.Prepared.Refresh(w, plan, p);
    }

    /// <summary>
    /// Where each sample's output goes: <see cref="Begin"/> gives its (O, OH, OW) buffer; <see cref="End"/> is told, on
    /// the thread that wrote them, when channels [first, first + count) of it are final (one sample on several threads:
    /// each thread's slice of channels).
    /// </summary>
    internal interface ISampleOutput
    {
        float* Begin(int n);
        void End(int n, float* written, int first, int count);
    }

    /// <summary>Straight into y, sample after sample.</summary>
    internal readonly struct Into(float* y, int sampleSize) : ISampleOutput
    {
        public float* Begin(int n) => y + (long)n * sampleSize;
        public void End(int n, float* written, int first, int count) { }
    }

    /// <summary>
    /// y = conv(x, w) + bias (then ReLU with <paramref name="relu"/>) for a geometry that <see cref="Applies"/>.
    /// x: (N, C, H, W), w: (O, C, 3, 3), each sample's output (O, OH, OW) where <paramref name="output"/> says. A batch
    /// runs a sample per thread; one sample splits the output channels among the threads. With
    /// <paramref name="maskBy"/> (N, C, H, W), x is first zeroed in place wherever maskBy is not positive (a ReLU's
    /// backward), channel by channel just before it is transformed, while it is in cache.
    /// </summary>
    internal static void Forward<TOutput>(float[] x, float[] w, float[]? bias, in ConvGeometry g, bool relu, TOutput output,
        bool flipped = false, float[]? maskBy = null) where TOutput : struct, ISampleOutput
    {
        var plan = new Plan(g);
        var family = Gemm.ThreadPath; // the family that packs the weights multiplies them, on every thread
        // The same split for a batch as for one sample, so that alternating between the two (training, then a single
        // prediction) keeps the prepared weights.
        int parts = Math.Min(Threading.Threads, (plan.O + Gemm.Blocking.NR - 1) / Gemm.Blocking.NR);
        var hold = Acquire(w, plan, parts, family, flipped);
        try
        {
            if (g.Batch == 1 && parts > 1)
            {
                // The weights are compared (or, by a writer, brought up to date) slice by slice while the input is
                // transformed, on the threads; a reader that finds them changed brings them up to date before the products.
                var current = new bool[parts];
                float* v = TransformSampleThreaded(x, w, plan, hold, current, family, maskBy);
                UpToDate(ref hold, current, w, plan, parts, family);
                MultiplyThreaded(v, bias, plan, relu, hold.Prepared, family, output);
            }
            else
            {
                Span<bool> current = stackalloc bool[parts]; // a writer's slices are not known to be current
                for (int p = 0; p < parts; p++) current[p] = !hold.Writer && hold.Prepared.Current(w, plan, p);
                UpToDate(ref hold, current, w, plan, parts, family);
                Batch(x, bias, plan, hold.Prepared, relu, g.Batch, family, output, maskBy);
            }
        }
        finally
        {
            Release(hold);
        }
    }

    /// <summary>
    /// Whether <see cref="BackwardInput"/> computes this convolution's input gradient: the forward's own conditions on
    /// the kernel, stride, dilation and groups, padding of at most 2, and <see cref="Applies"/> to the convolution that
    /// gives the gradient (<see cref="Transposed"/>).
    /// </summary>
    internal static bool AppliesBackward(in ConvGeometry g) =>
        g.KernelHeight == 3 && g.KernelWidth == 3 && g.StrideH == 1 && g.StrideW == 1 && g.DilationH == 1 && g.DilationW == 1
        && g.Groups == 1 && g.PadH <= 2 && g.PadW <= 2 && Applies(Transposed(g));

    /// <summary>
    /// The convolution whose output is the input gradient of <paramref name="g"/>'s: over dy (N, O, OH, OW) with the
    /// filters turned by 180° and their channels swapped, padded by 2 − pad, giving (N, C, H, W).
    /// </summary>
    internal static ConvGeometry Transposed(in ConvGeometry g) =>
        new(g.Batch, g.OutChannels, g.OutHeight, g.OutWidth, g.InChannels, 3, 3, 1, 1, 2 - g.PadH, 2 - g.PadW);

    /// <summary>
    /// dx (+)= the input gradient of a convolution that <see cref="AppliesBackward"/>: the stride-1 3×3 convolution of dy
    /// by the turned filters (<see cref="Transposed"/>), by Winograd, its transformed weights kept apart from the
    /// forward's. With <paramref name="reluOutput"/>, dy is masked in place where that output is not positive (all of
    /// it by the time this returns: the weight gradient reads it next), each sample's as it is transformed.
    /// dy: (N, O, OH, OW), w: (O, C, 3, 3), dx: (N, C, H, W).
    /// </summary>
    internal static void BackwardInput(float[] dy, float[] w, float[] dx, in ConvGeometry g, bool accumulate, float[]? reluOutput)
    {
        fixed (float* pdx = dx)
            Forward(dy, w, null, Transposed(g), relu: false, new AddInto(pdx, g.InChannels, g.InPlane, accumulate), flipped: true, reluOutput);
    }

    /// <summary>
    /// Each sample's result into dx, or, with <paramref name="accumulate"/>, into a buffer of this thread's and then added
    /// to dx channel slice by channel slice.
    /// </summary>
    private readonly struct AddInto(float* dx, int channels, int plane, bool accumulate) : ISampleOutput
    {
        public float* Begin(int n) => accumulate ? Buffer(ref Mine.Sum, channels * plane) : dx + (long)n * channels * plane;

        public void End(int n, float* written, int first, int count)
        {
            if (!accumulate) return;
            var to = new Span<float>(dx + ((long)n * channels + first) * plane, count * plane);
            System.Numerics.Tensors.TensorPrimitives.Add(to, new ReadOnlySpan<float>(written + (long)first * plane, count * plane), to);
        }
    }

    /// <summary>The samples of a batch, each on one thread (serially with one thread), each slice after the other.</summary>
    private static void Batch<TOutput>(float[] x, float[]? bias, Plan plan, Prepared prepared, bool relu, int batch, Gemm.Isa family, TOutput output,
        float[]? maskBy) where TOutput : struct, ISampleOutput
    {
        int inSize = plan.C * plan.H * plan.W;
        var packed = prepared.Packed;
        Threading.For(batch, n =>
        {
            using var scope = Gemm.ForcePath(family);
            var mine = Mine;
            float* v = Buffer(ref mine.V, plan.VSize);
            float* y = output.Begin(n);
            Mask(x, maskBy, n * inSize, inSize);
            fixed (float* px = &x[n * inSize], pb = bias, pp = packed)
            {
                TransformInput(px, plan, 0, plan.C, v, mine);
                for (int p = 0; p < prepared.Slices.Length; p++)
                    MultiplyAndWrite(v, pp + prepared.Offsets[p], plan, prepared.Slices[p], pb, relu, y, mine);
            }
            output.End(n, y, 0, plan.O);
        }, batch > 1 && Threading.Threads > 1);
    }

    /// <summary>
    /// One sample on several threads, first half: each thread transforms its share of the input channels and compares
    /// the weights of its slice of output channels (a writer brings them up to date instead). Returns V.
    /// </summary>
    private static float* TransformSampleThreaded(float[] x, float[] w, Plan plan, Hold hold, bool[] current, Gemm.Isa family, float[]? maskBy)
    {
        int parts = current.Length;
        float* v = Buffer(ref Mine.V, plan.VSize);
        nint va = (nint)v;
        Threading.For(parts, p =>
        {
            using var scope = Gemm.ForcePath(family);
            // Flipped weights are brought up to date all at once, after this loop (UpToDate).
            bool refreshes = hold.Writer && !hold.Prepared.Flipped;
            if (refreshes) hold.Prepared.Refresh(w, plan, p);
            current[p] = refreshes || !hold.Writer && hold.Prepared.Current(w, plan, p);
            int c0 = plan.C * p / parts, c1 = plan.C * (p + 1) / parts, channel = plan.H * plan.W;
            Mask(x, maskBy, c0 * channel, (c1 - c0) * channel);
            fixed (float* px = x) TransformInput(px, plan, c0, c1, (float*)va, Mine);
        });
        return v;
    }

    /// <summary>
    /// Second half: each thread multiplies, transforms back and writes out its slice of output channels, and hands it on.
    /// </summary>
    private static void MultiplyThreaded<TOutput>(float* v, float[]? bias, Plan plan, bool relu, Prepared prepared, Gemm.Isa family, TOutput output)
        where TOutput : struct, ISampleOutput
    {
        nint va = (nint)v, ya = (nint)output.Begin(0);
        Threading.For(prepared.Slices.Length, p =>
        {
            using var scope = Gemm.ForcePath(family);
            var slice = prepared.Slices[p];
            fixed (float* pp = &prepared.Packed[prepared.Offsets[p]], pb = bias)
                MultiplyAndWrite((float*)va, pp, plan, slice, pb, relu, (float*)ya, Mine);
            output.End(0, (float*)ya, slice.First, slice.Count);
        });
    }

    /// <summary>x[from..from + count) zeroed where maskBy is not positive (nothing without maskBy).</summary>
    private static void Mask(float[] x, float[]? maskBy, int from, int count)
    {
        if (maskBy is null) return;
        var part = x.AsSpan(from, count);
        Activations.ReluBackward(maskBy.AsSpan(from, count), part, part, accumulate: false);
    }

    /// <summary>
    /// U_ξ = (G g Gᵀ)_ξ for the slice's output channels and every input channel, packed (C × count) one ξ after another.
    /// G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]. The filters are first laid out [c·9 + tap][o] (by 8×8 transposes where AVX
    /// has them), so the transform runs over vectors of output channels.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PrepareWeights(float* w, in Plan plan, Slice slice, float* packed, bool flipped)
    {
        int c = plan.C, n = slice.Count, np = slice.Padded, lanes = Vector<float>.Count, taps = c * 9;
        // Row strides a cache line past a multiple of 64 floats, so that rows 4 KB apart do not alias in L1.
        int tStride = Skewed(np), uStride = c * np + 16;
        var mine = Mine;
        float* t = Buffer(ref mine.Transposed, taps * tStride);
        float* u = Buffer(ref mine.U, Elements * uStride);
        if (!flipped) Transpose(w + (long)slice.First * taps, n, taps, t, tStride);
        else
            // The input gradient's filter from channel c (here an input) to channel o (an output) is the forward's filter
            // from o to c turned by 180°: w[c][o][8 − tap], the forward's (c, o) being (out, in).
            for (int ci = 0; ci < c; ci++)
                for (int o = 0; o < n; o++)
                {
                    float* filter = w + ((long)ci * plan.O + slice.First + o) * 9;
                    for (int tap = 0; tap < 9; tap++) t[(long)(ci * 9 + tap) * tStride + o] = filter[8 - tap];
                }

        var half = new Vector<float>(0.5f);
        Span<Vector<float>> a = stackalloc Vector<float>[12]; // G g: a[3i + j], row i, column j
        for (int ci = 0; ci < c; ci++)
            for (int o = 0; o < np; o += lanes)
            {
                float* g = t + (long)ci * 9 * tStride + o;
                for (int j = 0; j < 3; j++)
                {
                    var g0 = Vector.Load(g + j * tStride); var g1 = Vector.Load(g + (3 + j) * tStride); var g2 = Vector.Load(g + (6 + j) * tStride);
                    a[j] = g0;
                    a[3 + j] = (g0 + g1 + g2) * half;
                    a[6 + j] = (g0 - g1 + g2) * half;
                    a[9 + j] = g2;
                }
                for (int i = 0; i < 4; i++)
                {
                    var r0 = a[3 * i]; var r1 = a[3 * i + 1]; var r2 = a[3 * i + 2];
                    float* to = u + (long)(4 * i) * uStride + (long)ci * np + o;
                    Vector.Store(r0, to);
                    Vector.Store((r0 + r1 + r2) * half, to + uStride);
                    Vector.Store((r0 - r1 + r2) * half, to + 2L * uStride);
                    Vector.Store(r2, to + 3L * uStride);
                }
            }
        int packedSize = Gemm.PackedSize(c, n);
        for (int e = 0; e < Elements; e++)
            Gemm.Pack(false, c, n, new ReadOnlySpan<float>(u + (long)e * uStride, (c - 1) * np + n), np, new Span<float>(packed + (long)e * packedSize, packedSize));
    }

    /// <summary>t[k·ld + o] = w[o·cols + k]: the rows × cols matrix w transposed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose(float* w, int rows, int cols, float* t, int ld)
    {
        int o = 0;
        if (Avx.IsSupported)
            for (; o + 8 <= rows; o += 8)
            {
                int k = 0;
                for (; k + 8 <= cols; k += 8)
                {
                    float* s = w + (long)o * cols + k;
                    var r0 = Avx.LoadVector256(s); var r1 = Avx.LoadVector256(s + cols);
                    var r2 = Avx.LoadVector256(s + 2L * cols); var r3 = Avx.LoadVector256(s + 3L * cols);
                    var r4 = Avx.LoadVector256(s + 4L * cols); var r5 = Avx.LoadVector256(s + 5L * cols);
                    var r6 = Avx.LoadVector256(s + 6L * cols); var r7 = Avx.LoadVector256(s + 7L * cols);
                    Transpose8.InPlace(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
                    float* d = t + (long)k * ld + o;
                    r0.Store(d); r1.Store(d + ld); r2.Store(d + 2L * ld); r3.Store(d + 3L * ld);
                    r4.Store(d + 4L * ld); r5.Store(d + 5L * ld); r6.Store(d + 6L * ld); r7.Store(d + 7L * ld);
                }
                for (; k < cols; k++)
                    for (int q = 0; q < 8; q++) t[(long)k * ld + o + q] = w[(long)(o + q) * cols + k];
            }
        for (; o < rows; o++)
            for (int k = 0; k < cols; k++) t[(long)k * ld + o] = w[(long)o * cols + k];
    }

    /// <summary>
    /// V_ξ[c][tile] = (Bᵀ d B)_ξ for input channels [c0, c1) of one sample, Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1].
    /// Each channel is copied into a zero-bordered plane; each of its rows is transformed across, over vectors of tile
    /// columns (a tile's four columns are even k, odd k, even k + 1 and odd k + 1 of the row: two vectors of the row
    /// split into even and odd, and the same two columns on); then each tile row's four transformed rows are combined
    /// down. The split vectors stay in registers: stored and read back one column on, they would wait for each store to
    /// reach the cache (a load that straddles two earlier stores is not forwarded from them).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransformInput(float* x, in Plan plan, int c0, int c1, float* v, Scratch scratch)
    {
        int lanes = Vector<float>.Count, rows = plan.PaddedRows, zs = plan.ZStride, width = plan.PaddedWidth;
        int ts = plan.TileStride, elementStride = plan.C * ts, w = plan.W;
        float* padded = PaddedPlane(plan, scratch);
        float* z = Buffer(ref scratch.Z, rows * 4 * zs);
        for (int ci = c0; ci < c1; ci++)
        {
            float* plane = x + (long)ci * plan.H * w;
            for (int r = 0; r < plan.H; r++)
            {
                // Short rows (LeNet: 14 floats): copied inline, a call to copy memory costs more than the copy.
                float* from = plane + (long)r * w, to = padded + (long)(r + plan.PadH) * width + plan.PadW;
                int k = 0;
                for (; k + lanes <= w; k += lanes) Vector.Store(Vector.Load(from + k), to + k);
                for (; k < w; k++) to[k] = from[k];
            }
            for (int r = 0; r < rows; r++)
            {
                float* row = padded + (long)r * width, zr = z + r * 4 * zs;
                for (int k = 0; k < zs; k += lanes)
                {
                    var (e0, o0) = Deinterleave(row + 2 * k);
                    var (e1, o1) = Deinterleave(row + 2 * k + 2);
                    Vector.Store(e0 - e1, zr + k);
                    Vector.Store(o0 + e1, zr + zs + k);
                    Vector.Store(e1 - o0, zr + 2 * zs + k);
                    Vector.Store(o0 - o1, zr + 3 * zs + k);
                }
            }
            float* channel = v + (long)ci * ts;
            for (int j = 0; j < 4; j++)
                for (int tr = 0; tr < plan.TileRows; tr++)
                {
                    float* z0 = z + (2 * tr * 4 + j) * zs; // padded row 2·tr; rows 2·tr + 1..3 follow, 4·zs apart
                    float* to = channel + tr * zs;
                    for (int k = 0; k < zs; k += lanes)
                    {
                        var a = Vector.Load(z0 + k); var b = Vector.Load(z0 + 4 * zs + k);
                        var cc = Vector.Load(z0 + 8 * zs + k); var d = Vector.Load(z0 + 12 * zs + k);
                        Vector.Store(a - cc, to + (long)j * elementStride + k);
                        Vector.Store(b + cc, to + (long)(4 + j) * elementStride + k);
                        Vector.Store(cc - b, to + (long)(8 + j) * elementStride + k);
                        Vector.Store(b - d, to + (long)(12 + j) * elementStride + k);
                    }
                }
        }
    }

    /// <summary>
    /// This thread's plane of PaddedRows × PaddedWidth floats whose border — everything outside the image's rows and
    /// columns — is zero; the image's cells are overwritten channel by channel.
    /// </summary>
    private static float* PaddedPlane(in Plan plan, Scratch scratch)
    {
        int width = plan.PaddedWidth;
        var shape = (plan.PaddedRows, width, plan.PadH, plan.PadW, plan.H, plan.W);
        bool fresh = scratch.Padded is null || scratch.Padded.Length < plan.PaddedRows * width;
        float* padded = Buffer(ref scratch.Padded, plan.PaddedRows * width);
        if (!fresh && scratch.PaddedShape != shape) new Span<float>(padded, plan.PaddedRows * width).Clear();
        scratch.PaddedShape = shape;
        return padded;
    }

    /// <summary>The even and the odd elements of the 2·lanes floats at <paramref name="p"/>, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector<float> Even, Vector<float> Odd) Deinterleave(float* p)
    {
        if (Vector<float>.Count == 8 && Avx2.IsSupported)
        {
            var lo = Avx.LoadVector256(p); var hi = Avx.LoadVector256(p + 8);
            // Within each 128-bit half: the even (odd) elements of lo, then of hi; then the 64-bit quarters put in order.
            var even = Avx2.Permute4x64(Avx.Shuffle(lo, hi, 0b10_00_10_00).AsDouble(), 0b11_01_10_00).AsSingle();
            var odd = Avx2.Permute4x64(Avx.Shuffle(lo, hi, 0b11_01_11_01).AsDouble(), 0b11_01_10_00).AsSingle();
            return (even.AsVector(), odd.AsVector());
        }
        if (Vector<float>.Count == 4 && Sse.IsSupported)
        {
            var lo = Sse.LoadVector128(p); var hi = Sse.LoadVector128(p + 4);
            return (Sse.Shuffle(lo, hi, 0b10_00_10_00).AsVector(), Sse.Shuffle(lo, hi, 0b11_01_11_01).AsVector());
        }
        if (Vector<float>.Count == 4 && AdvSimd.Arm64.IsSupported)
        {
            var lo = AdvSimd.LoadVector128(p); var hi = AdvSimd.LoadVector128(p + 4);
            return (AdvSimd.Arm64.UnzipEven(lo, hi).AsVector(), AdvSimd.Arm64.UnzipOdd(lo, hi).AsVector());
        }
        return DeinterleaveScalar(p);
    }

    /// <summary><see cref="Deinterleave"/> without the instructions; apart, so that the fast paths inline (a method that stack-allocates does not).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (Vector<float> Even, Vector<float> Odd) DeinterleaveScalar(float* p)
    {
        Span<float> e = stackalloc float[Vector<float>.Count], o = stackalloc float[Vector<float>.Count];
        for (int k = 0; k < e.Length; k++)
        {
            e[k] = p[2 * k];
            o[k] = p[2 * k + 1];
        }
        return (new Vector<float>(e), new Vector<float>(o));
    }

    /// <summary>
    /// For one slice of output channels: the 16 products M_ξ = V_ξ · U_ξ, then Y = Aᵀ M A per tile
    /// (Aᵀ = [1 1 1 0; 0 1 −1 −1]) into positions × channels, then written out as (channels, OH, OW) with bias and ReLU.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyAndWrite(float* v, float* packed, in Plan plan, Slice slice, float* bias, bool relu, float* y, Scratch scratch)
    {
        int tiles = plan.Tiles, c = plan.C, n = slice.Count, np = slice.Padded, ts = plan.TileStride, lanes = Vector<float>.Count;
        int plane = plan.OH * plan.OW, ow = plan.OW, oh = plan.OH;
        var rowOffsets = scratch.Rows;
        if (rowOffsets is null || rowOffsets.Length < tiles) scratch.Rows = rowOffsets = new int[tiles];
        for (int i = 0; i < tiles; i++) rowOffsets[i] = i / plan.TileCols * plan.ZStride + i % plan.TileCols; // tile i's column in V_ξ
        var depths = scratch.Depths;
        if (depths is null || depths.Length < c) scratch.Depths = depths = new int[c];
        for (int p = 0; p < c; p++) depths[p] = p * ts;
        // The products and the transform back go block by block of tiles, a few of the product's row tiles at a time,
        // so that the products (16 × block × channels) stay in cache until they are transformed back.
        int block = Math.Min(tiles, 3 * Gemm.Blocking.MR);
        long elementStride = (long)block * np;
        float* m = Buffer(ref scratch.M, (int)(Elements * elementStride));
        float* positions = Buffer(ref scratch.Positions, plane * np);
        int packedSize = Gemm.PackedSize(c, n);
        for (int t0 = 0; t0 < tiles; t0 += block)
        {
            int count = Math.Min(block, tiles - t0);
            for (int e = 0; e < Elements; e++)
                Gemm.MultiplyGathered(count, n, c, v + (long)e * c * ts, rowOffsets.AsSpan(t0), depths, new ReadOnlySpan<float>(packed + (long)e * packedSize, packedSize),
                    new Span<float>(m + e * elementStride, (int)elementStride), np, parallel: false, default(NoFinish));
            for (int t = t0; t < t0 + count; t++)
            {
                int tr = t / plan.TileCols, tc = t - tr * plan.TileCols;
                int r = 2 * tr, col = 2 * tc;
                bool right = col + 1 < ow, below = r + 1 < oh;
                float* mt = m + (long)(t - t0) * np;
                float* p00 = positions + (long)(r * ow + col) * np;
                for (int o = 0; o < np; o += lanes)
                {
                    float* q = mt + o;
                    // Aᵀ M: each column j of the tile's 4×4 product reduced to two rows, s0j and s1j.
                    var m1 = Vector.Load(q + 4 * elementStride); var m2 = Vector.Load(q + 8 * elementStride);
                    var s00 = Vector.Load(q) + m1 + m2; var s10 = m1 - m2 - Vector.Load(q + 12 * elementStride);
                    m1 = Vector.Load(q + 5 * elementStride); m2 = Vector.Load(q + 9 * elementStride);
                    var s01 = Vector.Load(q + elementStride) + m1 + m2; var s11 = m1 - m2 - Vector.Load(q + 13 * elementStride);
                    m1 = Vector.Load(q + 6 * elementStride); m2 = Vector.Load(q + 10 * elementStride);
                    var s02 = Vector.Load(q + 2 * elementStride) + m1 + m2; var s12 = m1 - m2 - Vector.Load(q + 14 * elementStride);
                    m1 = Vector.Load(q + 7 * elementStride); m2 = Vector.Load(q + 11 * elementStride);
                    var s03 = Vector.Load(q + 3 * elementStride) + m1 + m2; var s13 = m1 - m2 - Vector.Load(q + 15 * elementStride);
                    // … then A: each row's four values to the tile's two outputs in that row.
                    float* to = p00 + o;
                    Vector.Store(s00 + s01 + s02, to);
                    if (right) Vector.Store(s01 - s02 - s03, to + np);
                    if (below)
                    {
                        Vector.Store(s10 + s11 + s12, to + (long)ow * np);
                        if (right) Vector.Store(s11 - s12 - s13, to + (long)(ow + 1) * np);
                    }
                }
            }
        }
        Convolution.WriteTransposed(positions, np, n, 0, plane, y + (long)slice.First * plane, plane,
            bias == null ? null : bias + slice.First, relu);
    }

    private readonly struct NoFinish : Gemm.IFinishedRows
    {
        public void Rows(int i0, int i1) { }
    }

    /// <summary>A row stride of at least n floats that is not a multiple of 64 (rows 256 bytes apart map to few L1 sets).</summary>
    private static int Skewed(int n) => n % 64 == 0 ? n + 16 : n;

    private static int RoundUp(int x, int to) => (x + to - 1) / to * to;
}
