using Loom.Tests.GradCheck;
using Xunit;
using static Loom.Tests.GradCheck.GradChecker;

namespace Loom.Tests.Speech;

/// <summary>
/// Finite-difference checks of CtcLoss. The gradient CtcLoss sends to its log-probabilities is PyTorch's
/// (exp(lp) − posterior), which is the gradient of the logits behind a log-softmax, not of free log-probabilities;
/// so the checked function is logits (T, N, C) → LogSoftmax → CtcLoss, as in every real use, and the check
/// differentiates the logits. A second check shows the raw gradient is indeed not that of free inputs.
/// </summary>
public class CtcGradTests
{
    // Sample 1 repeats labels; sample 2 is shorter than T; sample 3 has an empty target.
    private static readonly Tensor Targets = Tensor.FromArray([1f, 2f, 2f, 3f, 1f, 0f, 3f, 0f, 0f], 3, 3);
    private static readonly int[] TargetLengths = [3, 2, 0];
    private static readonly int[] InputLengths = [7, 5, 6];

    [Theory]
    [InlineData(Reduction.Mean)]
    [InlineData(Reduction.Sum)]
    [InlineData(Reduction.None)]
    public void ThroughLogSoftmax(Reduction reduction)
    {
        var logits = Randn(new Rng(300), 7, 3, 4);
        Check(x => Functional.CtcLoss(Functional.LogSoftmax(x, 2), Targets, InputLengths, TargetLengths, reduction: reduction), logits,
            eps: 1e-2, rtol: 2e-2, atol: 1e-4);
    }

    [Fact]
    public void BlankNotZeroWithRepeatsConcatenated()
    {
        // Blank 2; targets concatenated: [1, 1, 3], [0, 3, 3, 0].
        var targets = Tensor.FromArray([1f, 1f, 3f, 0f, 3f, 3f, 0f]);
        var logits = Randn(new Rng(301), 9, 2, 4);
        Check(x => Functional.CtcLoss(Functional.LogSoftmax(x, 2), targets, [9, 8], [3, 4], blank: 2, reduction: Reduction.None), logits,
            eps: 1e-2, rtol: 2e-2, atol: 1e-4);
    }

    [Fact]
    public void ZeroInfinityZeroesTheImpossibleSampleOnly()
    {
        // Sample 1 needs 5 frames for [2, 2, 2] but has 4: its loss and gradient are 0, sample 0 is checked normally.
        var targets = Tensor.FromArray([1f, 3f, 0f, 2f, 2f, 2f], 2, 3);
        var logits = Randn(new Rng(302), 6, 2, 4);
        Check(x => Functional.CtcLoss(Functional.LogSoftmax(x, 2), targets, [6, 4], [2, 3], zeroInfinity: true, reduction: Reduction.Sum),
            logits, eps: 1e-2, rtol: 2e-2, atol: 1e-4);
        logits.ZeroGrad();
        var loss = Functional.CtcLoss(Functional.LogSoftmax(logits, 2), targets, [6, 4], [2, 3], zeroInfinity: true, reduction: Reduction.None);
        Assert.Equal(0f, loss.Data[1]);
        Assert.True(loss.Data[0] > 0f);
        loss.Backward(Tensor.FromArray([1f, 1f]));
        for (int t = 0; t < 6; t++)
            for (int c = 0; c < 4; c++)
                Assert.Equal(0f, logits.Grad!.Data[(t * 2 + 1) * 4 + c]);
    }

    [Fact]
    public void RawGradientIsPyTorchsNotThatOfFreeLogProbabilities()
    {
        // Free (unnormalised) inputs: the numerical gradient differs from the reported one by exp(lp) per element,
        // which is exactly PyTorch's convention; summed over classes per frame the two differ by Σ exp(lp).
        var lp = Randn(new Rng(303), 5, 1, 3);
        var report = Run(x => Functional.CtcLoss(x[0], Tensor.FromArray([1f, 2f], 1, 2), [5], [2], reduction: Reduction.Sum), [lp]);
        Assert.False(report.Passed);
    }
}
