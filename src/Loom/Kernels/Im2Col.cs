using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Loom.Kernels;

/// <summary>
/// Unfolds the receptive fields of one sample into a matrix so that convolution becomes one GEMM:
/// col (C·kH·kW, OH·OW), row (c, i, j) holding x[c, oh·sH − pH + i·dH, ow·sW − pW + j·dW] (0 outside).
/// <see cref="Col2Im"/> is its adjoint: it adds each column entry back to the input position it came from.
/// </summary>
/// <remarks>
/// Rows of a small feature map are short (14 or 28 values in LeNet), so per-row overhead decides the speed:
/// the stride-1 paths work on raw pointers, one copy or vector add per row; strided ones first split the input by
/// stride phase (<see cref="StridePhases"/>), so that each of their rows is a contiguous run too.
/// <see cref="ConvolutionReference"/> checks both against the definition.
/// </remarks>
public static unsafe class Im2Col
{
    /// <summary>x: (C, H, W) of one sample → col: (C·kH·kW, OH·OW).</summary>
    public static void Unfold(ReadOnlySpan<float> x, in ConvGeometry g, Span<float> col)
    {
        if (x.Length < g.InChannels * g.InPlane || col.Length < g.ColumnRows * g.OutPlane)
            throw new ArgumentException($"Im2Col: buffers of {x.Length} and {col.Length} values are too small for {g}.");
        if (IsStrided(g)) UnfoldByPhases(x, g, col);
        else fixed (float* px = x, pcol = col) ForEachTap(px, pcol, g, new UnfoldTap());
    }

    [ThreadStatic] private static float[]? _phases; // one sample's stride phase planes (or their gradient)

    /// <summary>
    /// Strided, each tap reads the input sW apart, with bounds to check at every edge. Split by stride phase first
    /// (<see cref="StridePhases"/>: one pass the size of the input), every output row of a tap is one contiguous run
    /// of a phase plane, its padding stored (speech-crnn's second convolution: 1.8× faster, docs/performance.md).
    /// </summary>
    private static void UnfoldByPhases(ReadOnlySpan<float> x, in ConvGeometry g, Span<float> col)
    {
        var phases = new StridePhases(g);
        var planes = PhaseBuffer(phases);
        phases.Scatter(x, planes);
        fixed (float* pp = planes, pc = col) ForEachPhaseRun(pp, pc, g, phases, new CopyRun());
    }

    /// <summary><see cref="UnfoldByPhases"/>'s adjoint: each output row of a tap added into the phase planes' gradient, then that into dx.</summary>
    private static void FoldByPhases(ReadOnlySpan<float> col, in ConvGeometry g, Span<float> dx)
    {
        var phases = new StridePhases(g);
        var planes = PhaseBuffer(phases);
        planes.Clear();
        fixed (float* pp = planes, pc = col) ForEachPhaseRun(pp, pc, g, phases, new AddRun());
        phases.GatherAdd(planes, dx);
    }

    /// <summary>What unfolding and folding do with one run: an output row of a tap, in col and in its phase plane.</summary>
    private interface IPhaseRun
    {
        void Run(float* plane, float* column, int length);
    }

    private readonly struct CopyRun : IPhaseRun
    {
        public void Run(float* plane, float* column, int length) => CopyRow(column, plane, length);
    }

    private readonly struct AddRun : IPhaseRun
    {
        public void Run(float* plane, float* column, int length) => AddRow(plane, column, length);
    }

    /// <summary>Every tap's output rows, in col's row order: OW values of col against a run of the tap's phase plane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForEachPhaseRun<TRun>(float* planes, float* col, in ConvGeometry g, in StridePhases phases, TRun run) where TRun : struct, IPhaseRun
    {
        int oh = g.OutHeight, ow = g.OutWidth, plane = g.OutPlane, wq = phases.Wq;
        for (int c = 0, row = 0; c < g.InChannels; c++)
            for (int i = 0; i < g.KernelHeight; i++)
                for (int j = 0; j < g.KernelWidth; j++, row++)
                {
                    float* tap = planes + phases.Tap(c, i, j), column = col + (long)row * plane;
                    for (int y = 0; y < oh; y++) run.Run(tap + y * wq, column + y * ow, ow);
                }
    }

    private static Span<float> PhaseBuffer(in StridePhases phases)
    {
        int size = phases.Size();
        var buffer = _phases;
        if (buffer is null || buffer.Length < size) _phases = buffer = GC.AllocateUninitializedArray<float>(size);
        return buffer.AsSpan(0, size);
    }

    private static bool IsStrided(in ConvGeometry g) => g.StrideH > 1 || g.StrideW > 1;

    /// <summary>
    /// Row <paramref name="row"/> (the tap (c, i, j)) of <see cref="Unfold"/>'s col, OH·OW values, straight from x
    /// (C, H, W) into dst: what a GEMM packing col needs (<see cref="Rows"/>), without col ever stored whole.
    /// </summary>
    internal static void UnfoldRow(float* x, in ConvGeometry g, int row, float* dst)
    {
        int taps = g.KernelHeight * g.KernelWidth, c = row / taps, t = row - c * taps, i = t / g.KernelWidth, j = t - i * g.KernelWidth;
        int dy = i * g.DilationH - g.PadH, dx = j * g.DilationW - g.PadW;
        var (lo, hi) = ValidColumns(g, dx);
        new UnfoldTap().Run(x + (long)c * g.InPlane, dst, g, dy, dx, lo, hi);
    }

    /// <summary>
    /// One sample's col as the B of <see cref="Gemm.MultiplyRows"/>, row by row: x (C, H, W, pinned by the caller)
    /// and its geometry; rows from <paramref name="firstRow"/> (a group's taps).
    /// </summary>
    internal readonly struct Rows(float* x, ConvGeometry g, int firstRow) : IRowSource
    {
        public void Row(int p, float* dst) => UnfoldRow(x, g, firstRow + p, dst);
    }

    /// <summary>
    /// dx: (C, H, W) += fold(col: (C·kH·kW, OH·OW)). When the output has the input's width at stride 1
    /// ("same" convolutions), col is also scratch: its entries that fall on padding are zeroed, so that each
    /// kernel tap adds one contiguous run instead of one short run per row.
    /// </summary>
    public static void Col2Im(Span<float> col, in ConvGeometry g, Span<float> dx)
    {
        if (dx.Length < g.InChannels * g.InPlane || col.Length < g.ColumnRows * g.OutPlane)
            throw new ArgumentException($"Col2Im: buffers of {col.Length} and {dx.Length} values are too small for {g}.");
        if (IsStrided(g)) FoldByPhases(col, g, dx);
        else fixed (float* pcol = col, pdx = dx) ForEachTap(pdx, pcol, g, new FoldTap());
    }

    /// <summary>
    /// What one kernel tap (c, i, j) does between its input plane and its row of col: the input offset of the tap
    /// is (dy, dx), and output columns [lo, hi) read inside the image. Unfold and its adjoint differ only here; a
    /// struct type argument lets the JIT compile each walk with its tap inlined.
    /// </summary>
    private interface ITap
    {
        void Run(float* plane, float* column, in ConvGeometry g, int dy, int dx, int lo, int hi);
    }

    /// <summary>Walks the taps of every channel in col's row order, (c, i, j).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForEachTap<TTap>(float* x, float* col, in ConvGeometry g, TTap tap) where TTap : struct, ITap
    {
        float* column = col;
        for (int c = 0; c < g.InChannels; c++)
        {
            float* plane = x + (long)c * g.InPlane;
            for (int ki = 0; ki < g.KernelHeight; ki++)
                for (int kj = 0; kj < g.KernelWidth; kj++, column += g.OutPlane)
                {
                    int dy = ki * g.DilationH - g.PadH, dx = kj * g.DilationW - g.PadW;
                    var (lo, hi) = ValidColumns(g, dx);
                    tap.Run(plane, column, g, dy, dx, lo, hi);
                }
        }
    }

    /// <summary>col row ← the input values under the tap (0 outside).</summary>
    private readonly struct UnfoldTap : ITap
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(float* xc, float* dst, in ConvGeometry g, int dy, int dx, int lo, int hi)
        {
            int oh = g.OutHeight, ow = g.OutWidth;
            if (SameWidthStrideOne(g) && hi > lo)
            {
                // One contiguous copy over the valid rows, then zeros where rows wrapped or fell outside.
                int y0 = Math.Clamp(-dy, 0, oh), y1 = Math.Clamp(g.InHeight - dy, y0, oh);
                new Span<float>(dst, y0 * ow).Clear();
                new Span<float>(dst + y1 * ow, (oh - y1) * ow).Clear();
                if (y1 <= y0) return;
                int k0 = y0 * ow + lo, k1 = (y1 - 1) * ow + hi;
                Unsafe.CopyBlockUnaligned(dst + k0, xc + k0 + dy * g.InWidth + dx, (uint)(k1 - k0) * sizeof(float));
                ZeroOutsideColumns(dst, y0, y1, ow, lo, hi);
                return;
            }
            for (int y = 0; y < oh; y++)
            {
                float* drow = dst + y * ow;
                int iy = y * g.StrideH + dy;
                if ((uint)iy >= (uint)g.InHeight || hi <= lo) { new Span<float>(drow, ow).Clear(); continue; }
                float* src = xc + iy * g.InWidth;
                for (int x0 = 0; x0 < lo; x0++) drow[x0] = 0f;
                if (g.StrideW == 1) Unsafe.CopyBlockUnaligned(drow + lo, src + lo + dx, (uint)(hi - lo) * sizeof(float));
                else for (int x0 = lo; x0 < hi; x0++) drow[x0] = src[x0 * g.StrideW + dx];
                for (int x0 = hi; x0 < ow; x0++) drow[x0] = 0f;
            }
        }
    }

    /// <summary>The input values under the tap += col row.</summary>
    private readonly struct FoldTap : ITap
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(float* xc, float* src, in ConvGeometry g, int dy, int dxo, int lo, int hi)
        {
            int oh = g.OutHeight, ow = g.OutWidth;
            if (hi <= lo) return;
            if (SameWidthStrideOne(g))
            {
                // Output (y, x) lands on input (y + dy)·W + x + dxo: a constant offset over the valid rows.
                int y0 = Math.Max(0, -dy), y1 = Math.Min(oh, g.InHeight - dy);
                if (y1 <= y0) return;
                ZeroOutsideColumns(src, y0, y1, ow, lo, hi);
                int k0 = y0 * ow + lo, k1 = (y1 - 1) * ow + hi;
                AddRow(xc + k0 + dy * g.InWidth + dxo, src + k0, k1 - k0);
                return;
            }
            for (int y = 0; y < oh; y++)
            {
                int iy = y * g.StrideH + dy;
                if ((uint)iy >= (uint)g.InHeight) continue;
                float* srow = src + y * ow, drow = xc + iy * g.InWidth;
                if (g.StrideW == 1) AddRow(drow + lo + dxo, srow + lo, hi - lo);
                else for (int x0 = lo; x0 < hi; x0++) drow[x0 * g.StrideW + dxo] += srow[x0];
            }
        }
    }

    /// <summary>Stride 1 and as many output columns as input columns: rows of col and of the image line up.</summary>
    private static bool SameWidthStrideOne(in ConvGeometry g) => g.StrideH == 1 && g.StrideW == 1 && g.OutWidth == g.InWidth;

    /// <summary>Zeros columns outside [lo, hi) of rows y0..y1 of an OW-wide plane: the padding a contiguous run wrapped over.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ZeroOutsideColumns(float* plane, int y0, int y1, int ow, int lo, int hi)
    {
        for (int y = y0; y < y1; y++)
        {
            float* row = plane + y * ow;
            for (int x0 = 0; x0 < lo; x0++) row[x0] = 0f;
            for (int x0 = hi; x0 < ow; x0++) row[x0] = 0f;
        }
    }

    /// <summary>The output columns [lo, hi) whose input column ow·sW + dx lies inside the image.</summary>
    private static (int Lo, int Hi) ValidColumns(in ConvGeometry g, int dx)
    {
        int lo = dx >= 0 ? 0 : (-dx + g.StrideW - 1) / g.StrideW;
        int hi = g.InWidth - dx <= 0 ? 0 : Math.Min(g.OutWidth, (g.InWidth - dx - 1) / g.StrideW + 1);
        return (lo, Math.Max(lo, hi));
    }

    /// <summary>d[0..n) = s[0..n) for the short runs of an unfolding (10 or 20 floats), in the widest native vectors, without a call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRow(float* d, float* s, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated) for (; i + 16 <= n; i += 16) Vector512.Load(s + i).Store(d + i);
        if (Vector256.IsHardwareAccelerated) for (; i + 8 <= n; i += 8) Vector256.Load(s + i).Store(d + i);
        if (Vector128.IsHardwareAccelerated) for (; i + 4 <= n; i += 4) Vector128.Load(s + i).Store(d + i);
        for (; i < n; i++) d[i] = s[i];
    }

    /// <summary>d[0..n) += s[0..n), vectorised without the call overhead that dominates at row lengths of 14 or 28.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRow(float* d, float* s, int n)
    {
        int i = 0;
        // Only the widths the CPU runs natively (JIT-time constants): on ARM64 Vector512 and Vector256 are emulated in
        // software, several times slower than Vector128 there.
        if (Vector512.IsHardwareAccelerated) for (; i + 16 <= n; i += 16) (Vector512.Load(d + i) + Vector512.Load(s + i)).Store(d + i);
        if (Vector256.IsHardwareAccelerated)
        {
            if (!Vector512.IsHardwareAccelerated) for (; i + 16 <= n; i += 16)
            {
                (Vector256.Load(d + i) + Vector256.Load(s + i)).Store(d + i);
                (Vector256.Load(d + i + 8) + Vector256.Load(s + i + 8)).Store(d + i + 8);
            }
            if (i + 8 <= n) { (Vector256.Load(d + i) + Vector256.Load(s + i)).Store(d + i); i += 8; }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            if (!Vector256.IsHardwareAccelerated) for (; i + 8 <= n; i += 8)
            {
                (Vector128.Load(d + i) + Vector128.Load(s + i)).Store(d + i);
                (Vector128.Load(d + i + 4) + Vector128.Load(s + i + 4)).Store(d + i + 4);
            }
            if (i + 4 <= n) { (Vector128.Load(d + i) + Vector128.Load(s + i)).Store(d + i); i += 4; }
        }
        for (; i < n; i++) d[i] += s[i];
    }
}
