using Xunit;
using static Loom.Tests.GradCheck.GradChecker;

namespace Loom.Tests.GradCheck;

/// <summary>Conv2d gradients of input, weight and bias over strides, padding, dilation, groups and odd sizes.</summary>
public class ConvolutionGradTests
{
    // n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, groups, bias
    public static TheoryData<int[], bool> Geometries => new()
    {
        { new[] { 1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0, 1, 1, 1 }, true },   // plain
        { new[] { 2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1 }, true },   // batch, padding, odd width
        { new[] { 2, 2, 7, 9, 3, 3, 2, 2, 3, 1, 0, 1, 1, 1 }, false },  // strides, non-square kernel
        { new[] { 1, 2, 9, 8, 2, 3, 3, 1, 1, 2, 1, 2, 2, 1 }, true },   // dilation with padding
        { new[] { 2, 4, 6, 5, 6, 3, 3, 1, 2, 1, 1, 1, 1, 2 }, true },   // groups = 2
        { new[] { 3, 3, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 3 }, false },  // depthwise
        { new[] { 2, 3, 4, 5, 5, 1, 1, 1, 1, 0, 0, 1, 1, 1 }, true },   // 1×1 pointwise (no im2col)
        { new[] { 1, 4, 5, 3, 4, 1, 1, 2, 1, 0, 0, 1, 1, 2 }, true },   // 1×1 strided, grouped
        { new[] { 2, 1, 3, 3, 2, 3, 3, 1, 1, 0, 0, 1, 1, 1 }, true },   // kernel covers the input: 1×1 output
        { new[] { 1, 2, 11, 4, 3, 5, 2, 3, 1, 2, 1, 1, 1, 1 }, true },  // tall kernel, stride 3
    };

    [Theory, MemberData(nameof(Geometries))]
    public void Conv2d(int[] g, bool bias)
    {
        var rng = new Rng(50 + (ulong)g.Sum());
        int n = g[0], c = g[1], h = g[2], w = g[3], o = g[4], kh = g[5], kw = g[6], groups = g[13];
        var x = Randn(rng, n, c, h, w);
        var weight = Randn(rng, o, c / groups, kh, kw);
        var inputs = bias ? new[] { x, weight, Randn(rng, o) } : new[] { x, weight };
        Check(xs => Functional.Conv2d(xs[0], xs[1], xs.Length > 2 ? xs[2] : null, (g[7], g[8]), (g[9], g[10]), (g[11], g[12]), groups), inputs);
    }

    [Fact]
    public void Conv2dLayerInAChain()
    {
        // conv → tanh → conv, so the second conv's input gradient feeds the first's backward.
        var rng = new Rng(60);
        var conv1 = new Loom.Nn.Conv2d(2, 3, 3, padding: 1);
        var conv2 = new Loom.Nn.Conv2d(3, 2, 2, stride: 2);
        var x = Randn(rng, 2, 2, 6, 6);
        Check(xs => conv2.Forward(Functional.Tanh(conv1.Forward(xs[0]))), [x, conv1.Weight, conv1.Bias!, conv2.Weight]);
    }
}
