using Loom.Nn;
using Loom.Tests.GradCheck;
using Xunit;

namespace Loom.Tests.Compare;

/// <summary>Finite-difference gradient checks of the CNN-variant ops and layers: Concat, Pad1d, CausalConv1d, Residual, Transpose, Permute.</summary>
public class CompareGradTests
{
    private static Tensor Randn(Rng rng, params int[] shape)
    {
        var t = Tensor.Normal(0f, 1f, shape, rng);
        t.RequiresGrad = true;
        return t;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    [InlineData(0)]
    public void ConcatOfThree(int dim)
    {
        var rng = new Rng(501);
        int[] Shape(int size) => dim switch { 0 => [size, 3, 2], 1 => [2, size, 2], _ => [2, 3, size] };
        GradChecker.Check(xs => Functional.Concat(xs, dim), [Randn(rng, Shape(1)), Randn(rng, Shape(3)), Randn(rng, Shape(2))]);
    }

    [Fact]
    public void ConcatOfOneTensorUsedTwice()
    {
        // The same tensor in two places gets both gradients.
        var x = Randn(new Rng(502), 2, 3);
        GradChecker.Check(xs => Functional.Concat([xs[0], xs[0]], 1), [x]);
    }

    [Theory]
    [InlineData(2, 0)]
    [InlineData(0, 3)]
    [InlineData(1, 2)]
    public void Pad1d(int left, int right) =>
        GradChecker.Check(x => Functional.Pad1d(x, left, right, 0.5f), Randn(new Rng(503), 2, 3, 4));

    [Theory]
    [InlineData(3, 1, 1, true)]
    [InlineData(3, 2, 1, true)]
    [InlineData(2, 4, 1, false)]
    [InlineData(3, 1, 2, true)]
    public void CausalConv1d(int kernel, int dilation, int stride, bool bias)
    {
        var layer = new Nn.CausalConv1d(3, 4, kernel, stride, dilation, bias: bias);
        var x = Randn(new Rng(505), 2, 3, 9);
        Tensor?[] all = [x, layer.Weight, layer.Bias];
        GradChecker.Check(_ => layer.Forward(x), [.. all.OfType<Tensor>()]);
    }

    [Fact]
    public void ConcatModuleRoutesEachBranchItsGradient()
    {
        var conv2 = new Nn.Conv1d(3, 2, 2, padding: 1);
        var conv3 = new Nn.Conv1d(3, 4, 3, padding: 2);
        var concat = new Nn.Concat(1,
            new Sequential(conv2, new Tanh(), new AdaptiveAvgPool1d(1), new Flatten()),
            new Sequential(conv3, new Tanh(), new AdaptiveAvgPool1d(1), new Flatten()));
        var x = Randn(new Rng(507), 2, 3, 6);
        Assert.Equal([2, 6], concat.Forward(x).Shape);
        GradChecker.Check(_ => concat.Forward(x), [x, conv2.Weight, conv2.Bias!, conv3.Weight, conv3.Bias!]);
    }

    [Fact]
    public void ResidualAddsTheSkipPathsGradient()
    {
        var conv = new Nn.Conv1d(3, 3, 3, padding: 2, dilation: 2);
        var block = new Residual(conv, new Tanh());
        var x = Randn(new Rng(510), 2, 3, 7);
        GradChecker.Check(_ => block.Forward(x), [x, conv.Weight, conv.Bias!]);
        Assert.Contains("keep the shape", Assert.Throws<ArgumentException>(() => new Residual(new Nn.Conv1d(3, 4, 1)).Forward(x)).Message);
    }

    [Fact]
    public void TransposeAndPermuteLayers()
    {
        GradChecker.Check(x => new Nn.Transpose(1, 2).Forward(x), Randn(new Rng(508), 2, 4, 3));
        GradChecker.Check(x => new Flatten(2, 3).Forward(new Nn.Permute(0, 3, 1, 2).Forward(x)), Randn(new Rng(509), 2, 3, 2, 4));
    }
}
