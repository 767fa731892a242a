using Loom.Kernels;
using Loom.Tests.Core;
using Xunit;

namespace Loom.Tests.Kernels;

/// <summary>
/// The blocked GEMM against its naive twin: odd sizes, all transpose combinations, padded leading
/// dimensions (padding filled with NaN, so reading it would show), beta 0 and 1, and sizes that cross the
/// packing blocks KC, MC and NC (read from the kernel, so the crossing survives retuning).
/// </summary>
[Collection(GlobalStateCollection.Name)]
public class GemmTests
{
    private sealed record Case(int M, int N, int K, bool TransA, bool TransB, int PadA, int PadB, int PadC, float Beta);

    private sealed record Result(float[] C, float[] Expected, float[] Bound);

    /// <summary>Runs the fast kernel and the reference on the same random operands.</summary>
    private static Result Run(Case t, int seed, bool parallel = true, bool reference = true)
    {
        var rng = new Rng((ulong)seed);
        int aRows = t.TransA ? t.K : t.M, aCols = t.TransA ? t.M : t.K, lda = aCols + t.PadA;
        int bRows = t.TransB ? t.N : t.K, bCols = t.TransB ? t.K : t.N, ldb = bCols + t.PadB;
        int ldc = t.N + t.PadC;
        var a = Padded(rng, aRows, aCols, lda, float.NaN);
        var b = Padded(rng, bRows, bCols, ldb, float.NaN);
        var c0 = Padded(rng, t.M, t.N, ldc, 777f);
        var c = (float[])c0.Clone();
        if (t.Beta == 0f) // beta = 0 must not read C: poison it
            for (int i = 0; i < t.M; i++) c.AsSpan(i * ldc, t.N).Fill(float.NaN);

        Gemm.Multiply(t.TransA, t.TransB, t.M, t.N, t.K, a, lda, b, ldb, c, ldc, t.Beta, parallel);

        if (!reference) return new Result(c, [], []);
        var expected = (float[])c0.Clone();
        var bound = new float[c0.Length];
        for (int i = 0; i < t.M; i++)
            for (int j = 0; j < t.N; j++)
            {
                int idx = i * ldc + j;
                if (t.Beta == 0f) expected[idx] = 0f;
                bound[idx] = Math.Abs(expected[idx]);
            }
        GemmReference.MultiplyAccumulate(t.TransA, t.TransB, t.M, t.N, t.K, a, lda, b, ldb, expected, ldc);
        // Σ|a|·|b| bounds the rounding of either summation order.
        GemmReference.MultiplyAccumulate(t.TransA, t.TransB, t.M, t.N, t.K, KernelAssert.Abs(a), lda, KernelAssert.Abs(b), ldb, bound, ldc);
        return new Result(c, expected, bound);
    }

    private static float[] Padded(Rng rng, int rows, int cols, int ld, float pad)
    {
        var m = new float[Math.Max(0, (rows - 1) * ld + cols) + (rows > 0 ? ld - cols : 0)];
        Array.Fill(m, pad);
        for (int r = 0; r < rows; r++) rng.FillUniform(m.AsSpan(r * ld, cols), -1f, 1f);
        return m;
    }

    private static void AssertMatches(Case t, Result r)
    {
        int ldc = t.N + t.PadC;
        for (int i = 0; i < t.M; i++)
        {
            KernelAssert.Close(r.Expected.AsSpan(i * ldc, t.N), r.C.AsSpan(i * ldc, t.N), r.Bound.AsSpan(i * ldc, t.N), $"{t}, row {i}");
            for (int j = t.N; j < ldc && i * ldc + j < r.C.Length; j++)
                Assert.True(r.C[i * ldc + j] == 777f, $"{t}: padding of C at row {i}, column {j} was overwritten.");
        }
    }

    public static IEnumerable<object[]> Shapes()
    {
        int[][] shapes =
        [
            [1, 1, 1], [7, 7, 7], [1, 300, 257], [257, 1, 300], [31, 33, 65], [33, 31, 129], [65, 129, 33],
            [129, 65, 257], [8, 32, 256], [9, 33, 257], [300, 33, 31], [128, 2048, 1],
            // Few rows of C (the skinny path: no packing): batch-1 and batch-2 inference, text generation.
            [2, 1025, 257], [3, 80, 256], [4, 1024, 1100], [5, 300, 257],
            // A few columns (A·Bᵀ by dot products), and edge tiles at most half a panel wide.
            [40, 8, 100], [33, 2, 785], [32, 9, 784], [64, 196, 288], [17, 47, 23],
        ];
        int index = 0;
        foreach (var s in shapes)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                {
                    // Vary padding and beta across cases so that every combination appears.
                    int pad = index % 3 == 0 ? 0 : index % 3 == 1 ? 3 : 17;
                    float beta = index % 2;
                    yield return [s[0], s[1], s[2], ta, tb, pad, (pad * 2) % 5, pad, beta];
                    index++;
                }
    }

    [Theory, MemberData(nameof(Shapes))]
    public void MatchesReference(int m, int n, int k, bool transA, bool transB, int padA, int padB, int padC, float beta)
    {
        var t = new Case(m, n, k, transA, transB, padA, padB, padC, beta);
        AssertMatches(t, Run(t, seed: m * 1000 + n * 10 + k));
    }

    /// <summary>
    /// A private blocking constant of <see cref="Gemm"/> (KC and MC, which depend on the micro-kernel family in use, come
    /// from <see cref="Gemm.Blocking"/>), read so that the sizes below keep crossing it if it is retuned.
    /// </summary>
    private static int Blocking(string name)
    {
        if (name == "KC") return Gemm.Blocking.KC;
        if (name == "MC") return Gemm.Blocking.MC;
        const System.Reflection.BindingFlags flags = System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static;
        var field = typeof(Gemm).GetField(name, flags);
        Assert.True(field is not null, $"Gemm.{name} not found: update this test to the kernel's blocking constants.");
        return Convert.ToInt32(field!.IsLiteral ? field.GetRawConstantValue() : field.GetValue(null));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void CrossesAllBlockBoundaries(bool transA, bool transB)
    {
        int kc = Blocking("KC"), mc = Blocking("MC"), nc = Blocking("NC");
        // At least k = 513 and n = 2100 (as for KC = 256, NC = 2048), and always past two KC blocks and one NC block.
        int k = Math.Max(513, 2 * kc + 1), n = Math.Max(2100, nc + 52), m = mc + 9;
        foreach (float beta in new[] { 0f, 1f })
        {
            // Several KC blocks (the last one partial), two NC blocks with an edge panel in the second.
            var wide = new Case(9, n, k, transA, transB, 1, 2, 5, beta);
            AssertMatches(wide, Run(wide, seed: 7));
            // Two MC row blocks, the second a partial micro-tile, again over several KC blocks.
            var tall = new Case(m, 70, k, transA, transB, 2, 1, 0, beta);
            AssertMatches(tall, Run(tall, seed: 8));
        }
    }

    [Theory]
    [InlineData(3, 70, 40, false, true, 0f)]      // skinny: no packing
    [InlineData(40, 9, 100, false, true, 1f)]     // narrow A·Bᵀ by dot products
    [InlineData(7, 9, 11, true, false, 0f)]       // small: the naive loop
    [InlineData(67, 45, 300, false, false, 0f)]   // blocked, edge tiles of both widths
    [InlineData(130, 300, 2100, true, true, 1f)]  // blocked, threaded, several depth blocks: the bias is added once
    [InlineData(500, 40, 33, false, false, 0f)]   // blocked, split by rows
    public void AddsTheColumnBiasOnEveryPath(int m, int n, int k, bool transA, bool transB, float beta) => CheckColumnBias(m, n, k, transA, transB, beta);

    private static void CheckColumnBias(int m, int n, int k, bool transA, bool transB, float beta)
    {
        var t = new Case(m, n, k, transA, transB, 2, 1, 3, beta);
        var rng = new Rng(23);
        int lda = (transA ? m : k) + t.PadA, ldb = (transB ? k : n) + t.PadB, ldc = n + t.PadC;
        var a = Padded(rng, transA ? k : m, transA ? m : k, lda, float.NaN);
        var b = Padded(rng, transB ? n : k, transB ? k : n, ldb, float.NaN);
        var bias = KernelAssert.Random(rng, n + 5); // longer than n: only the first n count
        var c0 = Padded(rng, m, n, ldc, 777f);
        var c = (float[])c0.Clone();
        if (beta == 0f) for (int i = 0; i < m; i++) c.AsSpan(i * ldc, n).Fill(float.NaN);
        Gemm.Multiply(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, beta, parallel: true, columnBias: bias);

        var expected = (float[])c0.Clone();
        var bound = new float[c0.Length];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                int idx = i * ldc + j;
                expected[idx] = (beta == 0f ? 0f : expected[idx]) + bias[j];
                bound[idx] = Math.Abs(expected[idx]) + Math.Abs(bias[j]);
            }
        GemmReference.MultiplyAccumulate(transA, transB, m, n, k, a, lda, b, ldb, expected, ldc);
        GemmReference.MultiplyAccumulate(transA, transB, m, n, k, KernelAssert.Abs(a), lda, KernelAssert.Abs(b), ldb, bound, ldc);
        AssertMatches(t, new Result(c, expected, bound));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, beta, columnBias: bias.AsSpan(0, n - 1)));
    }

    [Theory]
    [InlineData(16, 1024, 256, true, 0f)]
    [InlineData(5, 33, 7, false, 1f)]
    [InlineData(9, 70, 900, true, 1f)]
    [InlineData(1, 256, 1024, false, 0f)]
    [InlineData(12, 40, 2057, false, 1f)] // several packed blocks of uneven depth
    public void PackedProductMatchesReference(int m, int n, int k, bool transB, float beta) => CheckPackedProduct(m, n, k, transB, beta);

    private static void CheckPackedProduct(int m, int n, int k, bool transB, float beta)
    {
        // The same operands as the unpacked product (B pre-packed once), so the results agree bit for bit too.
        var t = new Case(m, n, k, false, transB, 3, 2, 1, beta);
        var rng = new Rng(17);
        int ldb = (transB ? k : n) + t.PadB, lda = k + t.PadA, ldc = n + t.PadC;
        var a = Padded(rng, m, k, lda, float.NaN);
        var b = Padded(rng, transB ? n : k, transB ? k : n, ldb, float.NaN);
        var c0 = Padded(rng, m, n, ldc, 777f);
        if (beta == 0f) for (int i = 0; i < m; i++) c0.AsSpan(i * ldc, n).Fill(float.NaN); // beta = 0 must not read C
        var packed = new float[Gemm.PackedSize(k, n)];
        Gemm.Pack(transB, k, n, b, ldb, packed);
        var c = (float[])c0.Clone();
        Gemm.MultiplyPacked(m, n, k, a, lda, packed, c, ldc, beta);
        var unpacked = (float[])c0.Clone();
        KernelAssert.WithThreads(1, () => Gemm.Multiply(false, transB, m, n, k, a, lda, b, ldb, unpacked, ldc, beta));
        var expected = (float[])c0.Clone();
        if (beta == 0f) for (int i = 0; i < m; i++) expected.AsSpan(i * ldc, n).Clear();
        GemmReference.MultiplyAccumulate(false, transB, m, n, k, a, lda, b, ldb, expected, ldc);
        var bound = new float[expected.Length];
        GemmReference.MultiplyAccumulate(false, transB, m, n, k, KernelAssert.Abs(a), lda, KernelAssert.Abs(b), ldb, bound, ldc);
        for (int i = 0; i < m; i++)
            KernelAssert.Close(expected.AsSpan(i * ldc, n), c.AsSpan(i * ldc, n), bound.AsSpan(i * ldc, n).ToArray().Select((v, j) => v + (beta == 0f ? 0f : Math.Abs(c0[i * ldc + j]))).ToArray(), $"packed row {i}");
        // Where the unpacked product takes the blocked path too, the two agree exactly.
        bool blocked = m > Blocking("SkinnyRows") && (long)m * n * k > Blocking("SmallWork") && !(transB && n <= Blocking("NarrowColumns"));
        if (blocked) Assert.Equal(unpacked, c);
        Assert.Throws<ArgumentException>(() => Gemm.MultiplyPacked(m, n, k, a, lda, packed.AsSpan(1), c, ldc));
    }

    /// <summary>How many times each row was handed over as final.</summary>
    private readonly struct CountRows(int[] handed) : Gemm.IFinishedRows
    {
        public void Rows(int i0, int i1)
        {
            for (int i = i0; i < i1; i++) Interlocked.Increment(ref handed[i]);
        }
    }

    /// <summary>
    /// The product whose A is read in place, element (i, p) at <c>origin[rowOffsets[i] + offsets[p]]</c> (a convolution's
    /// output positions and kernel taps): against the reference, and bit for bit against the same A gathered and
    /// multiplied by the pre-packed B; on one thread and shared out by tiles of rows, every row handed to the callback once.
    /// </summary>
    private static void CheckGatheredProduct(int m, int n, int k, int seed)
    {
        var rng = new Rng((ulong)seed);
        int ldc = n + 2;
        // Offsets anywhere in a buffer, overlapping and out of order; NaN after the last element reached shows that
        // nothing past it is read.
        var rowOffsets = new int[m];
        var offsets = new int[k];
        int span = 2 * m + 3 * k;
        for (int i = 0; i < m; i++) rowOffsets[i] = (int)(rng.NextFloat() * m);
        for (int p = 0; p < k; p++) offsets[p] = (int)(rng.NextFloat() * (span - m));
        rowOffsets[m - 1] = m; offsets[k - 1] = span - m; // the last element of A is the last of the buffer
        var source = new float[span + 8];
        rng.FillUniform(source.AsSpan(0, span + 1), -1f, 1f);
        source.AsSpan(span + 1).Fill(float.NaN);
        var a = new float[m * k];
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++) a[i * k + p] = source[rowOffsets[i] + offsets[p]];
        var b = KernelAssert.Random(rng, k * n);
        var (packed, expected, reference, bound) = PackedProduct(rng, m, n, k, a, k, b, ldc);
        foreach (int threads in new[] { 1, 2, 3 })
            KernelAssert.WithThreads(threads, () =>
            {
                var c = Padded(rng, m, n, ldc, 777f);
                for (int i = 0; i < m; i++) c.AsSpan(i * ldc, n).Fill(float.NaN); // C is written, never read
                var handed = new int[m];
                unsafe
                {
                    fixed (float* origin = source)
                        Gemm.MultiplyGathered(m, n, k, origin, rowOffsets, offsets, packed, c, ldc, parallel: true, new CountRows(handed));
                }
                Assert.All(handed, count => Assert.Equal(1, count));
                AssertRows(reference, bound, expected, c, m, n, ldc, $"gathered, {threads} threads");
            });
    }

    /// <summary>
    /// B packed, and what a product of A (m×k, lda) and B (k×n) must give: the pre-packed product's bits (C padded to
    /// ldc with 777), the reference product and its error bound.
    /// </summary>
    private static (float[] Packed, float[] Expected, float[] Reference, float[] Bound) PackedProduct(Rng rng, int m, int n, int k,
        float[] a, int lda, float[] b, int ldc)
    {
        var packed = new float[Gemm.PackedSize(k, n)];
        Gemm.Pack(false, k, n, b, n, packed);
        var expected = Padded(rng, m, n, ldc, 777f);
        Gemm.MultiplyPacked(m, n, k, a, lda, packed, expected, ldc, 0f);
        var reference = new float[m * ldc];
        GemmReference.MultiplyAccumulate(false, false, m, n, k, a, lda, b, n, reference, ldc);
        var bound = new float[m * ldc];
        GemmReference.MultiplyAccumulate(false, false, m, n, k, KernelAssert.Abs(a), lda, KernelAssert.Abs(b), n, bound, ldc);
        return (packed, expected, reference, bound);
    }

    /// <summary>Each row of C close to the reference, and bit for bit the pre-packed product, its padding included.</summary>
    private static void AssertRows(float[] reference, float[] bound, float[] expected, float[] c, int m, int n, int ldc, string label)
    {
        for (int i = 0; i < m; i++)
        {
            KernelAssert.Close(reference.AsSpan(i * ldc, n), c.AsSpan(i * ldc, n), bound.AsSpan(i * ldc, n).ToArray(), $"{label}: row {i}");
            Assert.Equal(expected.AsSpan(i * ldc, ldc).ToArray(), c.AsSpan(i * ldc, ldc).ToArray());
        }
    }

    /// <summary>
    /// The product whose B rows are read in place at given offsets (a stride-1 convolution's padded input): against the
    /// reference, and bit for bit against the same B gathered and pre-packed, on one thread and shared out by rows.
    /// </summary>
    private static void CheckShiftedProduct(int m, int n, int k, int seed)
    {
        var rng = new Rng((ulong)seed);
        int lda = k + 3, ldc = n + 2, nr = Gemm.Blocking.NR;
        var a = Padded(rng, m, k, lda, float.NaN);
        // Rows anywhere in a buffer, overlapping and out of order, the last ones near its end: the whole-panel loads
        // past n read the slack the contract asks for (NR − 1 floats), which holds NaN to show it is never used.
        var source = new float[3 * n + 2 * k + nr - 1];
        rng.FillUniform(source.AsSpan(0, source.Length - (nr - 1)), -1f, 1f);
        source.AsSpan(source.Length - (nr - 1)).Fill(float.NaN);
        var offsets = new int[k];
        for (int p = 0; p < k; p++) offsets[p] = p == k - 1 ? source.Length - (nr - 1) - n : (int)(rng.NextFloat() * (source.Length - (nr - 1) - n));
        var b = new float[k * n];
        for (int p = 0; p < k; p++) source.AsSpan(offsets[p], n).CopyTo(b.AsSpan(p * n));
        var (_, expected, reference, bound) = PackedProduct(rng, m, n, k, a, lda, b, ldc);
        foreach (int threads in new[] { 1, 2, 3 }) // 2 and 3: runs of tiles that start and end inside a row of tiles
            KernelAssert.WithThreads(threads, () =>
            {
                var c = Padded(rng, m, n, ldc, 777f);
                for (int i = 0; i < m; i++) c.AsSpan(i * ldc, n).Fill(float.NaN); // C is written, never read
                unsafe
                {
                    fixed (float* origin = source) Gemm.MultiplyShifted(m, n, k, a, lda, origin, offsets, c, ldc, parallel: true);
                }
                AssertRows(reference, bound, expected, c, m, n, ldc, $"shifted, {threads} threads");
            });
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(1f)]
    public void BetaSemantics(float beta)
    {
        foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
        {
            var t = new Case(40, 50, 60, ta, tb, 2, 0, 4, beta);
            AssertMatches(t, Run(t, seed: 11));
        }
    }

    /// <summary>
    /// The micro-kernel family follows what the runtime enables, so that a CI run with DOTNET_EnableAVX512=0 (and so
    /// on) really tests the lower path: LOOM_GEMM_PATH_AT_MOST (set by .ci/run) names the highest path that run may
    /// take (Avx512, Avx2Fma, Vector128, Scalar), so a CPU without the higher ones passes too.
    /// </summary>
    [Fact]
    public void PathFollowsTheEnabledInstructionSets()
    {
        var expected = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? Gemm.Isa.Avx512
            : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Fma.IsSupported ? Gemm.Isa.Avx2Fma
            : System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated ? Gemm.Isa.Vector128 : Gemm.Isa.Scalar;
        Assert.Equal(expected, Gemm.Path);
        var ceiling = Environment.GetEnvironmentVariable("LOOM_GEMM_PATH_AT_MOST");
        if (!string.IsNullOrEmpty(ceiling))
            Assert.True(Gemm.Path >= Enum.Parse<Gemm.Isa>(ceiling), $"GEMM path {Gemm.Path} is above {ceiling}: the ISA setting of this run did not take effect.");
    }

    public static IEnumerable<object[]> Families() => Enum.GetNames<Gemm.Isa>().Select(name => new object[] { name });

    /// <summary>
    /// Every micro-kernel family on this machine, whatever its instruction sets: a family whose vectors the CPU lacks
    /// (AVX-512 on an AVX2 machine, say) runs them in software, slowly but with the same arithmetic, so its tiles,
    /// packing, edge kernels and block boundaries are proven here and not only on a CPU that has them. The shapes
    /// follow the family's tile and blocks: whole tiles, edge tiles at most half and more than half a panel wide, two
    /// MC row blocks, several KC depth blocks, a threaded product (its workers run the caller's family), a column
    /// bias, and a pre-packed B (bit-identical to the unpacked product).
    /// </summary>
    [Theory, MemberData(nameof(Families))]
    public void EveryFamilyMatchesReferenceOnThisMachine(string name)
    {
        var family = Enum.Parse<Gemm.Isa>(name);
        using var scope = Gemm.ForcePath(family);
        Assert.Equal(family, Gemm.ThreadPath);
        var (mr, nr, kc, mc) = Gemm.Blocking;
        int[][] shapes =
        [
            [2 * mr, 2 * nr, 37],               // whole tiles only
            [mr + 1, Math.Max(1, nr / 2 - 3), 65], // a partial row tile; a column edge tile at most half a panel wide
            [3 * mr - 1, nr + nr / 2 + 1, kc + 9], // an edge tile over half a panel; two uneven depth blocks; threaded
            [mc + mr + 1, 3 * nr + 5, 40],      // two MC row blocks, the second a partial tile
            [67, 45, 300], [33, 520, 70],
        ];
        int index = 0;
        foreach (var s in shapes)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                {
                    var t = new Case(s[0], s[1], s[2], ta, tb, index % 3, (index * 2) % 5, index % 4, index % 2);
                    AssertMatches(t, Run(t, seed: 100 + index));
                    index++;
                }
        CheckColumnBias(3 * mr - 1, nr + nr / 2 + 1, kc + 9, true, false, 0f);
        CheckColumnBias(mc + 1, nr / 2, 50, false, false, 1f);
        CheckPackedProduct(2 * mr + 3, 2 * nr + 1, kc + 17, true, 0f);
        CheckPackedProduct(mr + 2, nr - 1, 40, false, 1f);
        Assert.True(nr - 1 <= Gemm.ShiftedSlack, $"{name}'s panels read {nr - 1} floats past a row; the slack convolutions leave is {Gemm.ShiftedSlack}.");
        CheckShiftedProduct(3 * mr - 1, nr + nr / 2 + 1, kc + 9, 21);  // an edge tile over half a panel; two depth blocks
        CheckShiftedProduct(mc + mr + 1, 3 * nr + 5, 40, 22);           // two MC row blocks, an edge panel at most half wide
        CheckShiftedProduct(64, 224, 288, 23);                          // LeNet's second convolution; threaded
        CheckGatheredProduct(3 * mr - 1, nr + nr / 2 + 1, kc + 9, 25);  // an edge row tile, an edge panel; two depth blocks
        CheckGatheredProduct(2 * mr, 2 * nr, 40, 26);                   // whole tiles only
        CheckGatheredProduct(196, 64, 288, 27);                         // LeNet's second convolution, positions on the rows; threaded
        // Enough MC row blocks for two threads to pack B together and share out the row blocks, and deep enough for the
        // product to be threaded at all (at least 2^20 multiply–adds): bit-identical to one thread.
        int sharedRows = 8 * mc + mr + 1, sharedColumns = nr + 3, sharedDepth = Math.Max(37, (1 << 20) / (sharedRows * sharedColumns) + 1);
        var shared = new Case(sharedRows, sharedColumns, sharedDepth, index % 2 == 0, true, 1, 2, 3, 1f);
        Result? one = null, two = null;
        KernelAssert.WithThreads(1, () => one = Run(shared, seed: 24));
        KernelAssert.WithThreads(2, () => two = Run(shared, seed: 24, reference: false));
        AssertMatches(shared, one!);
        Assert.Equal(one!.C, two!.C);
        Assert.Equal(family, Gemm.ThreadPath);
    }

    [Fact]
    public void ForcingAFamilyLastsForItsScopeOnly()
    {
        var natural = Gemm.Path;
        using (Gemm.ForcePath(Gemm.Isa.Scalar))
        {
            using (Gemm.ForcePath(Gemm.Isa.Avx512)) Assert.Equal(Gemm.Isa.Avx512, Gemm.ThreadPath);
            Assert.Equal(Gemm.Isa.Scalar, Gemm.ThreadPath);
            Assert.Equal(4, Gemm.Blocking.NR);
            var other = Gemm.Isa.Scalar;
            var thread = new Thread(() => other = Gemm.ThreadPath);
            thread.Start();
            thread.Join();
            Assert.Equal(natural, other); // other threads keep the natural family
        }
        Assert.Equal(natural, Gemm.ThreadPath);
    }

    [Fact]
    public void ZeroDepthClearsOrKeeps()
    {
        var c = new float[] { 1, 2, 3, 4 };
        Gemm.Multiply(false, false, 2, 2, 0, [], 0, [], 2, c, 2, beta: 1f);
        Assert.Equal(new float[] { 1, 2, 3, 4 }, c);
        Gemm.Multiply(false, false, 2, 2, 0, [], 0, [], 2, c, 2, beta: 0f);
        Assert.Equal(new float[4], c);
    }

    [Fact]
    public void RejectsTooShortBuffersAndLeadingDimensions()
    {
        var a = new float[6];
        var b = new float[6];
        var c = new float[4];
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 2, 3, a, 2, b, 2, c, 2));   // lda < k
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 2, 4, a, 4, b, 2, c, 2));   // A too short
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 3, 3, a, 3, new float[9], 3, c, 3));   // C too short
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 2, 3, a, 3, new float[6], 2, c, 1));   // ldc < n
    }

    [Theory]
    [InlineData(40, 2100, 513, false, false)]
    [InlineData(200, 90, 300, false, false)]
    [InlineData(257, 300, 129, true, false)]
    [InlineData(300, 65, 300, false, true)]
    [InlineData(33, 520, 70, true, true)]
    [InlineData(1000, 70, 1100, false, false)] // row blocks shared out over a B packed together, two depth blocks
    [InlineData(1600, 2100, 9, true, true)]    // the same over two NC blocks, the second with an edge panel
    [InlineData(1601, 45, 300, true, false)]
    public void SingleAndMultiThreadedAgreeExactly(int m, int n, int k, bool transA, bool transB)
    {
        var t = new Case(m, n, k, transA, transB, 3, 1, 2, 1f);
        Result? single = null, multi = null, serialFlag = null;
        KernelAssert.WithThreads(1, () => single = Run(t, seed: 5));
        KernelAssert.WithThreads(4, () =>
        {
            multi = Run(t, seed: 5, reference: false);
            serialFlag = Run(t, seed: 5, parallel: false, reference: false);
        });
        AssertMatches(t, single!);
        // Each element sees the same micro-kernel and summation order whatever the split: bit-identical.
        Assert.Equal(single!.C, multi!.C);
        Assert.Equal(single.C, serialFlag!.C);
    }
}
