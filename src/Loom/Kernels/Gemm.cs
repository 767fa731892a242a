using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Loom.Kernels;

/// <summary>
/// Single-precision matrix multiply, C = op(A)·op(B) + beta·C, row-major with leading dimensions.
/// Blocked in the BLIS manner: B is packed into KC×NR panels shared by all threads, each thread packs
/// its own MR×KC panels of A, and a register-blocked micro-kernel (MR×NR accumulators in vector
/// registers, fused multiply–add) computes each tile. <see cref="GemmReference"/> is its naive twin.
/// </summary>
public static unsafe class Gemm
{
    private const int MR = 8;    // rows of C per micro-tile
    private const int NR = 32;   // columns of C per micro-tile: two 512-bit (or four 256-bit) vectors
    private const int KC = 128;  // depth of a packed block: a KC×NR panel of B (16 KB) stays in the 32 KB L1
    private const int MC = 192;  // rows of A per packed block (96 KB, L2-resident)
    private const int NC = 2048; // columns of B per packed block (L3-resident)
    private const long SmallWork = 32 * 32 * 32; // below this many multiply–adds the naive loop wins
    private const int SkinnyRows = 4;            // up to this many rows of C, packing costs more than it saves

    [ThreadStatic] private static float[]? _packA;
    [ThreadStatic] private static float[]? _packB; // owned by the calling thread, read by its workers

    /// <summary>
    /// C (m×n, row stride ldc) = op(A)·op(B) + beta·C, where op(A) is m×k and op(B) is k×n.
    /// A is stored m×k (lda) or, when <paramref name="transA"/>, k×m; likewise B.
    /// <paramref name="beta"/> is 0 (overwrite) or 1 (accumulate).
    /// </summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        float beta = 0f, bool parallel = true)
    {
        if (m <= 0 || n <= 0) return;
        CheckExtent(a, transA ? k : m, transA ? m : k, lda, "A");
        CheckExtent(b, transB ? n : k, transB ? k : n, ldb, "B");
        CheckExtent(c, m, n, ldc, "C");
        if (beta == 0f) for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
        else if (beta != 1f) for (int i = 0; i < m; i++) System.Numerics.Tensors.TensorPrimitives.Multiply(c.Slice(i * ldc, n), beta, c.Slice(i * ldc, n));
        if (k <= 0) return;

        if (m <= SkinnyRows)
        {
            MultiplySkinny(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
            return;
        }
        if ((long)m * n * k <= SmallWork)
        {
            GemmReference.MultiplyAccumulate(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
            return;
        }

        fixed (float* pa = a, pb = b, pc = c)
            Blocked(transA, transB, m, n, k, pa, lda, pb, ldb, pc, ldc, parallel && Threading.Threads > 1);
    }

    /// <summary>
    /// A few rows of C (a batch of one or two: text generation, single-image inference): packing B would
    /// copy the whole weight matrix for a handful of multiply–adds per element, so B is read in place —
    /// one contiguous dot product per element when B is transposed (a layer's weight, out×in), otherwise
    /// one vectorised row update per element of A.
    /// </summary>
    private static void MultiplySkinny(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc)
    {
        Span<float> row = k <= 1024 ? stackalloc float[k] : new float[k];
        for (int i = 0; i < m; i++)
        {
            // Row i of op(A), gathered when A is stored transposed.
            if (transA) for (int p = 0; p < k; p++) row[p] = a[p * lda + i];
            else a.Slice(i * lda, k).CopyTo(row);
            var ci = c.Slice(i * ldc, n);
            if (transB)
                for (int j = 0; j < n; j++) ci[j] += System.Numerics.Tensors.TensorPrimitives.Dot(row, b.Slice(j * ldb, k));
            else
                for (int p = 0; p < k; p++)
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(b.Slice(p * ldb, n), row[p], ci, ci);
        }
    }

    private static void CheckExtent(ReadOnlySpan<float> s, int rows, int cols, int ld, string name)
    {
        if (ld < cols) throw new ArgumentException($"GEMM: leading dimension of {name} ({ld}) is smaller than its {cols} columns.");
        if (rows > 0 && cols > 0 && (long)(rows - 1) * ld + cols > s.Length)
            throw new ArgumentException($"GEMM: {name} needs {(long)(rows - 1) * ld + cols} elements for {rows}×{cols} (ld {ld}), has {s.Length}.");
    }

    private static void Blocked(bool transA, bool transB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, bool parallel)
    {
        {
            for (int jc = 0; jc < n; jc += NC)
            {
                int nc = Math.Min(NC, n - jc);
                int panels = (nc + NR - 1) / NR;
                for (int pc = 0; pc < k; pc += KC)
                {
                    int kc = Math.Min(KC, k - pc);
                    int packSize = panels * NR * kc;
                    var packB = _packB;
                    if (packB is null || packB.Length < packSize + Align) _packB = packB = GC.AllocateUninitializedArray<float>(Math.Max(packSize, NC * KC) + Align, pinned: true);
                    fixed (float* raw = packB)
                    {
                        float* bp = Aligned(raw);
                        PackB(transB, b, ldb, pc, jc, kc, nc, bp);
                        RunTiles(transA, m, nc, kc, a, lda, pc, bp, c + jc, ldc, parallel);
                    }
                }
            }
        }
    }

    /// <summary>Splits the rows of C into MC blocks and the packed columns into chunks, one task each.</summary>
    private static void RunTiles(bool transA, int m, int nc, int kc, float* a, int lda, int pc, float* bp, float* c, int ldc, bool parallel)
    {
        int rowBlocks = (m + MC - 1) / MC;
        int panels = (nc + NR - 1) / NR;
        int threads = parallel ? Threading.Threads : 1;
        // Enough column chunks that every thread has work even when m fits one row block.
        int colChunks = Math.Min(panels, Math.Max(1, (threads * 2 + rowBlocks - 1) / rowBlocks));
        int panelsPerChunk = (panels + colChunks - 1) / colChunks;
        colChunks = (panels + panelsPerChunk - 1) / panelsPerChunk;
        int tiles = rowBlocks * colChunks;
        nint an = (nint)a, bn = (nint)bp, cn = (nint)c;

        void Tile(int t)
        {
            int ib = t / colChunks, jb = t % colChunks;
            int ic = ib * MC, mc = Math.Min(MC, m - ic);
            int p0 = jb * panelsPerChunk, p1 = Math.Min(panels, p0 + panelsPerChunk);
            int aSize = ((mc + MR - 1) / MR) * MR * kc;
            var packA = _packA;
            if (packA is null || packA.Length < aSize + Align) _packA = packA = GC.AllocateUninitializedArray<float>(MC * KC + Align, pinned: true);
            fixed (float* raw = packA)
            {
                float* ap = Aligned(raw);
                PackA(transA, (float*)an, lda, ic, pc, mc, kc, ap);
                for (int p = p0; p < p1; p++)
                {
                    int j = p * NR, nr = Math.Min(NR, nc - j);
                    float* bpanel = (float*)bn + (long)p * NR * kc;
                    for (int i = 0; i < mc; i += MR)
                    {
                        int mr = Math.Min(MR, mc - i);
                        float* cTile = (float*)cn + (long)(ic + i) * ldc + j;
                        MicroKernel(kc, ap + (long)i * kc, bpanel, cTile, ldc, mr, nr);
                    }
                }
            }
        }

        if (tiles == 1 || threads == 1) { for (int t = 0; t < tiles; t++) Tile(t); }
        else Parallel.For(0, tiles, Threading.Options, Tile);
    }

    private const int Align = 16; // floats: packed panels start on a 64-byte line so vector loads never split lines

    private static float* Aligned(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    /// <summary>Packs op(A)[ic..ic+mc, pc..pc+kc] as MR-row panels, each stored k-major (MR floats per k), zero-padded.</summary>
    private static void PackA(bool transA, float* a, int lda, int ic, int pc, int mc, int kc, float* dst)
    {
        for (int i0 = 0; i0 < mc; i0 += MR)
        {
            int mr = Math.Min(MR, mc - i0);
            float* panel = dst + (long)i0 * kc;
            if (!transA)
            {
                for (int r = 0; r < MR; r++)
                {
                    if (r < mr)
                    {
                        float* src = a + (long)(ic + i0 + r) * lda + pc;
                        for (int p = 0; p < kc; p++) panel[p * MR + r] = src[p];
                    }
                    else for (int p = 0; p < kc; p++) panel[p * MR + r] = 0f;
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = a + (long)(pc + p) * lda + ic + i0;
                    float* d = panel + p * MR;
                    if (mr == MR) Unsafe.CopyBlockUnaligned(d, src, MR * sizeof(float));
                    else { for (int r = 0; r < mr; r++) d[r] = src[r]; for (int r = mr; r < MR; r++) d[r] = 0f; }
                }
            }
        }
    }

    /// <summary>Packs op(B)[pc..pc+kc, jc..jc+nc] as NR-column panels, each stored k-major (NR floats per k), zero-padded.</summary>
    private static void PackB(bool transB, float* b, int ldb, int pc, int jc, int kc, int nc, float* dst)
    {
        int panels = (nc + NR - 1) / NR;
        for (int pnl = 0; pnl < panels; pnl++)
        {
            int j0 = pnl * NR, nr = Math.Min(NR, nc - j0);
            float* panel = dst + (long)pnl * NR * kc;
            if (!transB)
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = b + (long)(pc + p) * ldb + jc + j0;
                    float* d = panel + p * NR;
                    if (nr == NR) Unsafe.CopyBlockUnaligned(d, src, NR * sizeof(float));
                    else { for (int j = 0; j < nr; j++) d[j] = src[j]; for (int j = nr; j < NR; j++) d[j] = 0f; }
                }
            }
            else
            {
                for (int j = 0; j < NR; j++)
                {
                    if (j < nr)
                    {
                        float* src = b + (long)(jc + j0 + j) * ldb + pc;
                        for (int p = 0; p < kc; p++) panel[p * NR + j] = src[p];
                    }
                    else for (int p = 0; p < kc; p++) panel[p * NR + j] = 0f;
                }
            }
        }
    }

    /// <summary>C[0..mr, 0..nr] += Apanel (kc×MR) · Bpanel (kc×NR); full tiles go straight to C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MicroKernel(int kc, float* ap, float* bp, float* c, int ldc, int mr, int nr)
    {
        if (mr == MR && nr == NR)
        {
            if (Vector512.IsHardwareAccelerated) Kernel512(kc, ap, bp, c, ldc);
            else Kernel256(kc, ap, bp, c, ldc);
            return;
        }
        // Edge tile: compute the full tile into a scratch block, then add the valid part.
        float* tmp = stackalloc float[MR * NR];
        new Span<float>(tmp, MR * NR).Clear();
        if (Vector512.IsHardwareAccelerated) Kernel512(kc, ap, bp, tmp, NR);
        else Kernel256(kc, ap, bp, tmp, NR);
        for (int i = 0; i < mr; i++)
            for (int j = 0; j < nr; j++)
                c[(long)i * ldc + j] += tmp[i * NR + j];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512(int kc, float* ap, float* bp, float* c, int ldc)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default,
            c20 = default, c21 = default, c30 = default, c31 = default,
            c40 = default, c41 = default, c50 = default, c51 = default,
            c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(bp);
            var b1 = Vector512.Load(bp + 16);
            Vector512<float> a;
            a = Vector512.Create(ap[0]); c00 = Vector512.FusedMultiplyAdd(a, b0, c00); c01 = Vector512.FusedMultiplyAdd(a, b1, c01);
            a = Vector512.Create(ap[1]); c10 = Vector512.FusedMultiplyAdd(a, b0, c10); c11 = Vector512.FusedMultiplyAdd(a, b1, c11);
            a = Vector512.Create(ap[2]); c20 = Vector512.FusedMultiplyAdd(a, b0, c20); c21 = Vector512.FusedMultiplyAdd(a, b1, c21);
            a = Vector512.Create(ap[3]); c30 = Vector512.FusedMultiplyAdd(a, b0, c30); c31 = Vector512.FusedMultiplyAdd(a, b1, c31);
            a = Vector512.Create(ap[4]); c40 = Vector512.FusedMultiplyAdd(a, b0, c40); c41 = Vector512.FusedMultiplyAdd(a, b1, c41);
            a = Vector512.Create(ap[5]); c50 = Vector512.FusedMultiplyAdd(a, b0, c50); c51 = Vector512.FusedMultiplyAdd(a, b1, c51);
            a = Vector512.Create(ap[6]); c60 = Vector512.FusedMultiplyAdd(a, b0, c60); c61 = Vector512.FusedMultiplyAdd(a, b1, c61);
            a = Vector512.Create(ap[7]); c70 = Vector512.FusedMultiplyAdd(a, b0, c70); c71 = Vector512.FusedMultiplyAdd(a, b1, c71);
            ap += MR; bp += NR;
        }
        Store(c, c00, c01); c += ldc; Store(c, c10, c11); c += ldc;
        Store(c, c20, c21); c += ldc; Store(c, c30, c31); c += ldc;
        Store(c, c40, c41); c += ldc; Store(c, c50, c51); c += ldc;
        Store(c, c60, c61); c += ldc; Store(c, c70, c71);

        static void Store(float* row, Vector512<float> lo, Vector512<float> hi)
        {
            (Vector512.Load(row) + lo).Store(row);
            (Vector512.Load(row + 16) + hi).Store(row + 16);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256(int kc, float* ap, float* bp, float* c, int ldc)
    {
        // Portable fallback: one row of the tile at a time, four 256-bit accumulators.
        for (int r = 0; r < MR; r++)
        {
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            float* a = ap + r, b = bp;
            for (int p = 0; p < kc; p++)
            {
                var av = Vector256.Create(*a);
                s0 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b), s0);
                s1 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b + 8), s1);
                s2 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b + 16), s2);
                s3 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b + 24), s3);
                a += MR; b += NR;
            }
            float* row = c + (long)r * ldc;
            (Vector256.Load(row) + s0).Store(row);
            (Vector256.Load(row + 8) + s1).Store(row + 8);
            (Vector256.Load(row + 16) + s2).Store(row + 16);
            (Vector256.Load(row + 24) + s3).Store(row + 24);
        }
    }
}
