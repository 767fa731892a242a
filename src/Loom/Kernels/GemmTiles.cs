using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Loom.Kernels;

/// <summary>
/// One micro-kernel family of <see cref="Gemm"/>: the tile shape, the block sizes and the register-blocked kernel of
/// one instruction set, as static abstract members. The blocked product is written once, generic over the family
/// (a struct), so the JIT compiles it per family with every member a constant and every kernel call direct.
/// </summary>
internal unsafe interface IGemmTile
{
    /// <summary>Rows of C per micro-tile (and per packed A panel).</summary>
    static abstract int MR { get; }

    /// <summary>Columns of C per micro-tile (and per packed B panel).</summary>
    static abstract int NR { get; }

    /// <summary>Depth of a packed block.</summary>
    static abstract int KC { get; }

    /// <summary>Rows of A per packed block (a multiple of MR).</summary>
    static abstract int MC { get; }

    /// <summary>
    /// C[0..MR, 0..NR] (row stride ldc) += Apanel (kc×MR, k-major) · Bpanel (kc rows of NR), or = with
    /// <paramref name="overwrite"/> (C is then never read), plus bias[0..NR] on every row when bias is not null.
    /// </summary>
    static abstract void Full<TB>(int kc, float* ap, TB b, float* c, int ldc, bool overwrite, float* bias) where TB : struct, IPanelRows;

    /// <summary>
    /// An edge tile's product, of which only the first <paramref name="nr"/> columns count, into the NR-wide scratch
    /// block <paramref name="tmp"/> (overwritten, no bias).
    /// </summary>
    static abstract void Edge<TB>(int kc, float* ap, TB b, float* tmp, int nr) where TB : struct, IPanelRows;

    /// <summary>
    /// C[0..MR, 0..NR] (row stride ldc) += A · Bpanel (kc rows of NR, packed), or = with <paramref name="overwrite"/>,
    /// where row r of A at depth p is <c>rows[r][offsets[p]]</c>, read in place (<see cref="Gemm.MultiplyGathered"/>).
    /// </summary>
    static abstract void Gathered(int kc, float** rows, int* offsets, float* bp, float* c, int ldc, bool overwrite);
}

// Tile shapes: the accumulators fill the register file, with room for the B vectors and one broadcast of A.
// Block sizes: KC deep packed blocks, MC rows of A per block (a multiple of MR).

/// <summary>
/// AVX-512, 8×32: 16 zmm accumulators + 2 B + 1 A of 32 registers. KC = 1024 so that C is loaded and stored rarely
/// (1024³: one pass over C); measured best with MC = 48, 192 KB of A L2-resident next to a 128 KB panel of B.
/// </summary>
internal unsafe struct Avx512Tile : IGemmTile
{
    public static int MR => 8;
    public static int NR => 32;
    public static int KC => 1024;
    public static int MC => 48;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Full<TB>(int kc, float* ap, TB b, float* c, int ldc, bool overwrite, float* bias) where TB : struct, IPanelRows =>
        GemmKernels.EightRowsTwoVectors<Vector512Ops, Vector512<float>, TB>(kc, ap, b, c, ldc, overwrite, bias);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Edge<TB>(int kc, float* ap, TB b, float* tmp, int nr) where TB : struct, IPanelRows
    {
        // At most 16 columns: the left half of the tile (one vector per row) does, at half the cost.
        if (nr <= NR / 2) GemmKernels.EightRowsOneVector<Vector512Ops, Vector512<float>, TB>(kc, ap, b, tmp, NR);
        else Full(kc, ap, b, tmp, NR, overwrite: true, bias: null);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Gathered(int kc, float** rows, int* offsets, float* bp, float* c, int ldc, bool overwrite) =>
        GemmKernels.EightRowsTwoVectorsGathered<Vector512Ops, Vector512<float>>(kc, rows, offsets, bp, c, ldc, overwrite);
}

/// <summary>
/// AVX2+FMA, 6×16: 12 ymm accumulators + 2 B + 1 A of 16 (the BLIS Haswell/Zen shape). Blocks measured first on an
/// AMD EPYC (Zen 5, 48 KB L1d, 1 MB L2) with AVX-512 off, one thread: KC 256/512/1024 × MC 48/96/144 at 1024³ and
/// 2048³ all gave 102–113 GFLOPS, KC 1024 / MC 48 the best; the BLIS rule (a 16 KB B micro-panel in L1, KC = 256)
/// was 3–5 % slower. Then on a Zen 3 EPYC (32 KB L1d, 512 KB L2), one thread at 2048³, alternated call by call in
/// one process: KC 1024 79 GFLOPS, KC 512 81, KC 1024 with the kernel's C prefetch 81, KC 512 with it 87 (OpenBLAS
/// 90). At 1024³ on one core (another run), old 81.4 and new 86.2; on two threads at 2048³, old and new were 3 %
/// apart. MC 48–192 were within noise of each other (docs/performance.md, "Zen 3, runs 8 and 9").
/// </summary>
internal unsafe struct Avx2Tile : IGemmTile
{
    public static int MR => 6;
    public static int NR => 16;
    public static int KC => 512;
    public static int MC => 48;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Full<TB>(int kc, float* ap, TB b, float* c, int ldc, bool overwrite, float* bias) where TB : struct, IPanelRows =>
        GemmKernels.SixRowsTwoVectors256(kc, ap, b, c, ldc, overwrite, bias);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Edge<TB>(int kc, float* ap, TB b, float* tmp, int nr) where TB : struct, IPanelRows => Full(kc, ap, b, tmp, NR, overwrite: true, bias: null);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Gathered(int kc, float** rows, int* offsets, float* bp, float* c, int ldc, bool overwrite) =>
        GemmKernels.SixRowsTwoVectors256Gathered(kc, rows, offsets, bp, c, ldc, overwrite);
}

/// <summary>
/// 128-bit vectors (ARM64 AdvSimd, or x86 SSE), 8×8: 16 accumulators + 2 B + 1 A, for ARM64's 32 registers; on x86
/// SSE (16 xmm) it spills three, a price paid on CPUs older than 2013 so that the ARM64 kernel itself runs in x86
/// CI (DOTNET_EnableAVX2=0). Blocks not measured on their hardware (emulated speed means nothing): the BLIS rule
/// for a 64 KB L1 and 1 MB+ L2 (Graviton, Apple), a 16 KB B micro-panel (KC 512 × NR 8) and a 192 KB A block
/// (MC 96 × KC 512).
/// </summary>
internal unsafe struct Vector128Tile : IGemmTile
{
    public static int MR => 8;
    public static int NR => 8;
    public static int KC => 512;
    public static int MC => 96;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Full<TB>(int kc, float* ap, TB b, float* c, int ldc, bool overwrite, float* bias) where TB : struct, IPanelRows =>
        GemmKernels.EightRowsTwoVectors<Vector128Ops, Vector128<float>, TB>(kc, ap, b, c, ldc, overwrite, bias);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Edge<TB>(int kc, float* ap, TB b, float* tmp, int nr) where TB : struct, IPanelRows => Full(kc, ap, b, tmp, NR, overwrite: true, bias: null);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Gathered(int kc, float** rows, int* offsets, float* bp, float* c, int ldc, bool overwrite) =>
        GemmKernels.EightRowsTwoVectorsGathered<Vector128Ops, Vector128<float>>(kc, rows, offsets, bp, c, ldc, overwrite);
}

/// <summary>Scalar code for a runtime without vector instructions, 4×4: 16 accumulators; blocks by the BLIS rule, unmeasured.</summary>
internal unsafe struct ScalarTile : IGemmTile
{
    public static int MR => 4;
    public static int NR => 4;
    public static int KC => 256;
    public static int MC => 64;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Full<TB>(int kc, float* ap, TB b, float* c, int ldc, bool overwrite, float* bias) where TB : struct, IPanelRows =>
        GemmKernels.FourByFourScalar(kc, ap, b, c, ldc, overwrite, bias);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Edge<TB>(int kc, float* ap, TB b, float* tmp, int nr) where TB : struct, IPanelRows => Full(kc, ap, b, tmp, NR, overwrite: true, bias: null);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Gathered(int kc, float** rows, int* offsets, float* bp, float* c, int ldc, bool overwrite) =>
        GemmKernels.FourByFourScalarGathered(kc, rows, offsets, bp, c, ldc, overwrite);
}
