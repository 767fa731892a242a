using Xunit;
using static Loom.Tests.GradCheck.GradChecker;

namespace Loom.Tests.Conv1d;

/// <summary>Finite-difference checks of Conv1d (input, weight, bias) and of the four 1-D pools.</summary>
public class Conv1dGradTests
{
    // n, c, l, o, k, stride, padding, dilation, groups
    public static TheoryData<int[], bool> Geometries => new()
    {
        { new[] { 1, 1, 7, 1, 3, 1, 0, 1, 1 }, true },    // plain
        { new[] { 3, 2, 10, 4, 3, 1, 1, 1, 1 }, true },   // batch 3, padding
        { new[] { 2, 3, 11, 4, 3, 2, 1, 1, 1 }, false },  // stride 2, odd length
        { new[] { 1, 2, 13, 3, 5, 3, 2, 1, 1 }, true },   // stride 3, wide kernel
        { new[] { 2, 2, 12, 3, 3, 2, 2, 3, 1 }, true },   // dilation with padding and stride
        { new[] { 2, 4, 9, 6, 3, 1, 1, 1, 2 }, true },    // groups = 2
        { new[] { 3, 3, 8, 3, 3, 2, 1, 1, 3 }, false },   // depthwise
        { new[] { 2, 3, 6, 5, 1, 1, 0, 1, 1 }, true },    // pointwise (no im2col)
        { new[] { 1, 4, 9, 2, 1, 2, 0, 1, 2 }, true },    // pointwise strided, grouped
        { new[] { 2, 2, 5, 3, 5, 1, 0, 1, 1 }, true },    // kernel covers the input: length-1 output
    };

    [Theory, MemberData(nameof(Geometries))]
    public void Conv1d(int[] g, bool bias)
    {
        var rng = new Rng(150 + (ulong)g.Sum());
        int n = g[0], c = g[1], l = g[2], o = g[3], k = g[4], groups = g[8];
        var x = Randn(rng, n, c, l);
        var weight = Randn(rng, o, c / groups, k);
        var inputs = bias ? new[] { x, weight, Randn(rng, o) } : new[] { x, weight };
        Check(xs => Functional.Conv1d(xs[0], xs[1], xs.Length > 2 ? xs[2] : null, g[5], g[6], g[7], groups), inputs);
    }

    [Fact]
    public void LayersInAChain()
    {
        // conv → tanh → average pool → conv → adaptive average: each op's input gradient feeds the one
        // before. No max pool here: a perturbed weight can change a winner in the middle of the chain.
        var rng = new Rng(160);
        var conv1 = new Nn.Conv1d(2, 3, 3, padding: 1);
        var pool = new Nn.AvgPool1d(3, 2, 1);
        var conv2 = new Nn.Conv1d(3, 4, 2, dilation: 2);
        var head = new Nn.AdaptiveAvgPool1d(2);
        var x = Randn(rng, 2, 2, 11);
        Check(xs => head.Forward(conv2.Forward(pool.Forward(Functional.Tanh(conv1.Forward(xs[0]))))),
            [x, conv1.Weight, conv1.Bias!, conv2.Weight, conv2.Bias!]);
    }

    [Theory]
    [InlineData(2, 3, 8, 2, 2, 0, 1)]    // k2 s2
    [InlineData(1, 2, 9, 2, 2, 0, 1)]    // odd length: the last step is dropped
    [InlineData(3, 2, 10, 3, 2, 1, 1)]   // overlapping windows, padding
    [InlineData(1, 2, 11, 3, 1, 0, 2)]   // dilation
    [InlineData(2, 2, 12, 3, 2, 1, 2)]   // dilation, stride and padding
    public void MaxPool1d(int n, int c, int l, int k, int s, int p, int d)
    {
        // Distinct values 0.05 apart: a step of 0.01 never changes which element wins.
        var x = Distinct(new Rng(170), 0.05f, n, c, l);
        Check(t => Functional.MaxPool1d(t, k, s, p, d), x);
    }

    [Theory]
    [InlineData(2, 3, 8, 2, 2, 0, true)]
    [InlineData(3, 2, 10, 3, 2, 1, true)]
    [InlineData(3, 2, 10, 3, 2, 1, false)]
    [InlineData(1, 2, 7, 3, 1, 1, false)]
    [InlineData(1, 3, 13, 4, 3, 2, true)]
    [InlineData(1, 3, 13, 4, 3, 2, false)]
    public void AvgPool1d(int n, int c, int l, int k, int s, int p, bool countIncludePad)
    {
        var x = Randn(new Rng(171), n, c, l);
        Check(t => Functional.AvgPool1d(t, k, s, p, countIncludePad), x);
    }

    [Theory]
    [InlineData(10, 3)]   // 10 = 3·3 + 1: windows of 4, 4, 4 overlapping
    [InlineData(7, 3)]
    [InlineData(13, 5)]
    [InlineData(9, 1)]    // global
    [InlineData(4, 6)]    // output longer than the input: elements repeat
    public void AdaptiveAvgPool1d(int l, int outputSize)
    {
        var x = Randn(new Rng(172), 2, 3, l);
        Check(t => Functional.AdaptiveAvgPool1d(t, outputSize), x);
    }

    [Theory]
    [InlineData(10, 3)]
    [InlineData(7, 3)]
    [InlineData(13, 5)]
    [InlineData(9, 1)]
    [InlineData(4, 6)]
    public void AdaptiveMaxPool1d(int l, int outputSize)
    {
        var x = Distinct(new Rng(173), 0.05f, 2, 3, l);
        Check(t => Functional.AdaptiveMaxPool1d(t, outputSize), x);
    }
}
