using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Runtime.Intrinsics.Arm;

namespace Loom.Kernels;

/// <summary>
/// Single-precision matrix multiply, C = op(A)·op(B) + beta·C, row-major with leading dimensions.
/// Blocked in the BLIS manner: B is packed into KC×NR panels and A into MR×KC panels, and a register-blocked
/// micro-kernel (MR×NR accumulators in vector registers, fused multiply–add) computes each tile. Threads each
/// take an independent block of C and pack their own panels. <see cref="GemmReference"/> is its naive twin.
/// The tile shape, packing and block sizes follow the instruction set (<see cref="Path"/>): AVX-512, AVX2+FMA,
/// 128-bit vectors (ARM64 AdvSimd, or SSE) or scalar code.
/// </summary>
public static unsafe partial class Gemm
{
    /// <summary>The micro-kernel family, by instruction set. <see cref="Path"/> is a JIT-time constant, so each
    /// process runs exactly one family, chosen once at start-up (forced lower by DOTNET_EnableAVX512=0,
    /// DOTNET_EnableAVX2=0 or DOTNET_EnableHWIntrinsic=0: the tests run under each). Each family is a struct
    /// implementing <see cref="IGemmTile"/> (tile shape, block sizes, kernel), over which the blocked product is generic.</summary>
    internal enum Isa { Avx512, Avx2Fma, Vector128, Scalar }

    internal static Isa Path
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512.IsHardwareAccelerated ? Isa.Avx512
            : Vector256.IsHardwareAccelerated && Fma.IsSupported ? Isa.Avx2Fma
            : Vector128.IsHardwareAccelerated ? Isa.Vector128
            : Isa.Scalar;
    }

    // Tests only: the family this thread's products use instead of Path (null: Path). Every family runs on every CPU,
    // the wider vectors in software where the hardware lacks them (slow, but the same arithmetic), so the tests prove the
    // AVX-512 kernel on an AVX2 machine. Read once per call, on the calling thread; a threaded product's workers run the
    // family their caller chose. A packed B must be multiplied under the family that packed it.
    [ThreadStatic] private static Isa? _forcedPath;

    /// <summary>The family this thread's products use: <see cref="Path"/> unless a test forced another.</summary>
    internal static Isa ThreadPath
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _forcedPath ?? Path;
    }

    /// <summary>For tests: runs this thread's products on <paramref name="path"/> until the returned scope is disposed.</summary>
    internal static PathScope ForcePath(Isa path)
    {
        var scope = new PathScope(_forcedPath);
        _forcedPath = path;
        return scope;
    }

    internal readonly struct PathScope(Isa? previous) : IDisposable
    {
        public void Dispose() => _forcedPath = previous;
    }

    /// <summary>The tile shape and block sizes of this thread's family (for tests and reports).</summary>
    internal static (int MR, int NR, int KC, int MC) Blocking => ThreadPath switch
    {
        Isa.Avx512 => BlockingOf<Avx512Tile>(),
        Isa.Avx2Fma => BlockingOf<Avx2Tile>(),
        Isa.Vector128 => BlockingOf<Vector128Tile>(),
        _ => BlockingOf<ScalarTile>(),
    };

    private static (int MR, int NR, int KC, int MC) BlockingOf<T>() where T : struct, IGemmTile => (T.MR, T.NR, T.KC, T.MC);

    /// <summary>What <see cref="Path"/> means, for reports (<c>loom doctor</c>).</summary>
    public static string PathName
    {
        get
        {
            var (mr, nr, _, _) = Blocking;
            return ThreadPath switch
            {
                Isa.Avx512 => $"AVX-512 {mr}×{nr} micro-kernel",
                Isa.Avx2Fma => $"AVX2+FMA {mr}×{nr} micro-kernel",
                Isa.Vector128 => $"{(AdvSimd.IsSupported ? "ARM64 AdvSimd" : "SSE")} Vector128 {mr}×{nr} micro-kernel",
                _ => $"scalar {mr}×{nr} micro-kernel",
            };
        }
    }

    private const int MaxTile = 8 * 32; // floats in the largest micro-tile (an edge tile's scratch block)

    // NC: columns of B per block (KC, MC and the tile shape belong to each family, in GemmTiles.cs).
    private const int NC = 2048; // L3-resident
    private const long SmallWork = 32 * 32 * 32; // below this many multiply–adds the naive loop wins
    private const long ParallelWork = 1L << 20;  // below this many multiply–adds, waking a second thread costs more than it saves
    private const int NarrowColumns = 16;        // up to this many columns of A·Bᵀ, dot products beat a padded panel
    private const int SkinnyRows = 4;            // up to this many rows of C, packing costs more than it saves
    private const long SkinnyParallelFloats = 1L << 18; // a transposed B this large (1 MB) is read by two threads, half each

    [ThreadStatic] private static float[]? _packA;
    [ThreadStatic] private static float[]? _packB; // owned by the calling thread, read by its workers

    /// <summary>The calling thread's buffer for a packed B of <paramref name="floats"/> floats (plus room to align it), grown when too small.</summary>
    private static float[] PackBBuffer(long floats)
    {
        var packB = _packB;
        if (packB is null || packB.Length < floats + Align) _packB = packB = GC.AllocateUninitializedArray<float>(checked((int)(floats + Align)), pinned: true);
        return packB;
    }

    /// <summary>
    /// C (m×n, row stride ldc) = op(A)·op(B) + beta·C, where op(A) is m×k and op(B) is k×n.
    /// A is stored m×k (lda) or, when <paramref name="transA"/>, k×m; likewise B.
    /// <paramref name="beta"/> is 0 (overwrite) or 1 (accumulate). A non-empty <paramref name="columnBias"/>
    /// (n values) is added to every row of C: a layer's bias, added by the micro-kernel as it stores a tile
    /// rather than in another pass over C.
    /// </summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        float beta = 0f, bool parallel = true, ReadOnlySpan<float> columnBias = default)
    {
        if (m <= 0 || n <= 0) return;
        CheckExtent(a, transA ? k : m, transA ? m : k, lda, "A");
        CheckExtent(b, transB ? n : k, transB ? k : n, ldb, "B");
        CheckExtent(c, m, n, ldc, "C");
        if (!columnBias.IsEmpty && columnBias.Length < n) throw new ArgumentException($"GEMM: the column bias has {columnBias.Length} values for {n} columns.");
        bool blocked = k > 0 && m > SkinnyRows && !(!transA && transB && n <= NarrowColumns) && (long)m * n * k > SmallWork;
        // The blocked product writes C (and adds the bias) in its first pass when beta is 0; the other paths add into C.
        if (!blocked || beta != 0f) ScaleC(c, m, n, ldc, beta);
        if (blocked)
        {
            bool threaded = parallel && Threading.Threads > 1 && (long)m * n * k >= ParallelWork;
            fixed (float* pa = a, pb = b, pc = c, pBias = columnBias)
                switch (ThreadPath)
                {
                    case Isa.Avx512: Blocked<Avx512Tile>(transA, transB, m, n, k, pa, lda, pb, ldb, pc, ldc, beta == 0f, pBias, threaded); break;
                    case Isa.Avx2Fma: Blocked<Avx2Tile>(transA, transB, m, n, k, pa, lda, pb, ldb, pc, ldc, beta == 0f, pBias, threaded); break;
                    case Isa.Vector128: Blocked<Vector128Tile>(transA, transB, m, n, k, pa, lda, pb, ldb, pc, ldc, beta == 0f, pBias, threaded); break;
                    default: Blocked<ScalarTile>(transA, transB, m, n, k, pa, lda, pb, ldb, pc, ldc, beta == 0f, pBias, threaded); break;
                }
            return;
        }

        if (k > 0)
        {
            if (m <= SkinnyRows && !transA && transB && parallel && Threading.Threads > 1 && (long)n * k >= SkinnyParallelFloats)
                MultiplySkinnyParallel(m, n, k, a, lda, b, ldb, c, ldc);
            else if (m <= SkinnyRows) MultiplySkinny(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
            else if (!transA && transB && n <= NarrowColumns) MultiplyNarrowTransposed(m, n, k, a, lda, b, ldb, c, ldc, parallel);
            else GemmReference.MultiplyAccumulate(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        }
        if (!columnBias.IsEmpty)
            for (int i = 0; i < m; i++) System.Numerics.Tensors.TensorPrimitives.Add(c.Slice(i * ldc, n), columnBias[..n], c.Slice(i * ldc, n));
    }

    /// <summary>
    /// Packs op(B) (k×n; stored n×k when <paramref name="transB"/>) once, for many products with the same B —
    /// a recurrent layer's W_hh, multiplied at every time step — into <paramref name="packed"/>, which needs
    /// <see cref="PackedSize"/> floats. The layout is that of the blocked product's panels, one block of depth BlockDepth(k) after another.
    /// </summary>
    public static void Pack(bool transB, int k, int n, ReadOnlySpan<float> b, int ldb, Span<float> packed)
    {
        CheckExtent(b, transB ? n : k, transB ? k : n, ldb, "B");
        CheckPacked(packed, k, n);
        fixed (float* pb = b, pp = packed)
            switch (ThreadPath)
            {
                case Isa.Avx512: PackWhole<Avx512Tile>(transB, k, n, pb, ldb, pp); break;
                case Isa.Avx2Fma: PackWhole<Avx2Tile>(transB, k, n, pb, ldb, pp); break;
                case Isa.Vector128: PackWhole<Vector128Tile>(transB, k, n, pb, ldb, pp); break;
                default: PackWhole<ScalarTile>(transB, k, n, pb, ldb, pp); break;
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackWhole<T>(bool transB, int k, int n, float* b, int ldb, float* packed) where T : struct, IGemmTile
    {
        int panels = (n + T.NR - 1) / T.NR;
        int depth = BlockDepth<T>(k);
        for (int pc = 0; pc < k; pc += depth)
            PackB<T>(transB, b, ldb, pc, 0, Math.Min(depth, k - pc), n, packed + (long)pc * panels * T.NR);
    }

    /// <summary>Floats that <see cref="Pack"/> writes for a k×n matrix.</summary>
    public static int PackedSize(int k, int n)
    {
        int nr = Blocking.NR;
        return checked(k * ((n + nr - 1) / nr) * nr);
    }

    /// <summary>
    /// C (m×n) = A·B + beta·C on the calling thread, with B packed by <see cref="Pack"/> (k×n): no per-call packing
    /// of B, so that several threads can share one packed B, each for its own rows of A and C.
    /// </summary>
    public static void MultiplyPacked(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> packed,
        Span<float> c, int ldc, float beta = 0f)
    {
        if (m <= 0 || n <= 0) return;
        CheckExtent(a, m, k, lda, "A");
        CheckExtent(c, m, n, ldc, "C");
        CheckPacked(packed, k, n);
        bool overwrite = beta == 0f && k > 0; // the first block's tiles write C
        if (!overwrite) ScaleC(c, m, n, ldc, beta);
        fixed (float* pa = a, pp = packed, pc = c)
            switch (ThreadPath)
            {
                case Isa.Avx512: MultiplyPackedBlocks<Avx512Tile>(m, n, k, pa, lda, pp, pc, ldc, overwrite); break;
                case Isa.Avx2Fma: MultiplyPackedBlocks<Avx2Tile>(m, n, k, pa, lda, pp, pc, ldc, overwrite); break;
                case Isa.Vector128: MultiplyPackedBlocks<Vector128Tile>(m, n, k, pa, lda, pp, pc, ldc, overwrite); break;
                default: MultiplyPackedBlocks<ScalarTile>(m, n, k, pa, lda, pp, pc, ldc, overwrite); break;
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyPackedBlocks<T>(int m, int n, int k, float* a, int lda, float* packed, float* c, int ldc, bool overwrite)
        where T : struct, IGemmTile
    {
        int panels = (n + T.NR - 1) / T.NR;
        int depth = BlockDepth<T>(k);
        for (int pc = 0; pc < k; pc += depth)
            RunTiles<T>(false, m, n, Math.Min(depth, k - pc), a, lda, pc, packed + (long)pc * panels * T.NR, c, ldc, overwrite && pc == 0, null);
    }

    /// <summary>
    /// A few rows of C (a batch of one or two: text generation, single-image inference): packing B would
    /// copy the whole weight matrix for a handful of multiply–adds per element, so B is read in place —
    /// one contiguous dot product per element when B is transposed (a layer's weight, out×in), otherwise
    /// one vectorised row update per element of A.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplySkinny(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc)
    {
        // Row i of op(A) is read in place, or gathered into this buffer when A is stored transposed.
        Span<float> gathered = !transA ? default : k <= 1024 ? stackalloc float[k] : new float[k];
        fixed (float* pa = a, pb = b, pc = c, pg = gathered)
            for (int i = 0; i < m; i++)
            {
                float* row = pa + (long)i * lda;
                if (transA)
                {
                    for (int p = 0; p < k; p++) pg[p] = pa[(long)p * lda + i];
                    row = pg;
                }
                float* ci = pc + (long)i * ldc;
                if (transB) NarrowRow(row, pb, ldb, ci, n, k); // the dot products, four rows of B per load of A
                else
                {
                    var cs = new Span<float>(ci, n);
                    for (int p = 0; p < k; p++)
                        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(pb + (long)p * ldb, n), row[p], cs, cs);
                }
            }
    }

    /// <summary>
    /// A few rows of C against a large transposed B (a batch-1 linear layer of 3136×128, an LSTM's W_hh at
    /// generation): the product only streams B, so it is bound by how fast one core reads memory. Each thread
    /// takes its own rows of B (columns of C), reading half as much, and keeps its half in its own cache from call
    /// to call. Every element is computed exactly as on one thread.
    /// </summary>
    private static void MultiplySkinnyParallel(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc)
    {
        fixed (float* pa = a, pb = b, pc = c)
            SkinnyColumns(m, n, k, pa, lda, pb, ldb, pc, ldc, Math.Min(Threading.Threads, (n + 3) / 4));
    }

    private static void SkinnyColumns(int m, int n, int k, float* a, int lda, float* b, int ldb, float* c, int ldc, int parts)
    {
        nint an = (nint)a, bn = (nint)b, cn = (nint)c;
        Threading.For(parts, t =>
        {
            // Whole groups of four rows of B per part, as NarrowRow takes them.
            int j0 = Math.Min(n, (int)((long)n * t / parts) & ~3), j1 = t == parts - 1 ? n : Math.Min(n, (int)((long)n * (t + 1) / parts) & ~3);
            for (int i = 0; i < m; i++)
                NarrowRow((float*)an + (long)i * lda, (float*)bn + (long)j0 * ldb, ldb, (float*)cn + (long)i * ldc + j0, j1 - j0, k);
        });
    }

    /// <summary>
    /// A·Bᵀ with only a few columns (a convolution's weight gradient with a single input channel, say): a packed
    /// NR-wide panel would be mostly padding, while each element is a dot product of two contiguous rows. Four
    /// dot products run together so that each chunk of A's row is loaded once for four rows of B.
    /// </summary>
    private static void MultiplyNarrowTransposed(int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, bool parallel)
    {
        fixed (float* pa = a, pb = b, pc = c)
        {
            if (parallel && Threading.Threads > 1 && (long)m * n * k > 1 << 16) NarrowRowsParallel(m, n, k, pa, lda, pb, ldb, pc, ldc);
            else for (int i = 0; i < m; i++) NarrowRow(pa + (long)i * lda, pb, ldb, pc + (long)i * ldc, n, k);
        }
    }

    // The threaded loops live in methods of their own: a lambda's captured parameters are allocated on entry to
    // the method that declares them, which would cost every serial call (a conv sample's GEMM) an object.
    private static void NarrowRowsParallel(int m, int n, int k, float* a, int lda, float* b, int ldb, float* c, int ldc)
    {
        nint an = (nint)a, bn = (nint)b, cn = (nint)c;
        Threading.For(m, i => NarrowRow((float*)an + (long)i * lda, (float*)bn, ldb, (float*)cn + (long)i * ldc, n, k));
    }

    /// <summary>
    /// c[j] += a·b_j for the n rows b_j of B (stride ldb), four at a time (a group's missing rows repeat its last one
    /// and are dropped), in the widest vectors the CPU runs natively.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowRow(float* a, float* b, int ldb, float* c, int n, int k)
    {
        for (int j0 = 0; j0 < n; j0 += 4)
        {
            float* b0 = b + (long)j0 * ldb;
            float* b1 = b + (long)Math.Min(j0 + 1, n - 1) * ldb;
            float* b2 = b + (long)Math.Min(j0 + 2, n - 1) * ldb;
            float* b3 = b + (long)Math.Min(j0 + 3, n - 1) * ldb;
            float t0 = 0f, t1 = 0f, t2 = 0f, t3 = 0f;
            int p = 0;
            if (Vector512.IsHardwareAccelerated && k >= 16)
            {
                Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
                for (; p <= k - 16; p += 16)
                {
                    var av = Vector512.Load(a + p);
                    s0 = Vector512.FusedMultiplyAdd(av, Vector512.Load(b0 + p), s0);
                    s1 = Vector512.FusedMultiplyAdd(av, Vector512.Load(b1 + p), s1);
                    s2 = Vector512.FusedMultiplyAdd(av, Vector512.Load(b2 + p), s2);
                    s3 = Vector512.FusedMultiplyAdd(av, Vector512.Load(b3 + p), s3);
                }
                t0 = Vector512.Sum(s0); t1 = Vector512.Sum(s1); t2 = Vector512.Sum(s2); t3 = Vector512.Sum(s3);
            }
            else if (Vector256.IsHardwareAccelerated && Fma.IsSupported && k >= 8)
            {
                Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
                for (; p <= k - 8; p += 8)
                {
                    var av = Vector256.Load(a + p);
                    s0 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b0 + p), s0);
                    s1 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b1 + p), s1);
                    s2 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b2 + p), s2);
                    s3 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b3 + p), s3);
                }
                t0 = Vector256.Sum(s0); t1 = Vector256.Sum(s1); t2 = Vector256.Sum(s2); t3 = Vector256.Sum(s3);
            }
            else if (Vector128.IsHardwareAccelerated && k >= 4)
            {
                Vector128<float> s0 = default, s1 = default, s2 = default, s3 = default;
                for (; p <= k - 4; p += 4)
                {
                    var av = Vector128.Load(a + p);
                    s0 = Vector128.MultiplyAddEstimate(av, Vector128.Load(b0 + p), s0);
                    s1 = Vector128.MultiplyAddEstimate(av, Vector128.Load(b1 + p), s1);
                    s2 = Vector128.MultiplyAddEstimate(av, Vector128.Load(b2 + p), s2);
                    s3 = Vector128.MultiplyAddEstimate(av, Vector128.Load(b3 + p), s3);
                }
                t0 = Vector128.Sum(s0); t1 = Vector128.Sum(s1); t2 = Vector128.Sum(s2); t3 = Vector128.Sum(s3);
            }
            for (; p < k; p++)
            {
                float av = a[p];
                t0 += av * b0[p]; t1 += av * b1[p]; t2 += av * b2[p]; t3 += av * b3[p];
            }
            c[j0] += t0;
            if (j0 + 1 < n) c[j0 + 1] += t1;
            if (j0 + 2 < n) c[j0 + 2] += t2;
            if (j0 + 3 < n) c[j0 + 3] += t3;
        }
    }

    /// <summary>C = beta·C before the products add into it: cleared for 0 (never read, so NaN there does not leak), kept for 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScaleC(Span<float> c, int m, int n, int ldc, float beta)
    {
        if (beta == 0f) for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
        else if (beta != 1f) for (int i = 0; i < m; i++) System.Numerics.Tensors.TensorPrimitives.Multiply(c.Slice(i * ldc, n), beta, c.Slice(i * ldc, n));
    }

    private static void CheckPacked(ReadOnlySpan<float> packed, int k, int n)
    {
        if (packed.Length < PackedSize(k, n)) throw new ArgumentException($"GEMM: a packed {k}×{n} matrix needs {PackedSize(k, n)} floats, got {packed.Length}.");
    }

    private static void CheckExtent(ReadOnlySpan<float> s, int rows, int cols, int ld, string name)
    {
        if (ld < cols) throw new ArgumentException($"GEMM: leading dimension of {name} ({ld}) is smaller than its {cols} columns.");
        if (rows > 0 && cols > 0 && (long)(rows - 1) * ld + cols > s.Length)
            throw new ArgumentException($"GEMM: {name} needs {(long)(rows - 1) * ld + cols} elements for {rows}×{cols} (ld {ld}), has {s.Length}.");
    }

    /// <summary>
    /// The blocked product on one thread or several. With enough rows (<see cref="RowBlocksPerThread"/> MC blocks per
    /// thread) the threads pack each block of B together and then take MC row blocks of C one at a time, whichever thread
    /// is free (<see cref="SharedPanels{T}"/>). Otherwise C is split into one independent block per thread — columns when
    /// C is at least as wide as it is tall, else rows — each packing its own panels, shared out evenly in whole micro-tiles.
    /// Either way every element sees the same micro-kernel and summation order: the results are those of one thread.
    /// </summary>
    private static void Blocked<T>(bool transA, bool transB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, bool overwrite, float* bias, bool parallel)
        where T : struct, IGemmTile
    {
        int threads = parallel ? Threading.Threads : 1;
        bool splitColumns = n >= m;
        int units = splitColumns ? (n + T.NR - 1) / T.NR : (m + T.MR - 1) / T.MR;
        int parts = Math.Min(threads, units);
        if (parts <= 1) Serial<T>(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, overwrite, bias);
        else if ((m + T.MC - 1) / T.MC >= RowBlocksPerThread * threads) SharedPanels<T>(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, overwrite, bias);
        else BlockedParallel<T>(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, overwrite, bias, splitColumns, units, parts);
    }

    // SharedPanels needs this many MC row blocks per thread: with fewer, one thread's last block is a large share of the
    // work and the static split balances better.
    private const int RowBlocksPerThread = 4;
    private const int PanelsPerPackItem = 8; // B panels one thread packs at a time in SharedPanels

    /// <summary>
    /// The threaded product for many rows (the BLIS scheme): for each NC×KC block of B, the threads pack its panels
    /// together into the calling thread's buffer, then take MC row blocks of C in turn, each packing its own A block
    /// and running its tiles against the shared panels. B is packed once, not once per thread, and a thread that runs
    /// slow (a busy core, a virtual CPU descheduled by its host) takes fewer row blocks instead of holding up the
    /// product. On a 2-core Zen 3 guest this and the AVX2 kernel's two-depth loop together made 1024³ and 2048³ 1.18× and
    /// 1.10× as fast (bench/compare-builds.sh, old and new alternated; docs/performance.md, "Zen 3 again").
    /// </summary>
    private static void SharedPanels<T>(bool transA, bool transB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, bool overwrite, float* bias)
        where T : struct, IGemmTile
    {
        int depth = BlockDepth<T>(k);
        int rowBlocks = (m + T.MC - 1) / T.MC;
        for (int jc = 0; jc < n; jc += NC)
        {
            int nc = Math.Min(NC, n - jc);
            int panels = (nc + T.NR - 1) / T.NR;
            for (int pc = 0; pc < k; pc += depth)
            {
                int kc = Math.Min(depth, k - pc);
                int packSize = panels * T.NR * kc;
                fixed (float* raw = PackBBuffer(packSize))
                {
                    float* bp = Aligned(raw);
                    PackPanelsTogether<T>(transB, b, ldb, pc, jc, kc, nc, bp);
                    RowBlocksTogether<T>(transA, m, nc, kc, a, lda, pc, bp, c + jc, ldc, overwrite && pc == 0, pc == 0 && bias != null ? bias + jc : null, rowBlocks);
                }
            }
        }
    }

    /// <summary>PackB of one block, <see cref="PanelsPerPackItem"/> panels per item, on every thread.</summary>
    private static void PackPanelsTogether<T>(bool transB, float* b, int ldb, int pc, int jc, int kc, int nc, float* dst)
        where T : struct, IGemmTile
    {
        int width = PanelsPerPackItem * T.NR; // columns of B per item
        int items = (nc + width - 1) / width;
        nint bn = (nint)b, dn = (nint)dst;
        Threading.For(items, g =>
        {
            int j0 = g * width; // panel p of the block starts p·NR·kc floats in
            PackB<T>(transB, (float*)bn, ldb, pc, jc + j0, kc, Math.Min(width, nc - j0), (float*)dn + (long)j0 * kc);
        });
    }

    /// <summary>RunTiles for each MC row block of C, one block per item, on every thread, against the packed block bp.</summary>
    private static void RowBlocksTogether<T>(bool transA, int m, int nc, int kc, float* a, int lda, int pc, float* bp,
        float* c, int ldc, bool overwrite, float* bias, int rowBlocks)
        where T : struct, IGemmTile
    {
        nint an = (nint)a, bpn = (nint)bp, cn = (nint)c, biasn = (nint)bias;
        Threading.For(rowBlocks, r =>
        {
            int ic = r * T.MC;
            float* aRows = transA ? (float*)an + ic : (float*)an + (long)ic * lda;
            RunTiles<T>(transA, Math.Min(T.MC, m - ic), nc, kc, aRows, lda, pc, (float*)bpn, (float*)cn + (long)ic * ldc, ldc, overwrite, (float*)biasn);
        });
    }

    private static void BlockedParallel<T>(bool transA, bool transB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, bool overwrite, float* bias, bool splitColumns, int units, int parts)
        where T : struct, IGemmTile
    {
        nint an = (nint)a, bn = (nint)b, cn = (nint)c, biasn = (nint)bias;
        Threading.For(parts, t =>
        {
            float* pa = (float*)an, pb = (float*)bn, pc = (float*)cn;
            if (splitColumns)
            {
                int j0 = Math.Min(n, units * t / parts * T.NR), j1 = Math.Min(n, units * (t + 1) / parts * T.NR);
                float* bPart = transB ? pb + (long)j0 * ldb : pb + j0;
                Serial<T>(transA, transB, m, j1 - j0, k, pa, lda, bPart, ldb, pc + j0, ldc, overwrite, biasn == 0 ? null : (float*)biasn + j0);
            }
            else
            {
                int i0 = Math.Min(m, units * t / parts * T.MR), i1 = Math.Min(m, units * (t + 1) / parts * T.MR);
                float* aPart = transA ? pa + i0 : pa + (long)i0 * lda;
                Serial<T>(transA, transB, i1 - i0, n, k, aPart, lda, pb, ldb, pc + (long)i0 * ldc, ldc, overwrite, (float*)biasn);
            }
        });
    }

    /// <summary>The blocked product on the calling thread: NC column blocks, KC-deep packed panels of B, MC row blocks of A.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Serial<T>(bool transA, bool transB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, bool overwrite, float* bias)
        where T : struct, IGemmTile
    {
        if (m <= 0 || n <= 0) return;
        for (int jc = 0; jc < n; jc += NC)
        {
            int nc = Math.Min(NC, n - jc);
            int panels = (nc + T.NR - 1) / T.NR;
            int depth = BlockDepth<T>(k);
            for (int pc = 0; pc < k; pc += depth)
            {
                int kc = Math.Min(depth, k - pc);
                int packSize = panels * T.NR * kc;
                fixed (float* raw = PackBBuffer(packSize))
                {
                    float* bp = Aligned(raw);
                    PackB<T>(transB, b, ldb, pc, jc, kc, nc, bp);
                    RunTiles<T>(transA, m, nc, kc, a, lda, pc, bp, c + jc, ldc, overwrite && pc == 0, pc == 0 && bias != null ? bias + jc : null);
                }
            }
        }
    }

    /// <summary>For each MC block of rows: packs A, then runs the micro-kernel over every tile against the packed B; adds bias (nc values, or null) to every row.</summary>
    private static void RunTiles<T>(bool transA, int m, int nc, int kc, float* a, int lda, int pc, float* bp, float* c, int ldc, bool overwrite, float* bias)
        where T : struct, IGemmTile =>
        RunTiles<T, PackedPanels<T>, PackedRows<T>>(transA, m, nc, kc, a, lda, pc, new PackedPanels<T>(bp, kc), c, ldc, overwrite, bias);

    /// <summary>RunTiles over B panels from any source: packed, or rows read in place (<see cref="MultiplyShifted"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunTiles<T, TPanels, TB>(bool transA, int m, int nc, int kc, float* a, int lda, int pc, TPanels source, float* c, int ldc, bool overwrite, float* bias)
        where T : struct, IGemmTile where TPanels : struct, IPanelSource<TB> where TB : struct, IPanelRows
    {
        int panels = (nc + T.NR - 1) / T.NR;
        var packA = _packA;
        if (packA is null || packA.Length < T.MC * T.KC + Align + 8) _packA = packA = GC.AllocateUninitializedArray<float>(T.MC * T.KC + Align + 8, pinned: true); // + 8: TransposeBlocks's slack
        fixed (float* raw = packA)
        {
            float* ap = Aligned(raw);
            for (int ic = 0; ic < m; ic += T.MC)
            {
                int mc = Math.Min(T.MC, m - ic);
                PackA<T>(transA, a, lda, ic, pc, mc, kc, ap);
                for (int p = 0; p < panels; p++)
                {
                    int j = p * T.NR, nr = Math.Min(T.NR, nc - j);
                    for (int i = 0; i < mc; i += T.MR)
                        MicroKernel<T, TB>(kc, ap + (long)i * kc, source.Panel(p), c + (long)(ic + i) * ldc + j, ldc, Math.Min(T.MR, mc - i), nr, overwrite, bias == null ? null : bias + j);
                }
            }
        }
    }

    /// <summary>
    /// The depth of each packed block for an inner dimension of k: at most KC, the blocks as even as whole
    /// multiples of 8 allow, so that k a little over KC does not leave a thin last block that costs a full
    /// pass over C (k = 1029: 520 + 509, not 1024 + 5).
    /// </summary>
    private static int BlockDepth<T>(int k) where T : struct, IGemmTile
    {
        int blocks = (k + T.KC - 1) / T.KC;
        return blocks <= 1 ? k : Math.Min(T.KC, ((k + blocks - 1) / blocks + 7) & ~7);
    }

    private const int Align = 16; // floats: packed panels start on a 64-byte line so vector loads never split lines

    private static float* Aligned(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    /// <summary>Packs op(A)[ic..ic+mc, pc..pc+kc] as MR-row panels, each stored k-major (MR floats per k), zero-padded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA<T>(bool transA, float* a, int lda, int ic, int pc, int mc, int kc, float* dst)
        where T : struct, IGemmTile
    {
        if (transA)
        {
            PackTransposedA<T>(a, lda, ic, pc, mc, kc, dst);
            return;
        }
        for (int i0 = 0; i0 < mc; i0 += T.MR)
        {
            int mr = Math.Min(T.MR, mc - i0);
            float* panel = dst + (long)i0 * kc;
            float* src0 = a + (long)(ic + i0) * lda + pc;
            int done = mr == T.MR && T.MR is 6 or 8 ? TransposeBlocks(src0, lda, T.MR, kc, panel, T.MR, 0) : 0;
            for (int r = 0; r < T.MR; r++)
            {
                if (r < mr)
                {
                    float* src = src0 + (long)r * lda;
                    for (int p = done; p < kc; p++) panel[p * T.MR + r] = src[p];
                }
                else for (int p = 0; p < kc; p++) panel[p * T.MR + r] = 0f;
            }
        }
    }

    /// <summary>
    /// PackA for a transposed A (stored k×m: a weight gradient's dYᵀ·X): row p of the block holds the mc values that
    /// go to every panel at depth p, so each row is read once, front to back, and scattered to the panels. (Panel by
    /// panel, each panel walked kc rows of A, more cache lines than L1 holds, and the next panel fetched them all again
    /// from L2.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackTransposedA<T>(float* a, int lda, int ic, int pc, int mc, int kc, float* dst)
        where T : struct, IGemmTile
    {
        int full = mc - mc % T.MR, mr = mc - full; // whole panels, then the rows of a last partial one
        for (int p = 0; p < kc; p++)
        {
            float* src = a + (long)(pc + p) * lda + ic;
            float* d = dst + (long)p * T.MR;
            for (int i0 = 0; i0 < full; i0 += T.MR, d += (long)T.MR * kc)
                Unsafe.CopyBlockUnaligned(d, src + i0, (uint)(T.MR * sizeof(float)));
            if (mr > 0)
            {
                for (int r = 0; r < mr; r++) d[r] = src[full + r];
                for (int r = mr; r < T.MR; r++) d[r] = 0f;
            }
        }
    }

    /// <summary>Packs op(B)[pc..pc+kc, jc..jc+nc] as NR-column panels, each stored k-major (NR floats per k), zero-padded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackB<T>(bool transB, float* b, int ldb, int pc, int jc, int kc, int nc, float* dst)
        where T : struct, IGemmTile
    {
        int panels = (nc + T.NR - 1) / T.NR;
        for (int pnl = 0; pnl < panels; pnl++)
        {
            int j0 = pnl * T.NR, nr = Math.Min(T.NR, nc - j0);
            float* panel = dst + (long)pnl * T.NR * kc;
            if (!transB)
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = b + (long)(pc + p) * ldb + jc + j0;
                    float* d = panel + p * T.NR;
                    if (nr == T.NR) Unsafe.CopyBlockUnaligned(d, src, (uint)(T.NR * sizeof(float)));
                    else { for (int j = 0; j < nr; j++) d[j] = src[j]; for (int j = nr; j < T.NR; j++) d[j] = 0f; }
                }
            }
            else
            {
                float* src0 = b + (long)(jc + j0) * ldb + pc;
                // Whole groups of eight rows by register transposes — in a partial panel too (a convolution's weight
                // gradient with 25 taps: 24 of them), where a strided store per value made the GEMM twice as slow — the rest by value.
                int blocked = 0, done = 0; // rows [0, blocked) are packed for columns [0, done)
                if (T.NR % 8 == 0)
                    for (; blocked + 8 <= nr; blocked += 8) done = TransposeBlocks(src0 + (long)blocked * ldb, ldb, 8, kc, panel, T.NR, blocked);
                for (int j = 0; j < T.NR; j++)
                {
                    if (j < nr)
                    {
                        float* src = src0 + (long)j * ldb;
                        for (int p = j < blocked ? done : 0; p < kc; p++) panel[p * T.NR + j] = src[p];
                    }
                    else for (int p = 0; p < kc; p++) panel[p * T.NR + j] = 0f;
                }
            }
        }
    }

    /// <summary>
    /// Packs <paramref name="rows"/> (6 or 8) rows of a row-major source (stride <paramref name="srcStride"/>)
    /// k-major: for each of the first kc − kc % 8 columns p, the values go to dst[p·dstStride + col ..], by 8×8
    /// register transposes. Returns how many columns it packed (0 without AVX); the caller packs the rest.
    /// Six rows (the AVX2 kernel's MR) are transposed as eight with the last row repeated, and each column's eight
    /// values stored in ascending order at stride 6, so the two extra values land where the next column's store
    /// overwrites them, or in the next panel (packed later) or the buffer's slack past the last one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int TransposeBlocks(float* src, int srcStride, int rows, int kc, float* dst, int dstStride, int col)
    {
        if (!Avx.IsSupported) return 0;
        int full = kc & ~7;
        long s6 = rows > 6 ? 6L * srcStride : 5L * srcStride, s7 = rows > 6 ? 7L * srcStride : 5L * srcStride;
        for (int p = 0; p < full; p += 8)
        {
            float* s = src + p;
            var r0 = Avx.LoadVector256(s); var r1 = Avx.LoadVector256(s + srcStride);
            var r2 = Avx.LoadVector256(s + 2L * srcStride); var r3 = Avx.LoadVector256(s + 3L * srcStride);
            var r4 = Avx.LoadVector256(s + 4L * srcStride); var r5 = Avx.LoadVector256(s + 5L * srcStride);
            var r6 = Avx.LoadVector256(s + s6); var r7 = Avx.LoadVector256(s + s7);
            Transpose8.InPlace(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7); // column q is now in rq
            float* d = dst + (long)p * dstStride + col;
            Avx.Store(d, r0);
            Avx.Store(d + dstStride, r1);
            Avx.Store(d + 2L * dstStride, r2);
            Avx.Store(d + 3L * dstStride, r3);
            Avx.Store(d + 4L * dstStride, r4);
            Avx.Store(d + 5L * dstStride, r5);
            Avx.Store(d + 6L * dstStride, r6);
            Avx.Store(d + 7L * dstStride, r7);
        }
        return full;
    }

    /// <summary>
    /// C[0..mr, 0..nr] += Apanel (kc×MR) · Bpanel (kc×NR), or = with <paramref name="overwrite"/> (C is then
    /// never read: no separate pass clears it first), plus bias[0..nr] on every row when bias is not null;
    /// full tiles go straight to C.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit] // the scratch tile is written in full before it is read
    private static void MicroKernel<T, TB>(int kc, float* ap, TB b, float* c, int ldc, int mr, int nr, bool overwrite, float* bias)
        where T : struct, IGemmTile where TB : struct, IPanelRows
    {
        if (mr == T.MR && nr == T.NR)
        {
            T.Full(kc, ap, b, c, ldc, overwrite, bias);
            return;
        }
        // Edge tile: compute the full tile into a scratch block (every family's Edge writes it), then add the valid part.
        float* tmp = stackalloc float[MaxTile];
        T.Edge(kc, ap, b, tmp, nr);
        for (int i = 0; i < mr; i++)
            for (int j = 0; j < nr; j++)
            {
                ref float cij = ref c[(long)i * ldc + j];
                float v = bias == null ? tmp[i * T.NR + j] : tmp[i * T.NR + j] + bias[j];
                cij = overwrite ? v : cij + v;
            }
    }
}
