using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Loom.Kernels;

/// <summary>
/// Where a micro-kernel finds the rows of its B panel, NR floats each, in the order p = 0, 1, …: a packed panel
/// (<see cref="PackedRows{TTile}"/>), or the rows of a padded input image at the offsets of a convolution's kernel
/// taps (<see cref="ShiftedRows"/>). A struct, so that each kernel is compiled per kind with the call inlined.
/// </summary>
internal unsafe interface IPanelRows
{
    /// <summary>The next row's first float; each call moves on by one row.</summary>
    float* Next();
}

/// <summary>A packed panel of <typeparamref name="TTile"/>'s family: kc rows, NR floats apart.</summary>
internal unsafe struct PackedRows<TTile>(float* panel) : IPanelRows where TTile : struct, IGemmTile
{
    private float* _row = panel;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float* Next()
    {
        float* row = _row;
        _row += TTile.NR;
        return row;
    }
}

/// <summary>Rows at <c>origin + offsets[p]</c>: B of a stride-1 convolution read in place (<see cref="Gemm.MultiplyShifted"/>).</summary>
internal unsafe struct ShiftedRows(float* origin, int* offsets) : IPanelRows
{
    private int* _offset = offsets;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float* Next() => origin + *_offset++;
}

/// <summary>The B panels of one depth block, by panel index (NR columns each), for <see cref="Gemm"/>'s tile loop.</summary>
internal interface IPanelSource<TB> where TB : struct, IPanelRows
{
    TB Panel(int p);
}

/// <summary>A block of packed panels: panel p starts p·NR·kc floats in.</summary>
internal readonly unsafe struct PackedPanels<TTile>(float* block, int kc) : IPanelSource<PackedRows<TTile>> where TTile : struct, IGemmTile
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public PackedRows<TTile> Panel(int p) => new(block + (long)p * TTile.NR * kc);
}

/// <summary>Shifted rows of a block: panel p is columns p·NR onwards of every row.</summary>
internal readonly unsafe struct ShiftedPanels<TTile>(float* origin, int* offsets) : IPanelSource<ShiftedRows> where TTile : struct, IGemmTile
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ShiftedRows Panel(int p) => new(origin + (long)p * TTile.NR, offsets);
}

/// <summary>
/// The register-blocked micro-kernels behind <see cref="IGemmTile"/>'s families: each computes one tile of C from a
/// packed A panel (kc×MR, k-major) and a B panel (kc rows of NR, from <see cref="IPanelRows"/>), accumulators in registers, and writes C
/// (or adds into it) once at the end, adding a column bias on the way when given one.
/// </summary>
internal static unsafe class GemmKernels
{
    /// <summary>
    /// The depth from which the AVX2 kernel prefetches its C tile: 64 depths are about 400 cycles of FMAs, roughly one
    /// trip to memory.
    /// </summary>
    private const int PrefetchDepth = 64;

    /// <summary>
    /// The 8-row tile of two vectors per row: sixteen accumulators, two B vectors and one broadcast of A. With 512-bit
    /// vectors (AVX-512, 8×32) that is 19 of 32 zmm registers; with 128-bit ones (8×8) 19 of ARM64's 32 (x86 SSE,
    /// with 16 xmm, spills three). Written once for both: the JIT compiles it per <typeparamref name="TOps"/>, each
    /// operation one instruction (<see cref="IVectorOps{TVector}"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void EightRowsTwoVectors<TOps, TV, TB>(int kc, float* ap, TB b, float* c, int ldc, bool overwrite, float* bias)
        where TOps : struct, IVectorOps<TV> where TV : struct where TB : struct, IPanelRows
    {
        int w = TOps.Count;
        TV c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default,
            c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            float* bp = b.Next();
            var b0 = TOps.Load(bp);
            var b1 = TOps.Load(bp + w);
            TV a;
            a = TOps.Broadcast(ap[0]); c00 = TOps.MultiplyAdd(a, b0, c00); c01 = TOps.MultiplyAdd(a, b1, c01);
            a = TOps.Broadcast(ap[1]); c10 = TOps.MultiplyAdd(a, b0, c10); c11 = TOps.MultiplyAdd(a, b1, c11);
            a = TOps.Broadcast(ap[2]); c20 = TOps.MultiplyAdd(a, b0, c20); c21 = TOps.MultiplyAdd(a, b1, c21);
            a = TOps.Broadcast(ap[3]); c30 = TOps.MultiplyAdd(a, b0, c30); c31 = TOps.MultiplyAdd(a, b1, c31);
            a = TOps.Broadcast(ap[4]); c40 = TOps.MultiplyAdd(a, b0, c40); c41 = TOps.MultiplyAdd(a, b1, c41);
            a = TOps.Broadcast(ap[5]); c50 = TOps.MultiplyAdd(a, b0, c50); c51 = TOps.MultiplyAdd(a, b1, c51);
            a = TOps.Broadcast(ap[6]); c60 = TOps.MultiplyAdd(a, b0, c60); c61 = TOps.MultiplyAdd(a, b1, c61);
            a = TOps.Broadcast(ap[7]); c70 = TOps.MultiplyAdd(a, b0, c70); c71 = TOps.MultiplyAdd(a, b1, c71);
            ap += 8;
        }
        if (bias != null)
        {
            var b0 = TOps.Load(bias);
            var b1 = TOps.Load(bias + w);
            c00 = TOps.Add(c00, b0); c01 = TOps.Add(c01, b1); c10 = TOps.Add(c10, b0); c11 = TOps.Add(c11, b1);
            c20 = TOps.Add(c20, b0); c21 = TOps.Add(c21, b1); c30 = TOps.Add(c30, b0); c31 = TOps.Add(c31, b1);
            c40 = TOps.Add(c40, b0); c41 = TOps.Add(c41, b1); c50 = TOps.Add(c50, b0); c51 = TOps.Add(c51, b1);
            c60 = TOps.Add(c60, b0); c61 = TOps.Add(c61, b1); c70 = TOps.Add(c70, b0); c71 = TOps.Add(c71, b1);
        }
        Row<TOps, TV>(c, c00, c01, w, overwrite); c += ldc; Row<TOps, TV>(c, c10, c11, w, overwrite); c += ldc;
        Row<TOps, TV>(c, c20, c21, w, overwrite); c += ldc; Row<TOps, TV>(c, c30, c31, w, overwrite); c += ldc;
        Row<TOps, TV>(c, c40, c41, w, overwrite); c += ldc; Row<TOps, TV>(c, c50, c51, w, overwrite); c += ldc;
        Row<TOps, TV>(c, c60, c61, w, overwrite); c += ldc; Row<TOps, TV>(c, c70, c71, w, overwrite);
    }

    /// <summary>One row of an 8-row tile, two vectors wide, stored into C or (without <paramref name="overwrite"/>) added to it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row<TOps, TV>(float* row, TV lo, TV hi, int w, bool overwrite) where TOps : struct, IVectorOps<TV> where TV : struct
    {
        if (!overwrite) { lo = TOps.Add(lo, TOps.Load(row)); hi = TOps.Add(hi, TOps.Load(row + w)); }
        TOps.Store(lo, row);
        TOps.Store(hi, row + w);
    }

    /// <summary>
    /// The left half of <see cref="EightRowsTwoVectors{TOps, TV, TB}"/>'s tile (one vector per row: the AVX-512 kernel's edge
    /// tiles at most 16 columns wide) into a scratch tile of rows <paramref name="stride"/> floats apart.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void EightRowsOneVector<TOps, TV, TB>(int kc, float* ap, TB b, float* c, int stride)
        where TOps : struct, IVectorOps<TV> where TV : struct where TB : struct, IPanelRows
    {
        TV c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = TOps.Load(b.Next());
            c0 = TOps.MultiplyAdd(TOps.Broadcast(ap[0]), b0, c0);
            c1 = TOps.MultiplyAdd(TOps.Broadcast(ap[1]), b0, c1);
            c2 = TOps.MultiplyAdd(TOps.Broadcast(ap[2]), b0, c2);
            c3 = TOps.MultiplyAdd(TOps.Broadcast(ap[3]), b0, c3);
            c4 = TOps.MultiplyAdd(TOps.Broadcast(ap[4]), b0, c4);
            c5 = TOps.MultiplyAdd(TOps.Broadcast(ap[5]), b0, c5);
            c6 = TOps.MultiplyAdd(TOps.Broadcast(ap[6]), b0, c6);
            c7 = TOps.MultiplyAdd(TOps.Broadcast(ap[7]), b0, c7);
            ap += 8;
        }
        TOps.Store(c0, c); TOps.Store(c1, c + stride); TOps.Store(c2, c + 2 * stride); TOps.Store(c3, c + 3 * stride);
        TOps.Store(c4, c + 4 * stride); TOps.Store(c5, c + 5 * stride); TOps.Store(c6, c + 6 * stride); TOps.Store(c7, c + 7 * stride);
    }

    /// <summary>
    /// The AVX2+FMA tile, 6×16: twelve ymm accumulators, two B vectors and one broadcast of A use 15 of the 16
    /// registers, so nothing spills and each B load serves six FMAs. (The old one-row-at-a-time fallback reloaded
    /// B for every row: one load per FMA, about half this kernel's speed.) The loop takes two depths per turn, which
    /// halves its counter and branch work (on a Zen 3 EPYC, 4–9 % at 1024³ and 2048³ in an exploratory in-process
    /// comparison; docs/performance.md, "Zen 3 again").
    /// <para>
    /// The tile of C is prefetched before the loop: a large C (2048² floats, 16 MB) is not in cache when the tile is
    /// added to or stored, and without the prefetch each tile waited for its twelve lines at the end. At KC 512
    /// (<see cref="Avx2Tile"/>) it made 2048³ on one Zen 3 core 1.08× as fast, 1.10× together with the move from KC
    /// 1024 (docs/performance.md, "Zen 3, runs 8 and 9"). Only from <see cref="PrefetchDepth"/> depths on: a shorter
    /// loop ends before a line could arrive, and the twelve prefetches cost a product 9 deep 5–6 % and one
    /// 25 deep 2–3 %.
    /// </para>
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SixRowsTwoVectors256<TB>(int kc, float* ap, TB b, float* c, int ldc, bool overwrite, float* bias)
        where TB : struct, IPanelRows
    {
        if (Sse.IsSupported && kc >= PrefetchDepth) // x86 (the family also runs, in software, on ARM64 for the tests)
            for (int r = 0; r < 6; r++)
            {
                Sse.Prefetch0(c + (long)r * ldc);
                Sse.Prefetch0(c + (long)r * ldc + 15); // a row's 16 floats may straddle two lines
            }
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        int p = 0;
        for (; p + 2 <= kc; p += 2, ap += 12)
        {
            Depth(b.Next(), ap, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
            Depth(b.Next(), ap + 6, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
        }
        if (p < kc) // an odd depth's last row
            Depth(b.Next(), ap, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
        if (bias != null)
        {
            var b0 = Vector256.Load(bias);
            var b1 = Vector256.Load(bias + 8);
            c00 += b0; c01 += b1; c10 += b0; c11 += b1; c20 += b0; c21 += b1;
            c30 += b0; c31 += b1; c40 += b0; c41 += b1; c50 += b0; c51 += b1;
        }
        if (overwrite)
        {
            Put(c, c00, c01); c += ldc; Put(c, c10, c11); c += ldc; Put(c, c20, c21); c += ldc;
            Put(c, c30, c31); c += ldc; Put(c, c40, c41); c += ldc; Put(c, c50, c51);
            return;
        }
        Add(c, c00, c01); c += ldc; Add(c, c10, c11); c += ldc; Add(c, c20, c21); c += ldc;
        Add(c, c30, c31); c += ldc; Add(c, c40, c41); c += ldc; Add(c, c50, c51);

        // One depth: the B row's two vectors times each of the six A values, into the tile's accumulators.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Depth(float* bp, float* ap, ref Vector256<float> c00, ref Vector256<float> c01, ref Vector256<float> c10,
            ref Vector256<float> c11, ref Vector256<float> c20, ref Vector256<float> c21, ref Vector256<float> c30,
            ref Vector256<float> c31, ref Vector256<float> c40, ref Vector256<float> c41, ref Vector256<float> c50, ref Vector256<float> c51)
        {
            var b0 = Vector256.Load(bp);
            var b1 = Vector256.Load(bp + 8);
            Vector256<float> a;
            a = Vector256.Create(ap[0]); c00 = Vector256.FusedMultiplyAdd(a, b0, c00); c01 = Vector256.FusedMultiplyAdd(a, b1, c01);
            a = Vector256.Create(ap[1]); c10 = Vector256.FusedMultiplyAdd(a, b0, c10); c11 = Vector256.FusedMultiplyAdd(a, b1, c11);
            a = Vector256.Create(ap[2]); c20 = Vector256.FusedMultiplyAdd(a, b0, c20); c21 = Vector256.FusedMultiplyAdd(a, b1, c21);
            a = Vector256.Create(ap[3]); c30 = Vector256.FusedMultiplyAdd(a, b0, c30); c31 = Vector256.FusedMultiplyAdd(a, b1, c31);
            a = Vector256.Create(ap[4]); c40 = Vector256.FusedMultiplyAdd(a, b0, c40); c41 = Vector256.FusedMultiplyAdd(a, b1, c41);
            a = Vector256.Create(ap[5]); c50 = Vector256.FusedMultiplyAdd(a, b0, c50); c51 = Vector256.FusedMultiplyAdd(a, b1, c51);
        }

        static void Add(float* row, Vector256<float> lo, Vector256<float> hi)
        {
            (Vector256.Load(row) + lo).Store(row);
            (Vector256.Load(row + 8) + hi).Store(row + 8);
        }

        static void Put(float* row, Vector256<float> lo, Vector256<float> hi)
        {
            lo.Store(row);
            hi.Store(row + 8);
        }
    }

    // The gathered kernels: the same tiles with A read in place rather than packed. Row r of A at depth p is
    // rows[r][offsets[p]] (a convolution's output position r at kernel tap p: Gemm.MultiplyGathered), and B is a packed
    // panel (kc rows of NR). Each element's sum runs over p in the order and with the operations of the packed kernel of
    // its family, so the results are those of the packed product. No bias: C is added to in a later depth block, and the
    // caller adds the bias once the sum is whole. Written out rather than sharing the packed kernels' depth step: an A
    // value passed into a shared helper would be loaded into a register first instead of broadcast straight from memory.

    /// <summary>The AVX2+FMA 6×16 tile (<see cref="SixRowsTwoVectors256{TB}"/>) with each row of A read in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SixRowsTwoVectors256Gathered(int kc, float** rows, int* offsets, float* bp, float* c, int ldc, bool overwrite)
    {
        float* r0 = rows[0], r1 = rows[1], r2 = rows[2], r3 = rows[3], r4 = rows[4], r5 = rows[5];
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++, bp += 16)
        {
            int o = offsets[p];
            var b0 = Vector256.Load(bp);
            var b1 = Vector256.Load(bp + 8);
            Vector256<float> a;
            a = Vector256.Create(r0[o]); c00 = Vector256.FusedMultiplyAdd(a, b0, c00); c01 = Vector256.FusedMultiplyAdd(a, b1, c01);
            a = Vector256.Create(r1[o]); c10 = Vector256.FusedMultiplyAdd(a, b0, c10); c11 = Vector256.FusedMultiplyAdd(a, b1, c11);
            a = Vector256.Create(r2[o]); c20 = Vector256.FusedMultiplyAdd(a, b0, c20); c21 = Vector256.FusedMultiplyAdd(a, b1, c21);
            a = Vector256.Create(r3[o]); c30 = Vector256.FusedMultiplyAdd(a, b0, c30); c31 = Vector256.FusedMultiplyAdd(a, b1, c31);
            a = Vector256.Create(r4[o]); c40 = Vector256.FusedMultiplyAdd(a, b0, c40); c41 = Vector256.FusedMultiplyAdd(a, b1, c41);
            a = Vector256.Create(r5[o]); c50 = Vector256.FusedMultiplyAdd(a, b0, c50); c51 = Vector256.FusedMultiplyAdd(a, b1, c51);
        }
        Row(c, c00, c01, overwrite); c += ldc; Row(c, c10, c11, overwrite); c += ldc; Row(c, c20, c21, overwrite); c += ldc;
        Row(c, c30, c31, overwrite); c += ldc; Row(c, c40, c41, overwrite); c += ldc; Row(c, c50, c51, overwrite);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Row(float* row, Vector256<float> lo, Vector256<float> hi, bool overwrite)
        {
            if (!overwrite) { lo = Vector256.Load(row) + lo; hi = Vector256.Load(row + 8) + hi; }
            lo.Store(row);
            hi.Store(row + 8);
        }
    }

    /// <summary>The 8-row tile of two vectors per row (<see cref="EightRowsTwoVectors{TOps, TV, TB}"/>) with each row of A read in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void EightRowsTwoVectorsGathered<TOps, TV>(int kc, float** rows, int* offsets, float* bp, float* c, int ldc, bool overwrite)
        where TOps : struct, IVectorOps<TV> where TV : struct
    {
        int w = TOps.Count;
        float* r0 = rows[0], r1 = rows[1], r2 = rows[2], r3 = rows[3], r4 = rows[4], r5 = rows[5], r6 = rows[6], r7 = rows[7];
        TV c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default,
            c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++, bp += 2 * w)
        {
            int o = offsets[p];
            var b0 = TOps.Load(bp);
            var b1 = TOps.Load(bp + w);
            TV a;
            a = TOps.Broadcast(r0[o]); c00 = TOps.MultiplyAdd(a, b0, c00); c01 = TOps.MultiplyAdd(a, b1, c01);
            a = TOps.Broadcast(r1[o]); c10 = TOps.MultiplyAdd(a, b0, c10); c11 = TOps.MultiplyAdd(a, b1, c11);
            a = TOps.Broadcast(r2[o]); c20 = TOps.MultiplyAdd(a, b0, c20); c21 = TOps.MultiplyAdd(a, b1, c21);
            a = TOps.Broadcast(r3[o]); c30 = TOps.MultiplyAdd(a, b0, c30); c31 = TOps.MultiplyAdd(a, b1, c31);
            a = TOps.Broadcast(r4[o]); c40 = TOps.MultiplyAdd(a, b0, c40); c41 = TOps.MultiplyAdd(a, b1, c41);
            a = TOps.Broadcast(r5[o]); c50 = TOps.MultiplyAdd(a, b0, c50); c51 = TOps.MultiplyAdd(a, b1, c51);
            a = TOps.Broadcast(r6[o]); c60 = TOps.MultiplyAdd(a, b0, c60); c61 = TOps.MultiplyAdd(a, b1, c61);
            a = TOps.Broadcast(r7[o]); c70 = TOps.MultiplyAdd(a, b0, c70); c71 = TOps.MultiplyAdd(a, b1, c71);
        }
        Row<TOps, TV>(c, c00, c01, w, overwrite); c += ldc; Row<TOps, TV>(c, c10, c11, w, overwrite); c += ldc;
        Row<TOps, TV>(c, c20, c21, w, overwrite); c += ldc; Row<TOps, TV>(c, c30, c31, w, overwrite); c += ldc;
        Row<TOps, TV>(c, c40, c41, w, overwrite); c += ldc; Row<TOps, TV>(c, c50, c51, w, overwrite); c += ldc;
        Row<TOps, TV>(c, c60, c61, w, overwrite); c += ldc; Row<TOps, TV>(c, c70, c71, w, overwrite);
    }

    /// <summary>The scalar 4×4 tile (<see cref="FourByFourScalar{TB}"/>) with each row of A read in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FourByFourScalarGathered(int kc, float** rows, int* offsets, float* bp, float* c, int ldc, bool overwrite)
    {
        float* r0 = rows[0], r1 = rows[1], r2 = rows[2], r3 = rows[3];
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0,
            c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int p = 0; p < kc; p++, bp += 4)
        {
            int o = offsets[p];
            float b0 = bp[0], b1 = bp[1], b2 = bp[2], b3 = bp[3], a;
            a = r0[o]; c00 += a * b0; c01 += a * b1; c02 += a * b2; c03 += a * b3;
            a = r1[o]; c10 += a * b0; c11 += a * b1; c12 += a * b2; c13 += a * b3;
            a = r2[o]; c20 += a * b0; c21 += a * b1; c22 += a * b2; c23 += a * b3;
            a = r3[o]; c30 += a * b0; c31 += a * b1; c32 += a * b2; c33 += a * b3;
        }
        Row(c, c00, c01, c02, c03, overwrite); c += ldc;
        Row(c, c10, c11, c12, c13, overwrite); c += ldc;
        Row(c, c20, c21, c22, c23, overwrite); c += ldc;
        Row(c, c30, c31, c32, c33, overwrite);

        static void Row(float* row, float v0, float v1, float v2, float v3, bool overwrite)
        {
            if (!overwrite) { v0 += row[0]; v1 += row[1]; v2 += row[2]; v3 += row[3]; }
            row[0] = v0; row[1] = v1; row[2] = v2; row[3] = v3;
        }
    }

    /// <summary>The portable tile, 4×4 in scalar registers, for a runtime without vector instructions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FourByFourScalar<TB>(int kc, float* ap, TB b, float* c, int ldc, bool overwrite, float* bias)
        where TB : struct, IPanelRows
    {
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0,
            c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int p = 0; p < kc; p++)
        {
            float* bp = b.Next();
            float b0 = bp[0], b1 = bp[1], b2 = bp[2], b3 = bp[3], a;
            a = ap[0]; c00 += a * b0; c01 += a * b1; c02 += a * b2; c03 += a * b3;
            a = ap[1]; c10 += a * b0; c11 += a * b1; c12 += a * b2; c13 += a * b3;
            a = ap[2]; c20 += a * b0; c21 += a * b1; c22 += a * b2; c23 += a * b3;
            a = ap[3]; c30 += a * b0; c31 += a * b1; c32 += a * b2; c33 += a * b3;
            ap += 4;
        }
        Row(c, c00, c01, c02, c03, bias, overwrite); c += ldc;
        Row(c, c10, c11, c12, c13, bias, overwrite); c += ldc;
        Row(c, c20, c21, c22, c23, bias, overwrite); c += ldc;
        Row(c, c30, c31, c32, c33, bias, overwrite);

        static void Row(float* row, float v0, float v1, float v2, float v3, float* bias, bool overwrite)
        {
            if (bias != null) { v0 += bias[0]; v1 += bias[1]; v2 += bias[2]; v3 += bias[3]; }
            if (!overwrite) { v0 += row[0]; v1 += row[1]; v2 += row[2]; v3 += row[3]; }
            row[0] = v0; row[1] = v1; row[2] = v2; row[3] = v3;
        }
    }
}
