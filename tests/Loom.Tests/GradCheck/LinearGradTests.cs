using Xunit;
using static Loom.Tests.GradCheck.GradChecker;

namespace Loom.Tests.GradCheck;

/// <summary>MatMul and Linear, small and past the GEMM's small-size shortcut (blocked kernel path).</summary>
public class LinearGradTests
{
    [Theory]
    [InlineData(3, 4, 5)]
    [InlineData(1, 7, 1)]
    [InlineData(33, 40, 35)] // > 32³ multiply-adds: the blocked, packed kernel and its edge tiles
    public void MatMul(int m, int k, int n)
    {
        var rng = new Rng(40);
        Check(xs => Functional.MatMul(xs[0], xs[1]), [Randn(rng, m, k), Randn(rng, k, n)]);
    }

    [Fact]
    public void MatMulOneSide()
    {
        var rng = new Rng(41);
        var a = Randn(rng, 4, 3);
        var b = Const(rng, 3, 5);
        Check(xs => Functional.MatMul(xs[0], xs[1]), [a, b]);
        a.RequiresGrad = false;
        b.RequiresGrad = true;
        Check(xs => Functional.MatMul(xs[0], xs[1]), [a, b]);
    }

    [Theory]
    [InlineData(new[] { 4, 5 }, 3, true)]
    [InlineData(new[] { 2, 3, 5 }, 4, true)]
    [InlineData(new[] { 5 }, 2, false)]
    [InlineData(new[] { 40, 37 }, 33, true)]
    public void Linear(int[] xShape, int outF, bool bias)
    {
        var rng = new Rng(42);
        int inF = xShape[^1];
        var inputs = bias
            ? new[] { Randn(rng, xShape), Randn(rng, outF, inF), Randn(rng, outF) }
            : new[] { Randn(rng, xShape), Randn(rng, outF, inF) };
        Check(xs => Functional.Linear(xs[0], xs[1], xs.Length > 2 ? xs[2] : null), inputs);
    }

    [Fact]
    public void LinearLayer()
    {
        var layer = new Loom.Nn.Linear(6, 3);
        var x = Randn(new Rng(43), 4, 6);
        Check(xs => layer.Forward(xs[0]), [x, layer.Weight, layer.Bias!]);
    }
}
