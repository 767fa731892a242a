using Xunit;
using static Loom.Tests.GradCheck.GradChecker;

namespace Loom.Tests.GradCheck;

/// <summary>CrossEntropy (class weights, label smoothing, ignore index, reductions), NllLoss, MseLoss, BceWithLogits.</summary>
public class LossGradTests
{
    private static readonly Tensor Targets = Tensor.FromArray([2f, 0f, 3f, 1f, 2f], 5);

    [Theory]
    [InlineData(false, 0f, Reduction.Mean)]
    [InlineData(true, 0f, Reduction.Mean)]
    [InlineData(false, 0.1f, Reduction.Mean)]
    [InlineData(true, 0.2f, Reduction.Mean)]
    [InlineData(true, 0.2f, Reduction.Sum)]
    [InlineData(true, 0.2f, Reduction.None)]
    [InlineData(false, 1f, Reduction.Mean)]
    public void CrossEntropy(bool weighted, float smoothing, Reduction reduction)
    {
        var rng = new Rng(100);
        var logits = Randn(rng, 5, 4);
        var weight = weighted ? Tensor.FromArray([0.5f, 2f, 1f, 1.5f]) : null;
        Check(t => Functional.CrossEntropy(t, Targets, weight, smoothing, reduction: reduction), logits);
    }

    [Theory]
    [InlineData(false, 0f)]
    [InlineData(true, 0.1f)]
    public void CrossEntropyIgnoreIndex(bool weighted, float smoothing)
    {
        var rng = new Rng(101);
        var logits = Randn(rng, 5, 4);
        var weight = weighted ? Tensor.FromArray([0.5f, 2f, 1f, 1.5f]) : null;
        // Ignored class inside the range (2) and PyTorch's default sentinel (−100) outside it.
        Check(t => Functional.CrossEntropy(t, Targets, weight, smoothing, ignoreIndex: 2), logits);
        var withSentinel = Tensor.FromArray([2f, -100f, 3f, 1f, -100f], 5);
        Check(t => Functional.CrossEntropy(t, withSentinel, weight, smoothing), logits);
        // Rows of ignored samples get no gradient at all.
        logits.ZeroGrad();
        Functional.CrossEntropy(logits, withSentinel, weight, smoothing).Backward();
        for (int j = 0; j < 4; j++) { Assert.Equal(0f, logits.Grad!.Data[1 * 4 + j]); Assert.Equal(0f, logits.Grad.Data[4 * 4 + j]); }
    }

    [Theory]
    [InlineData(false, Reduction.Mean)]
    [InlineData(true, Reduction.Mean)]
    [InlineData(true, Reduction.Sum)]
    [InlineData(false, Reduction.None)]
    public void NllLoss(bool weighted, Reduction reduction)
    {
        var rng = new Rng(102);
        var logProbs = Randn(rng, 5, 4);
        var weight = weighted ? Tensor.FromArray([0.5f, 2f, 1f, 1.5f]) : null;
        Check(t => Functional.NllLoss(t, Targets, weight, reduction: reduction), logProbs);
        Check(t => Functional.NllLoss(t, Targets, weight, ignoreIndex: 0, reduction: reduction), logProbs);
    }

    [Fact]
    public void NllOfLogSoftmaxEqualsCrossEntropyGradient()
    {
        var rng = new Rng(103);
        var logits = Randn(rng, 5, 4);
        Check(t => Functional.NllLoss(Functional.LogSoftmax(t), Targets), logits);
    }

    [Theory]
    [InlineData(Reduction.Mean)]
    [InlineData(Reduction.Sum)]
    [InlineData(Reduction.None)]
    public void MseLoss(Reduction reduction)
    {
        var rng = new Rng(104);
        Check(xs => Functional.MseLoss(xs[0], xs[1], reduction), [Randn(rng, 3, 4), Randn(rng, 3, 4)]);
    }

    [Theory]
    [InlineData(0, Reduction.Mean)]
    [InlineData(1, Reduction.Mean)]
    [InlineData(4, Reduction.Mean)]
    [InlineData(4, Reduction.Sum)]
    [InlineData(4, Reduction.None)]
    public void BceWithLogits(int posWeightSize, Reduction reduction)
    {
        var rng = new Rng(105);
        var logits = Rand(rng, -4f, 4f, 3, 4);
        var target = Tensor.Uniform(0f, 1f, [3, 4], rng);
        target.Data[0] = 0f; target.Data[1] = 1f; // hard labels as well as soft ones
        var posWeight = posWeightSize == 0 ? null : Tensor.Uniform(0.5f, 3f, [posWeightSize], rng);
        Check(t => Functional.BceWithLogits(t, target, posWeight, reduction), logits);
    }
}
