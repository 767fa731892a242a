using System.Runtime.CompilerServices;
namespace Loom.Kernels;

/// <summary>
/// Supplies op(B) of a product row by row, for a B that is never stored whole: a convolution's unfolded input
/// (<see cref="Im2Col.Rows"/>).
/// </summary>
internal unsafe interface IRowSource
{
    /// <summary>Writes row <paramref name="p"/> of B (its n values) into dst.</summary>
    void Row(int p, float* dst);
}

public static unsafe partial class Gemm
{
    /// <summary>Packed B (floats) up to which <see cref="MultiplyRows"/> packs it whole: 4 MB, inside every L3 measured.</summary>
    private const long RowPackedFloats = 1 << 20;

    /// <summary>
    /// Whether an m×n×k product may take its B row by row (<see cref="MultiplyRows"/>): the cases <see cref="Multiply"/>
    /// would block anyway (neither skinny nor tiny), with a packed B small enough to be held whole.
    /// </summary>
    internal static bool PacksRows(int m, int n, int k) => Blocks(m, n, k) && (long)k * n <= RowPackedFloats;

    /// <summary>Whether <see cref="Multiply"/> would run an m×n×k product blocked: neither skinny nor tiny.</summary>
    internal static bool Blocks(int m, int n, int k) => k > 0 && m > SkinnyRows && (long)m * n * k > SmallWork;

    // Below this many multiply–adds MultiplyRows runs on one thread. Lower than ParallelWork: B is packed before the
    // threads start, so they only share out tiles against it. LeNet's first convolution at batch 1 (32×784×9, 226 K)
    // then runs on both cores: 12.9–13.1 → 11.3–11.5 µs in alternated bench/lenet-layers.cs runs (Zen 3, 2 threads).
    private const long RowsParallelWork = 1L << 17;

    [ThreadStatic] private static float[]? _rows;       // RowGroup rows of B, each padded to whole panels
    private const int RowGroup = 8;

    /// <summary>
    /// C (m×n, row stride ldc) = A (m×k, row-major, lda) · B, where B (k×n) comes row by row from
    /// <paramref name="source"/> and each row goes straight into the packed panels (the layout of <see cref="Pack"/>).
    /// For a convolution this replaces storing the unfolded input and then packing a copy of it: one buffer of B's size
    /// instead of two (LeNet's second convolution: 225 KB less beside the next layer's 1.6 MB of weights, which a 2 MB
    /// L2 would keep from call to call if the rest fitted beside them; docs/performance.md) and no packing pass. The same micro-kernel sums in the same order as <see cref="Multiply"/>: the results
    /// are identical. With <paramref name="parallel"/>, the panels are shared out among the threads after packing.
    /// </summary>
    internal static void MultiplyRows<TSource>(int m, int n, int k, ReadOnlySpan<float> a, int lda, TSource source,
        Span<float> c, int ldc, bool parallel) where TSource : struct, IRowSource
    {
        if (m <= 0 || n <= 0) return;
        CheckExtent(a, m, k, lda, "A");
        CheckExtent(c, m, n, ldc, "C");
        if (k <= 0)
        {
            ScaleC(c, m, n, ldc, 0f);
            return;
        }
        bool threaded = parallel && Threading.Threads > 1 && (long)m * n * k >= RowsParallelWork;
        fixed (float* pa = a, pc = c)
            switch (ThreadPath)
            {
                case Isa.Avx512: Rows<Avx512Tile, TSource>(m, n, k, pa, lda, source, pc, ldc, threaded); break;
                case Isa.Avx2Fma: Rows<Avx2Tile, TSource>(m, n, k, pa, lda, source, pc, ldc, threaded); break;
                case Isa.Vector128: Rows<Vector128Tile, TSource>(m, n, k, pa, lda, source, pc, ldc, threaded); break;
                default: Rows<ScalarTile, TSource>(m, n, k, pa, lda, source, pc, ldc, threaded); break;
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows<T, TSource>(int m, int n, int k, float* a, int lda, TSource source, float* c, int ldc, bool threaded)
        where T : struct, IGemmTile where TSource : struct, IRowSource
    {
        int panels = (n + T.NR - 1) / T.NR, width = panels * T.NR;
        int depth = BlockDepth<T>(k);
        // B packed whole, in the blocked product's buffer (the calling thread's, read by its workers): a convolution's
        // backward, which runs the blocked product, then reuses the same memory rather than a second copy's worth.
        var packB = PackBBuffer((long)width * k);
        var rows = _rows;
        if (rows is null || rows.Length < RowGroup * width) _rows = rows = GC.AllocateUninitializedArray<float>(RowGroup * width, pinned: true);
        fixed (float* rawB = packB, pr = rows)
        {
            float* bp = Aligned(rawB);
            for (int r = 0; r < RowGroup; r++) new Span<float>(pr + r * width + n, width - n).Clear(); // the last panel's padding, zero in every row
            for (int pc = 0; pc < k; pc += depth)
            {
                int kc = Math.Min(depth, k - pc);
                float* block = bp + (long)pc * width;
                // A few rows at a time, then each panel's share of them as one contiguous run: row by row, the panels'
                // pieces lie kc·NR floats apart, a multiple of 4 KB whenever kc is a multiple of 32 (LeNet's 288), so
                // every store of a row fell into the same L1 set.
                for (int p0 = 0; p0 < kc; p0 += RowGroup)
                {
                    int count = Math.Min(RowGroup, kc - p0);
                    for (int r = 0; r < count; r++) source.Row(pc + p0 + r, pr + r * width);
                    for (int q = 0; q < panels; q++)
                    {
                        float* dst = block + ((long)q * kc + p0) * T.NR;
                        for (int r = 0; r < count; r++)
                            System.Runtime.CompilerServices.Unsafe.CopyBlockUnaligned(dst + r * T.NR, pr + r * width + q * T.NR, (uint)(T.NR * sizeof(float)));
                    }
                }
            }
            int parts = threaded ? Math.Min(Threading.Threads, panels) : 1;
            if (parts <= 1) RowPanels<T>(0, panels, m, n, k, depth, a, lda, bp, c, ldc);
            else RowPanelsParallel<T>(parts, panels, m, n, k, depth, a, lda, bp, c, ldc);
        }
    }

    // In a method of its own, as BlockedParallel: the lambda's captures would otherwise cost every serial call an object.
    private static void RowPanelsParallel<T>(int parts, int panels, int m, int n, int k, int depth, float* a, int lda, float* bp, float* c, int ldc)
        where T : struct, IGemmTile
    {
        nint an = (nint)a, bn = (nint)bp, cn = (nint)c;
        Threading.For(parts, t => RowPanels<T>(panels * t / parts, panels * (t + 1) / parts, m, n, k, depth, (float*)an, lda, (float*)bn, (float*)cn, ldc));
    }

    /// <summary>C's columns of panels [q0, q1) against the packed B, depth block by depth block (A packed per block, by this thread).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowPanels<T>(int q0, int q1, int m, int n, int k, int depth, float* a, int lda, float* bp, float* c, int ldc)
        where T : struct, IGemmTile
    {
        if (q1 <= q0) return;
        int width = (n + T.NR - 1) / T.NR * T.NR, j0 = q0 * T.NR, nc = Math.Min(n, q1 * T.NR) - j0;
        for (int pc = 0; pc < k; pc += depth)
        {
            int kc = Math.Min(depth, k - pc);
            RunTiles<T>(false, m, nc, kc, a, lda, pc, bp + (long)pc * width + (long)q0 * T.NR * kc, c + j0, ldc, pc == 0, null);
        }
    }
}
