using Loom.Kernels;
using Loom.Tests.Core;
using Xunit;

namespace Loom.Tests.Kernels;

/// <summary>
/// im2col + GEMM convolution (forward, input gradient, weight/bias gradient) against the loop-by-loop
/// reference, over strides, padding, dilation, groups, pointwise kernels, batch 1 and more, single- and
/// multi-threaded; and the im2col/col2im pair against its definition and as adjoints.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public class ConvolutionKernelTests
{
    // n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, groups
    public static TheoryData<int[]> Geometries => new()
    {
        new[] { 1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0, 1, 1, 1 },
        new[] { 1, 3, 7, 9, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1 },
        new[] { 3, 3, 7, 9, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1 },
        new[] { 2, 2, 11, 8, 5, 3, 2, 2, 3, 1, 0, 1, 1, 1 },
        new[] { 2, 3, 12, 10, 2, 3, 3, 1, 1, 2, 2, 2, 2, 1 },
        new[] { 2, 4, 9, 7, 6, 3, 3, 2, 1, 1, 1, 1, 1, 2 },
        new[] { 3, 6, 8, 8, 6, 3, 3, 1, 1, 1, 1, 1, 1, 6 },    // depthwise
        new[] { 2, 8, 6, 5, 12, 1, 1, 1, 1, 0, 0, 1, 1, 1 },   // pointwise: the input is the column matrix
        new[] { 1, 8, 6, 5, 4, 1, 1, 1, 1, 0, 0, 1, 1, 4 },    // pointwise, grouped
        new[] { 2, 4, 7, 7, 4, 1, 1, 2, 2, 0, 0, 1, 1, 1 },    // 1×1 with stride: not pointwise
        new[] { 2, 3, 5, 5, 2, 5, 5, 1, 1, 0, 0, 1, 1, 1 },    // 1×1 output
        new[] { 1, 2, 4, 4, 3, 3, 3, 3, 3, 1, 1, 1, 1, 1 },    // stride larger than the overlap
        new[] { 2, 8, 14, 13, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1 }, // large enough for the blocked GEMM
        new[] { 1, 16, 20, 20, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1 },// one sample, threaded GEMMs
        new[] { 1, 3, 1, 17, 4, 1, 5, 1, 2, 0, 2, 1, 1, 1 },   // 1-D as H = kH = 1
        new[] { 2, 3, 13, 11, 4, 5, 5, 2, 2, 2, 2, 1, 1, 1 },  // strided 5×5, as the speech front end: by stride phases
        new[] { 1, 2, 15, 14, 3, 3, 3, 2, 3, 1, 2, 2, 1, 1 },  // strides 2 and 3, dilated in height, odd sizes
        new[] { 1, 2, 6, 7, 3, 3, 3, 2, 2, 3, 3, 2, 1, 1 },    // padding wider than the kernel's reach: whole rows and columns of zeros
        new[] { 1, 2, 4, 6, 3, 5, 3, 1, 1, 2, 1, 1, 1, 1 },    // "same" width at stride 1: the contiguous im2col/col2im path
        new[] { 2, 2, 3, 5, 2, 3, 3, 1, 1, 3, 1, 1, 1, 1 },    // same width, with output rows wholly in the padding
        new[] { 1, 8, 12, 12, 16, 3, 3, 1, 1, 1, 1, 1, 1, 2 }, // grouped, with the input unfolded row by row into the GEMM
        new[] { 2, 1, 40, 21, 8, 5, 5, 2, 2, 2, 2, 1, 1, 1 },  // strided 5×5, as the speech front end, unfolded row by row
        new[] { 1, 3, 16, 15, 9, 3, 3, 1, 2, 2, 1, 2, 1, 1 },  // row by row with dilation and uneven strides
        new[] { 1, 120, 5, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1 },  // 1,080 taps: row by row in more than one depth block
    };

    private static ConvGeometry Geometry(int[] p) =>
        new(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13]);

    private static void CompareAll(ConvGeometry g, int seed)
    {
        var rng = new Rng((ulong)seed);
        var x = KernelAssert.Random(rng, g.Batch * g.InChannels * g.InPlane);
        var w = KernelAssert.Random(rng, g.OutChannels * g.WeightsPerOutput);
        var bias = KernelAssert.Random(rng, g.OutChannels);
        var dy = KernelAssert.Random(rng, g.Batch * g.OutChannels * g.OutPlane);
        string what = g.ToString();

        // Forward.
        var y = new float[dy.Length];
        var yRef = new float[dy.Length];
        var yBound = new float[dy.Length];
        Convolution.Forward(x, w, bias, y, g);
        ConvolutionReference.Forward(x, w, bias, yRef, g);
        ConvolutionReference.Forward(KernelAssert.Abs(x), KernelAssert.Abs(w), KernelAssert.Abs(bias), yBound, g);
        KernelAssert.Close(yRef, y, yBound, "Forward " + what);

        // Without bias the output holds no bias term.
        Convolution.Forward(x, w, null, y, g);
        ConvolutionReference.Forward(x, w, null, yRef, g);
        KernelAssert.Close(yRef, y, yBound, "Forward without bias " + what);

        // Input gradient, accumulated on top of existing values.
        var dx0 = KernelAssert.Random(rng, x.Length);
        var dx = (float[])dx0.Clone();
        var dxRef = (float[])dx0.Clone();
        var dxBound = KernelAssert.Abs(dx0);
        Convolution.BackwardInput(dy, w, dx, g);
        ConvolutionReference.Backward(x, w, dy, dxRef, null, null, g);
        ConvolutionReference.Backward(x, KernelAssert.Abs(w), KernelAssert.Abs(dy), dxBound, null, null, g);
        KernelAssert.Close(dxRef, dx, dxBound, "BackwardInput " + what);

        // Weight and bias gradients, accumulated.
        var dw0 = KernelAssert.Random(rng, w.Length);
        var db0 = KernelAssert.Random(rng, bias.Length);
        var (dw, db, dwRef, dbRef) = ((float[])dw0.Clone(), (float[])db0.Clone(), (float[])dw0.Clone(), (float[])db0.Clone());
        var (dwBound, dbBound) = (KernelAssert.Abs(dw0), KernelAssert.Abs(db0));
        Convolution.BackwardWeight(x, dy, dw, db, g);
        ConvolutionReference.Backward(x, w, dy, null, dwRef, dbRef, g);
        ConvolutionReference.Backward(KernelAssert.Abs(x), w, KernelAssert.Abs(dy), null, dwBound, dbBound, g);
        KernelAssert.Close(dwRef, dw, dwBound, "BackwardWeight dw " + what);
        KernelAssert.Close(dbRef, db, dbBound, "BackwardWeight db " + what);

        // Either gradient alone.
        var dwOnly = (float[])dw0.Clone();
        Convolution.BackwardWeight(x, dy, dwOnly, null, g);
        KernelAssert.Close(dwRef, dwOnly, dwBound, "BackwardWeight dw only " + what);
        var dbOnly = (float[])db0.Clone();
        Convolution.BackwardWeight(x, dy, null, dbOnly, g);
        KernelAssert.Close(dbRef, dbOnly, dbBound, "BackwardWeight db only " + what);
    }

    [Theory, MemberData(nameof(Geometries))]
    public void MatchesReferenceSingleThreaded(int[] p) => KernelAssert.WithThreads(1, () => CompareAll(Geometry(p), p.Sum()));

    [Theory, MemberData(nameof(Geometries))]
    public void MatchesReferenceMultiThreaded(int[] p) => KernelAssert.WithThreads(3, () => CompareAll(Geometry(p), p.Sum() + 1));

    [Theory, MemberData(nameof(Geometries))]
    public void UnfoldMatchesDefinition(int[] p)
    {
        var g = Geometry(p) with { Groups = 1 };
        var rng = new Rng(3);
        var x = KernelAssert.Random(rng, g.InChannels * g.InPlane);
        var col = new float[g.ColumnRows * g.OutPlane];
        Array.Fill(col, float.NaN); // every entry must be written, padding included
        Im2Col.Unfold(x, g, col);
        for (int c = 0; c < g.InChannels; c++)
            for (int i = 0; i < g.KernelHeight; i++)
                for (int j = 0; j < g.KernelWidth; j++)
                    for (int oy = 0; oy < g.OutHeight; oy++)
                        for (int ox = 0; ox < g.OutWidth; ox++)
                        {
                            int iy = oy * g.StrideH - g.PadH + i * g.DilationH, ix = ox * g.StrideW - g.PadW + j * g.DilationW;
                            float expected = iy >= 0 && iy < g.InHeight && ix >= 0 && ix < g.InWidth ? x[(c * g.InHeight + iy) * g.InWidth + ix] : 0f;
                            int row = (c * g.KernelHeight + i) * g.KernelWidth + j;
                            Assert.Equal(expected, col[row * g.OutPlane + oy * g.OutWidth + ox]);
                        }
    }

    /// <summary>Each row of col unfolded on its own holds Unfold's values, and nothing past its end is written.</summary>
    [Theory, MemberData(nameof(Geometries))]
    public unsafe void UnfoldRowMatchesUnfold(int[] p)
    {
        var g = Geometry(p) with { Groups = 1 };
        var rng = new Rng(5);
        var x = KernelAssert.Random(rng, g.InChannels * g.InPlane);
        var col = new float[g.ColumnRows * g.OutPlane];
        Im2Col.Unfold(x, g, col);
        int plane = g.OutPlane;
        var row = new float[plane + 3];
        for (int r = 0; r < g.ColumnRows; r++)
        {
            Array.Fill(row, float.NaN);
            fixed (float* px = x, pr = row) Im2Col.UnfoldRow(px, g, r, pr);
            for (int j = 0; j < row.Length; j++)
            {
                float expected = j < plane ? col[r * plane + j] : float.NaN;
                Assert.True(expected.Equals(row[j]), $"{g}: row {r}, column {j}: {row[j]}, expected {expected}.");
            }
        }
    }

    /// <summary>
    /// The forward without a stored unfolding — reading the padded input in place (strided: its stride phases) with the
    /// output positions or the output channels on the product's rows, or unfolding it row by row into the GEMM's packed
    /// panels — gives the very bits of unfolding it whole and multiplying, on every micro-kernel family (its tiles, edge
    /// rows and panels, depth blocks), on one thread and threaded.
    /// </summary>
    [Theory, MemberData(nameof(GemmTests.Families), MemberType = typeof(GemmTests))]
    public void StreamedForwardIsBitIdenticalOnEveryFamily(string name)
    {
        var family = Enum.Parse<Gemm.Isa>(name);
        using var scope = Gemm.ForcePath(family);
        var (mr, nr, kc, _) = Gemm.Blocking;
        // n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, groups.
        int[][] cases =
        [
            [1, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1],         // LeNet's second convolution
            [1, kc / 9 + 3, 5, 7, mr + 3, 3, 3, 1, 1, 1, 1, 1, 1, 1], // two depth blocks, an edge row tile
            [1, 8, 16, nr + 13, 2 * mr + 2, 3, 3, 1, 1, 1, 1, 1, 1, 2], // grouped, an edge panel
            [1, 4, 24, 13, mr + 1, 3, 3, 1, 1, 0, 0, 2, 2, 1],      // dilated, unpadded: the last tap reads past the image
            [2, 16, 1, 100, 12, 1, 5, 1, 1, 0, 2, 1, 1, 1],         // 1-D (H = kH = 1), a batch
            // Strided, on the stride phases of the padded input:
            [2, 1, 40, 21, 8, 5, 5, 2, 2, 2, 2, 1, 1, 1],           // strided 5×5, as the speech front end, a batch
            [1, 32, 80, 20, 32, 5, 5, 2, 2, 2, 2, 1, 1, 1],         // speech-crnn's second convolution
            [1, kc / 9 + 3, 10, 14, mr + 3, 3, 3, 2, 2, 1, 1, 1, 1, 1], // two depth blocks
            [1, 8, 16, 2 * nr + 26, 2 * mr + 2, 3, 3, 1, 2, 1, 1, 1, 1, 2], // strided across only, grouped
            [1, 8, 24, 17, mr + 1, 3, 3, 2, 2, 1, 1, 2, 2, 1],      // strided and dilated: taps fall on both phases
            [1, 6, 20, 23, mr + 2, 4, 4, 3, 3, 1, 1, 1, 1, 1],      // stride 3, an even kernel
            [1, 16, 12, 12, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1],          // 5 output channels: on wide tiles they stay on the product's rows
            [1, 16, 24, 9, 5, 5, 5, 2, 2, 0, 0, 1, 1, 1],           // and 3 of the grid's 5 columns kept: on wide tiles unfolded row by row
            [1, 16, 24, 9, mr + 3, 5, 5, 2, 2, 0, 0, 1, 1, 1],      // the same with more channels
            [1, 1, 30, 30, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1],          // 9 taps for 16 outputs, as LeNet's first convolution
        ];
        // Every case runs one of the three streamed ways. All three are among the cases where the tile is wider than
        // tall; with square tiles (128-bit, scalar) the positions always compute fewer elements than the grid (there are
        // fewer of them than grid columns), so every case reads in place with the positions on the rows.
        var ways = cases.Select(s => Geometry(s)).Select(g =>
            Convolution.ReadsInPlace(g) ? Convolution.GathersPositions(g) ? "positions on the rows" : "channels on the rows"
            : Gemm.PacksRows(g.OutChannelsPerGroup, g.OutPlane, g.WeightsPerOutput) ? "unfolded row by row" : "unfolded whole").ToArray();
        Assert.DoesNotContain("unfolded whole", ways);
        Assert.Equal(nr > mr ? 3 : 1, ways.Distinct().Count());
        foreach (var s in cases)
        {
            var g = Geometry(s);
            var rng = new Rng(6);
            var x = KernelAssert.Random(rng, g.Batch * g.InChannels * g.InPlane);
            var w = KernelAssert.Random(rng, g.OutChannels * g.WeightsPerOutput);
            int og = g.OutChannelsPerGroup, kg = g.WeightsPerOutput, plane = g.OutPlane;
            var expected = new float[g.Batch * g.OutChannels * plane];
            var col = new float[g.ColumnRows * plane];
            for (int n = 0; n < g.Batch; n++)
            {
                Im2Col.Unfold(x.AsSpan(n * g.InChannels * g.InPlane), g, col);
                for (int grp = 0; grp < g.Groups; grp++)
                    Gemm.Multiply(false, false, og, plane, kg, w.AsSpan(grp * og * kg), kg, col.AsSpan(grp * kg * plane), plane,
                        expected.AsSpan((n * g.OutChannels + grp * og) * plane), plane, 0f, parallel: false);
            }
            // Threaded, a batch of one shares the product's panels out (the workers run the caller's family); a larger
            // batch hands whole samples to workers, which run this machine's own family, not the forced one.
            // Winograd off: LeNet's second convolution and the other 3×3 stride-1 cases would run by it (WinogradTests).
            foreach (int threads in g.Batch == 1 ? new[] { 1, 2 } : [1])
                KernelAssert.WithThreads(threads, () => KernelAssert.WithWinograd(false, () =>
                {
                    var y = new float[expected.Length];
                    Array.Fill(y, float.NaN);
                    Convolution.Forward(x, w, null, y, g);
                    for (int i = 0; i < y.Length; i++)
                        Assert.True(expected[i].Equals(y[i]), $"{name}, {g}, {threads} threads: y[{i}] = {y[i]}, expected {expected[i]}.");
                }));
        }
    }

    [Theory, MemberData(nameof(Geometries))]
    public void Col2ImIsTheAdjointOfUnfold(int[] p)
    {
        var g = Geometry(p) with { Groups = 1 };
        var rng = new Rng(4);
        var x = KernelAssert.Random(rng, g.InChannels * g.InPlane);
        var c = KernelAssert.Random(rng, g.ColumnRows * g.OutPlane);
        var col = new float[c.Length];
        Im2Col.Unfold(x, g, col);
        var folded = new float[x.Length];
        Im2Col.Col2Im(c, g, folded);
        double lhs = 0, rhs = 0, scale = 0;
        for (int i = 0; i < c.Length; i++) { lhs += (double)col[i] * c[i]; scale += Math.Abs((double)col[i] * c[i]); }
        for (int i = 0; i < x.Length; i++) rhs += (double)x[i] * folded[i];
        // ⟨Unfold(x), c⟩ = ⟨x, Col2Im(c)⟩ up to the float rounding of Col2Im's sums.
        Assert.True(Math.Abs(lhs - rhs) <= 1e-5 * scale + 1e-6, $"⟨Unfold x, c⟩ = {lhs}, ⟨x, Col2Im c⟩ = {rhs} for {g}.");

        // Col2Im accumulates into its output.
        var start = KernelAssert.Random(rng, x.Length);
        var acc = (float[])start.Clone();
        Im2Col.Col2Im(c, g, acc);
        for (int i = 0; i < x.Length; i++) Assert.Equal(start[i] + folded[i], acc[i], 1e-4f);
    }
}
