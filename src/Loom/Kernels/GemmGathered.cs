using System.Runtime.CompilerServices;
namespace Loom.Kernels;

public static unsafe partial class Gemm
{
    // Below this many multiply–adds MultiplyGathered runs on one thread. As low as MultiplyRows's: B is packed before
    // the threads start, so they only share out tiles. LeNet's first convolution at batch 1 (784×32×9, 226 K) then runs
    // on both cores: 22.6 → 14.8 µs (medians of alternated calls, Zen 3, 2 threads; docs/performance.md, run 12).
    private const long GatheredParallelWork = 1L << 17;

    /// <summary>What <see cref="MultiplyGathered{TFinished}"/> does with rows of C once they are final.</summary>
    internal interface IFinishedRows
    {
        /// <summary>Rows [i0, i1) of C hold their final values; called on the thread that computed them.</summary>
        void Rows(int i0, int i1);
    }

    /// <summary>
    /// C (m×n, row stride ldc) = A (m×k) · B, where element (i, p) of A is <c>origin[rowOffsets[i] + offsets[p]]</c>,
    /// read in place — never copied, never packed — and B was packed by <see cref="Pack"/> (k×n) under this thread's
    /// family. A convolution's unfolded input, transposed, is such an A: row i is output position i, column p kernel tap
    /// p, both offsets into the padded input (<see cref="Convolution"/>). Against <see cref="MultiplyShifted"/>, which
    /// reads the same input as B, this puts the output positions on the tile's rows, so only the output's own positions
    /// are computed (no grid columns past its width) and the output channels fill whole panels. Each element sums
    /// over p in the order and with the operations of <see cref="Multiply"/>: the results are identical.
    /// With <paramref name="parallel"/>, the threads take equal runs of MR-row tiles; each thread hands its rows
    /// [i0, i1), once they are final, to <paramref name="finished"/> (on that thread, while the rows are in its cache).
    /// A struct, so that a serial call allocates nothing (a training batch makes one call per sample and layer).
    /// </summary>
    internal static void MultiplyGathered<TFinished>(int m, int n, int k, float* origin, ReadOnlySpan<int> rowOffsets, ReadOnlySpan<int> offsets,
        ReadOnlySpan<float> packed, Span<float> c, int ldc, bool parallel, TFinished finished)
        where TFinished : struct, IFinishedRows
    {
        if (m <= 0 || n <= 0) return;
        CheckExtent(c, m, n, ldc, "C");
        CheckPacked(packed, k, n);
        if (rowOffsets.Length < m) throw new ArgumentException($"rowOffsets has {rowOffsets.Length} entries; A has {m} rows.", nameof(rowOffsets));
        if (offsets.Length < k) throw new ArgumentException($"offsets has {offsets.Length} entries; A has {k} columns.", nameof(offsets));
        bool threaded = parallel && Threading.Threads > 1 && (long)m * n * k >= GatheredParallelWork;
        fixed (int* pr = rowOffsets, po = offsets)
        fixed (float* pp = packed, pc = c)
            switch (ThreadPath)
            {
                case Isa.Avx512: Gathered<Avx512Tile, TFinished>(m, n, k, origin, pr, po, pp, pc, ldc, threaded, finished); break;
                case Isa.Avx2Fma: Gathered<Avx2Tile, TFinished>(m, n, k, origin, pr, po, pp, pc, ldc, threaded, finished); break;
                case Isa.Vector128: Gathered<Vector128Tile, TFinished>(m, n, k, origin, pr, po, pp, pc, ldc, threaded, finished); break;
                default: Gathered<ScalarTile, TFinished>(m, n, k, origin, pr, po, pp, pc, ldc, threaded, finished); break;
            }
    }

    private static void Gathered<T, TFinished>(int m, int n, int k, float* origin, int* rowOffsets, int* offsets, float* packed, float* c, int ldc,
        bool threaded, TFinished finished)
        where T : struct, IGemmTile where TFinished : struct, IFinishedRows
    {
        int tiles = (m + T.MR - 1) / T.MR;
        int parts = threaded ? Math.Min(Threading.Threads, tiles) : 1;
        if (parts <= 1)
        {
            GatheredRows<T>(0, m, n, k, origin, rowOffsets, offsets, packed, c, ldc);
            finished.Rows(0, m);
            return;
        }
        GatheredParallel<T, TFinished>(parts, tiles, m, n, k, origin, rowOffsets, offsets, packed, c, ldc, finished);
    }

    /// <summary>
    /// The threads take equal runs of tiles of rows. A method of its own: the lambda's captured variables would
    /// otherwise be allocated on every call, serial ones included (once per sample of a training batch).
    /// </summary>
    private static void GatheredParallel<T, TFinished>(int parts, int tiles, int m, int n, int k, float* origin, int* rowOffsets, int* offsets,
        float* packed, float* c, int ldc, TFinished finished)
        where T : struct, IGemmTile where TFinished : struct, IFinishedRows
    {
        nint on = (nint)origin, rn = (nint)rowOffsets, offn = (nint)offsets, pn = (nint)packed, cn = (nint)c;
        Threading.For(parts, t =>
        {
            int i0 = Math.Min(m, tiles * t / parts * T.MR), i1 = Math.Min(m, tiles * (t + 1) / parts * T.MR);
            GatheredRows<T>(i0, i1, n, k, (float*)on, (int*)rn, (int*)offn, (float*)pn, (float*)cn, ldc);
            finished.Rows(i0, i1);
        });
    }

    /// <summary>
    /// Rows [i0, i1) of C, depth block by depth block (the blocks of <see cref="Pack"/>'s layout): for each tile of MR rows,
    /// every panel, so that the tile's A values stay in L1 while the panels go by.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit] // rows and the scratch tile are written before they are read
    private static void GatheredRows<T>(int i0, int i1, int n, int k, float* origin, int* rowOffsets, int* offsets, float* packed, float* c, int ldc)
        where T : struct, IGemmTile
    {
        int panels = (n + T.NR - 1) / T.NR;
        int depth = BlockDepth<T>(k);
        float** rows = stackalloc float*[T.MR];
        float* tmp = stackalloc float[MaxTile];
        for (int pc = 0; pc < k; pc += depth)
        {
            int kc = Math.Min(depth, k - pc);
            float* block = packed + (long)pc * panels * T.NR;
            bool overwrite = pc == 0;
            for (int i = i0; i < i1; i += T.MR)
            {
                int mr = Math.Min(T.MR, i1 - i);
                // An edge tile repeats its last row: every pointer stays inside A, and the extra rows are not kept.
                for (int r = 0; r < T.MR; r++) rows[r] = origin + rowOffsets[i + Math.Min(r, mr - 1)];
                for (int q = 0; q < panels; q++)
                {
                    int j = q * T.NR, nr = Math.Min(T.NR, n - j);
                    float* bp = block + (long)q * T.NR * kc, cij = c + (long)i * ldc + j;
                    if (mr == T.MR && nr == T.NR)
                    {
                        T.Gathered(kc, rows, offsets + pc, bp, cij, ldc, overwrite);
                        continue;
                    }
                    T.Gathered(kc, rows, offsets + pc, bp, tmp, T.NR, overwrite: true);
                    for (int r = 0; r < mr; r++)
                        for (int jj = 0; jj < nr; jj++)
                        {
                            ref float e = ref cij[(long)r * ldc + jj];
                            float v = tmp[r * T.NR + jj];
                            e = overwrite ? v : e + v;
                        }
                }
            }
        }
    }
}
