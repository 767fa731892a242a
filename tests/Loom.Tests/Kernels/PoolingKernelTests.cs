using Loom.Kernels;
using Loom.Tests.Core;
using Xunit;

namespace Loom.Tests.Kernels;

/// <summary>Max, average (both padding-count modes) and adaptive average pooling against references written here.</summary>
[Collection(GlobalStateCollection.Name)]
public class PoolingKernelTests
{
    // n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw
    public static TheoryData<int[]> Geometries => new()
    {
        new[] { 1, 1, 4, 4, 2, 2, 2, 2, 0, 0, 1, 1 },
        new[] { 2, 3, 7, 5, 3, 3, 2, 2, 1, 1, 1, 1 },
        new[] { 1, 2, 9, 8, 3, 2, 1, 2, 1, 1, 1, 1 },
        new[] { 2, 2, 8, 8, 4, 4, 3, 3, 2, 2, 1, 1 },
        new[] { 1, 1, 10, 9, 3, 3, 2, 1, 1, 0, 2, 2 },
        new[] { 3, 4, 33, 31, 2, 2, 2, 2, 0, 0, 1, 1 },  // enough planes to run in parallel
        new[] { 2, 3, 6, 37, 2, 2, 2, 2, 0, 0, 1, 1 },   // 2×2: two vector steps of eight outputs and a tail of two
        new[] { 1, 1, 1, 9, 1, 3, 1, 2, 0, 1, 1, 1 },
    };

    private static ConvGeometry Geometry(int[] p) =>
        new(p[0], p[1], p[2], p[3], p[1], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11]);

    /// <summary>All in-bounds input positions of output (oy, ox) in window order.</summary>
    private static IEnumerable<(int Y, int X)> Window(ConvGeometry g, int oy, int ox)
    {
        for (int i = 0; i < g.KernelHeight; i++)
            for (int j = 0; j < g.KernelWidth; j++)
            {
                int iy = oy * g.StrideH - g.PadH + i * g.DilationH, ix = ox * g.StrideW - g.PadW + j * g.DilationW;
                if (iy >= 0 && iy < g.InHeight && ix >= 0 && ix < g.InWidth) yield return (iy, ix);
            }
    }

    [Theory, MemberData(nameof(Geometries))]
    public void MaxForwardAndBackward(int[] p)
    {
        var g = Geometry(p);
        foreach (int threads in new[] { 1, 2 })
            KernelAssert.WithThreads(threads, () =>
            {
                var rng = new Rng(21);
                int planes = g.Batch * g.InChannels;
                var x = KernelAssert.Random(rng, planes * g.InPlane);
                var y = new float[planes * g.OutPlane];
                var argmax = new int[y.Length];
                Pooling.MaxForward(x, y, argmax, g);
                var dy = KernelAssert.Random(rng, y.Length);
                var dx = new float[x.Length];
                var dxRef = new float[x.Length];
                for (int pl = 0; pl < planes; pl++)
                    for (int oy = 0; oy < g.OutHeight; oy++)
                        for (int ox = 0; ox < g.OutWidth; ox++)
                        {
                            float best = float.NegativeInfinity;
                            int arg = -1;
                            foreach (var (iy, ix) in Window(g, oy, ox))
                            {
                                float v = x[pl * g.InPlane + iy * g.InWidth + ix];
                                if (arg < 0 || v > best) { best = v; arg = iy * g.InWidth + ix; }
                            }
                            int o = pl * g.OutPlane + oy * g.OutWidth + ox;
                            Assert.Equal(best, y[o]);
                            Assert.Equal(arg, argmax[o]);
                            dxRef[pl * g.InPlane + arg] += dy[o];
                        }
                Pooling.MaxBackward(dy, argmax, dx, g);
                KernelAssert.Close(dxRef, dx, KernelAssert.Abs(dxRef), "MaxBackward", 1e-6, 1e-6);
                AssertValuesAloneMatch(x, y, g);
            });
    }

    /// <summary>Without an argmax buffer (inference) the maxima are the very values the tracking path gave, NaNs included.</summary>
    private static void AssertValuesAloneMatch(float[] x, float[] expected, ConvGeometry g)
    {
        var y = Enumerable.Repeat(-123f, expected.Length).ToArray();
        Pooling.MaxForward(x, y, null, g);
        for (int i = 0; i < y.Length; i++) Assert.True(expected[i].Equals(y[i]), $"{g}: values alone y[{i}] = {y[i]}, with argmax {expected[i]}.");
    }

    [Fact]
    public void MaxPicksTheFirstOfTiesAndPropagatesNaN()
    {
        var g = new ConvGeometry(1, 1, 2, 2, 1, 2, 2, 2, 2);
        var y = new float[1];
        var argmax = new int[1];
        Pooling.MaxForward([5f, 5f, 5f, 5f], y, argmax, g);
        Assert.Equal(5f, y[0]);
        Assert.Equal(0, argmax[0]);
        Pooling.MaxForward([1f, float.NaN, 7f, 2f], y, argmax, g);
        Assert.True(float.IsNaN(y[0]));
        Assert.Equal(1, argmax[0]);
    }

    [Theory]
    [InlineData(2, 8)]
    [InlineData(4, 10)]
    [InlineData(6, 14)]
    [InlineData(2, 18)]
    [InlineData(4, 28)]
    [InlineData(2, 6)]
    public void Max2x2VectorPathKeepsTiesNaNAndWritesBackward(int h, int w)
    {
        // Values from {0, 1, 2, NaN}: ties and NaNs in every position of the window, across the vector groups
        // and the overlapping last group of each row.
        var g = new ConvGeometry(2, 3, h, w, 3, 2, 2, 2, 2);
        var rng = new Rng(31);
        int planes = g.Batch * g.InChannels;
        var x = new float[planes * g.InPlane];
        for (int i = 0; i < x.Length; i++)
        {
            int r = (int)(rng.NextFloat() * 7);
            x[i] = r == 6 ? float.NaN : r / 2;
        }
        var y = new float[planes * g.OutPlane];
        var argmax = new int[y.Length];
        Pooling.MaxForward(x, y, argmax, g);
        for (int pl = 0; pl < planes; pl++)
            for (int oy = 0; oy < g.OutHeight; oy++)
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    int arg = -1;
                    float best = 0;
                    foreach (var (iy, ix) in Window(g, oy, ox))
                    {
                        float v = x[pl * g.InPlane + iy * w + ix];
                        if (arg < 0 || (!float.IsNaN(best) && (v > best || float.IsNaN(v)))) { best = v; arg = iy * w + ix; }
                    }
                    int o = pl * g.OutPlane + oy * g.OutWidth + ox;
                    Assert.Equal(arg, argmax[o]);
                    Assert.Equal(best, y[o]);
                }
        AssertValuesAloneMatch(x, y, g);
        // Overwriting backward equals clearing and accumulating.
        var dy = KernelAssert.Random(rng, y.Length);
        var written = Enumerable.Repeat(float.NaN, x.Length).ToArray();
        var added = new float[x.Length];
        Pooling.MaxBackward(dy, argmax, written, g, accumulate: false);
        Pooling.MaxBackward(dy, argmax, added, g);
        Assert.Equal(added, written);
    }

    [Theory, MemberData(nameof(Geometries))]
    public void AvgForwardAndBackward(int[] p)
    {
        var g = Geometry(p) with { DilationH = 1, DilationW = 1 };
        if (g.OutHeight <= 0 || g.OutWidth <= 0) return;
        foreach (bool includePad in new[] { true, false })
            foreach (int threads in new[] { 1, 2 })
                KernelAssert.WithThreads(threads, () =>
                {
                    var rng = new Rng(22);
                    int planes = g.Batch * g.InChannels;
                    var x = KernelAssert.Random(rng, planes * g.InPlane);
                    var y = new float[planes * g.OutPlane];
                    var yRef = new float[y.Length];
                    var bound = new float[y.Length];
                    Pooling.AvgForward(x, y, g, includePad);
                    for (int pl = 0; pl < planes; pl++)
                        for (int oy = 0; oy < g.OutHeight; oy++)
                            for (int ox = 0; ox < g.OutWidth; ox++)
                            {
                                double s = 0, a = 0;
                                int inside = 0;
                                foreach (var (iy, ix) in Window(g, oy, ox))
                                {
                                    float v = x[pl * g.InPlane + iy * g.InWidth + ix];
                                    s += v; a += Math.Abs(v); inside++;
                                }
                                // PyTorch's divisor: window cells inside the padded input, or only the real ones.
                                int padded = 0;
                                for (int i = 0; i < g.KernelHeight; i++)
                                    for (int j = 0; j < g.KernelWidth; j++)
                                    {
                                        int iy = oy * g.StrideH - g.PadH + i, ix = ox * g.StrideW - g.PadW + j;
                                        if (iy < g.InHeight + g.PadH && ix < g.InWidth + g.PadW) padded++;
                                    }
                                int divisor = includePad ? padded : inside;
                                int o = pl * g.OutPlane + oy * g.OutWidth + ox;
                                yRef[o] = (float)(s / divisor);
                                bound[o] = (float)(a / divisor);
                            }
                    KernelAssert.Close(yRef, y, bound, $"AvgForward includePad={includePad}");

                    // Average pooling is linear, so its backward is its adjoint: ⟨P x, dy⟩ = ⟨x, Pᵀ dy⟩.
                    var dy = KernelAssert.Random(rng, y.Length);
                    var dx = new float[x.Length];
                    Pooling.AvgBackward(dy, dx, g, includePad);
                    double lhs = 0, rhs = 0, scale = 0;
                    for (int i = 0; i < y.Length; i++) { lhs += (double)yRef[i] * dy[i]; scale += Math.Abs((double)bound[i] * dy[i]); }
                    for (int i = 0; i < x.Length; i++) rhs += (double)x[i] * dx[i];
                    Assert.True(Math.Abs(lhs - rhs) <= 1e-5 * scale + 1e-6, $"AvgBackward is not the adjoint: {lhs} vs {rhs}.");
                });
    }

    [Theory]
    [InlineData(6, 6, 3, 3)]
    [InlineData(7, 5, 3, 2)]
    [InlineData(10, 13, 4, 5)]
    [InlineData(5, 7, 1, 1)]
    [InlineData(3, 4, 5, 6)]
    [InlineData(64, 70, 7, 7)] // enough work to run in parallel
    public void AdaptiveAvgForwardAndBackward(int h, int w, int oh, int ow)
    {
        var rng = new Rng(23);
        int planes = 6;
        var x = KernelAssert.Random(rng, planes * h * w);
        var y = new float[planes * oh * ow];
        var yRef = new float[y.Length];
        var bound = new float[y.Length];
        Pooling.AdaptiveAvgForward(x, y, planes, h, w, oh, ow);
        for (int pl = 0; pl < planes; pl++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    // Window [floor(i·h/oh), ceil((i+1)·h/oh)) as PyTorch computes it, in integer arithmetic.
                    int y0 = i * h / oh, y1 = ((i + 1) * h + oh - 1) / oh;
                    int x0 = j * w / ow, x1 = ((j + 1) * w + ow - 1) / ow;
                    double s = 0, a = 0;
                    for (int iy = y0; iy < y1; iy++)
                        for (int ix = x0; ix < x1; ix++) { float v = x[(pl * h + iy) * w + ix]; s += v; a += Math.Abs(v); }
                    int cells = (y1 - y0) * (x1 - x0);
                    yRef[(pl * oh + i) * ow + j] = (float)(s / cells);
                    bound[(pl * oh + i) * ow + j] = (float)(a / cells);
                }
        KernelAssert.Close(yRef, y, bound, "AdaptiveAvgForward");

        var dy = KernelAssert.Random(rng, y.Length);
        var dx = new float[x.Length];
        Pooling.AdaptiveAvgBackward(dy, dx, planes, h, w, oh, ow);
        double lhs = 0, rhs = 0, scale = 0;
        for (int i = 0; i < y.Length; i++) { lhs += (double)yRef[i] * dy[i]; scale += Math.Abs((double)bound[i] * dy[i]); }
        for (int i = 0; i < x.Length; i++) rhs += (double)x[i] * dx[i];
        Assert.True(Math.Abs(lhs - rhs) <= 1e-5 * scale + 1e-6, $"AdaptiveAvgBackward is not the adjoint: {lhs} vs {rhs}.");
    }
}
