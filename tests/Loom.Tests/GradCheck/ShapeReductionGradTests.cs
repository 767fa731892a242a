using Xunit;
using static Loom.Tests.GradCheck.GradChecker;

namespace Loom.Tests.GradCheck;

/// <summary>Sum/Mean (all and over one dimension), Reshape, Flatten, Permute, Transpose.</summary>
public class ShapeReductionGradTests
{
    [Fact]
    public void SumAll() => Check(t => Functional.Sum(t), Randn(new Rng(30), 3, 4, 2));

    [Fact]
    public void MeanAll() => Check(t => Functional.Mean(t), Randn(new Rng(31), 3, 4, 2));

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(-1, true)]
    [InlineData(1, true)]
    public void SumOverDim(int dim, bool keepDim) => Check(t => Functional.Sum(t, dim, keepDim), Randn(new Rng(32), 3, 4, 5));

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(-1, false)]
    public void MeanOverDim(int dim, bool keepDim) => Check(t => Functional.Mean(t, dim, keepDim), Randn(new Rng(33), 3, 4, 5));

    [Fact]
    public void ReshapeWithInferredDim() => Check(t => Functional.Reshape(t, -1, 6), Randn(new Rng(34), 2, 3, 4));

    [Fact]
    public void ReshapeThenElementwise()
    {
        // The reshaped view shares storage; its gradient must land on the original layout.
        var rng = new Rng(35);
        var w = Const(rng, 4, 6);
        Check(t => Functional.Mul(Functional.Reshape(t, 4, 6), w), Randn(rng, 2, 3, 4));
    }

    [Theory]
    [InlineData(1, -1)]
    [InlineData(0, 1)]
    [InlineData(2, 3)]
    public void Flatten(int start, int end) => Check(t => Functional.Flatten(t, start, end), Randn(new Rng(36), 2, 3, 4, 2));

    [Theory]
    [InlineData(new[] { 2, 0, 1 })]
    [InlineData(new[] { 0, 2, 1 })]
    [InlineData(new[] { -1, -3, -2 })]
    public void Permute(int[] dims) => Check(t => Functional.Permute(t, dims), Randn(new Rng(37), 2, 3, 4));

    [Fact]
    public void Transpose()
    {
        Check(t => Functional.Transpose(t, 0, 1), Randn(new Rng(38), 3, 5));
        Check(t => Functional.Transpose(t, 1, 3), Randn(new Rng(39), 2, 3, 2, 4));
    }
}
