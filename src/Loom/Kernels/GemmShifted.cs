using System.Runtime.CompilerServices;
namespace Loom.Kernels;

public static unsafe partial class Gemm
{
    /// <summary>Floats past the end of B's last row that <see cref="MultiplyShifted"/> may read: the widest family's NR − 1, rounded up.</summary>
    internal const int ShiftedSlack = 32;

    /// <summary>
    /// C (m×n, row stride ldc) = A (m×k, row-major, lda) · B, where row p of B is the n floats at
    /// <c>origin + offsets[p]</c>, read in place: never copied, never packed. A stride-1 convolution's unfolded input
    /// is such a B once the input is padded: for tap (channel ci, kernel row i, kernel column j), the row holds the
    /// padded image from ci·Hp·Wp + i·Wp + j on, output positions on a grid Wp wide (<see cref="Convolution"/>).
    /// The micro-kernels load whole NR-wide rows, so up to NR − 1 floats past the end of each row are read (not used):
    /// the caller leaves <see cref="ShiftedSlack"/> floats readable after the last one. The same micro-kernels sum in the same order as
    /// <see cref="Multiply"/> and <see cref="MultiplyRows"/>, on the same B: the results are identical. With
    /// <paramref name="parallel"/>, C's rows are shared out among the threads.
    /// </summary>
    internal static void MultiplyShifted(int m, int n, int k, ReadOnlySpan<float> a, int lda, float* origin, ReadOnlySpan<int> offsets,
        Span<float> c, int ldc, bool parallel)
    {
        if (m <= 0 || n <= 0) return;
        CheckExtent(a, m, k, lda, "A");
        CheckExtent(c, m, n, ldc, "C");
        if (offsets.Length < k) throw new ArgumentException($"offsets has {offsets.Length} entries; B has {k} rows.", nameof(offsets));
        if (k <= 0)
        {
            ScaleC(c, m, n, ldc, 0f);
            return;
        }
        bool threaded = parallel && Threading.Threads > 1 && (long)m * n * k >= ParallelWork;
        fixed (float* pa = a, pc = c)
        fixed (int* po = offsets)
            switch (ThreadPath)
            {
                case Isa.Avx512: Shifted<Avx512Tile>(m, n, k, pa, lda, origin, po, pc, ldc, threaded); break;
                case Isa.Avx2Fma: Shifted<Avx2Tile>(m, n, k, pa, lda, origin, po, pc, ldc, threaded); break;
                case Isa.Vector128: Shifted<Vector128Tile>(m, n, k, pa, lda, origin, po, pc, ldc, threaded); break;
                default: Shifted<ScalarTile>(m, n, k, pa, lda, origin, po, pc, ldc, threaded); break;
            }
    }

    private static void Shifted<T>(int m, int n, int k, float* a, int lda, float* origin, int* offsets, float* c, int ldc, bool threaded)
        where T : struct, IGemmTile
    {
        int panels = (n + T.NR - 1) / T.NR, tiles = (m + T.MR - 1) / T.MR;
        int parts = threaded ? Math.Min(Threading.Threads, tiles) : 1;
        if (parts <= 1) ShiftedColumns<T>(0, panels, m, n, k, a, lda, origin, offsets, c, ldc);
        else ShiftedParallel<T>(parts, tiles, panels, m, n, k, a, lda, origin, offsets, c, ldc);
    }

    /// <summary>
    /// The threads share out C's micro-tiles, an equal run of them each, counted row of tiles by row of tiles: a
    /// thread packs only the rows of A its tiles need, and B — the padded image, small next to the unfolding it stands
    /// for — is read by all. (Shared out by columns, every thread packed the whole of A: LeNet's 74 KB twice. By whole
    /// rows of tiles, LeNet's 64 rows — ten 6-row tiles and a partial one — split 5 : 6, and the second convolution
    /// at batch 1 waited for the sixth: its best of four alternated bench/lenet-layers.cs runs went 68.2 → 65.1 µs on a
    /// Zen 3 with 2 threads.)
    /// </summary>
    private static void ShiftedParallel<T>(int parts, int tiles, int panels, int m, int n, int k, float* a, int lda, float* origin, int* offsets, float* c, int ldc)
        where T : struct, IGemmTile
    {
        nint an = (nint)a, on = (nint)origin, offn = (nint)offsets, cn = (nint)c;
        long total = (long)tiles * panels;
        Threading.For(parts, t =>
        {
            // Tiles [u0, u1) of the row-major order: a partial row of tiles, whole rows, then another partial row.
            for (long u = total * t / parts, end = total * (t + 1) / parts; u < end;)
            {
                int tile = (int)(u / panels), q0 = (int)(u % panels), q1 = (int)Math.Min(panels, q0 + (end - u));
                int rows = q0 == 0 && q1 == panels ? (int)((end - u) / panels) : 1; // rows of tiles in this piece
                int i0 = tile * T.MR, i1 = Math.Min(m, (tile + rows) * T.MR);
                ShiftedColumns<T>(q0, q1, i1 - i0, n, k, (float*)an + (long)i0 * lda, lda, (float*)on, (int*)offn, (float*)cn + (long)i0 * ldc, ldc);
                u += (long)rows * (q1 - q0);
            }
        });
    }

    /// <summary>C's columns of panels [q0, q1), depth block by depth block (A packed per block, by this thread).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ShiftedColumns<T>(int q0, int q1, int m, int n, int k, float* a, int lda, float* origin, int* offsets, float* c, int ldc)
        where T : struct, IGemmTile
    {
        if (q1 <= q0) return;
        int j0 = q0 * T.NR, nc = Math.Min(n, q1 * T.NR) - j0;
        int depth = BlockDepth<T>(k);
        for (int pc = 0; pc < k; pc += depth)
            RunTiles<T, ShiftedPanels<T>, ShiftedRows>(false, m, nc, Math.Min(depth, k - pc), a, lda, pc,
                new ShiftedPanels<T>(origin + j0, offsets + pc), c + j0, ldc, pc == 0, null);
    }
}
