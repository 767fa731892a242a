using Loom.Speech;
using Loom.Training;
using Xunit;

namespace Loom.Tests.Speech;

/// <summary>CtcLoss against a brute-force twin (every alignment enumerated), its errors, and the loss objects.</summary>
public class CtcLossTests
{
    [Theory]
    [InlineData(4, 3, 0, new[] { 1, 2 })]
    [InlineData(5, 3, 0, new[] { 1, 1 })]
    [InlineData(5, 4, 2, new[] { 3, 3, 1 })]
    [InlineData(3, 3, 0, new int[0])]
    [InlineData(6, 3, 1, new[] { 2, 0, 2 })]
    public void MatchesTheSumOverAllAlignments(int t, int c, int blank, int[] target)
    {
        var logProbs = Functional.LogSoftmax(Tensor.Normal(0f, 1.5f, [t, 1, c], new Rng((ulong)(t * 31 + c))), 2);
        var loss = Functional.CtcLoss(logProbs, new Tensor(target.Select(v => (float)v).ToArray(), 1, target.Length), [t], [target.Length],
            blank, Reduction.Sum);
        double p = CtcBruteForce.LabellingProbabilities(logProbs.Data, t, c, blank).GetValueOrDefault(CtcBruteForce.Key(target));
        Assert.Equal(-Math.Log(p), loss.Data[0], 4);
    }

    [Fact]
    public void TargetLongerThanTheInputIsInfinite()
    {
        var logProbs = Functional.LogSoftmax(Tensor.Normal(0f, 1f, [3, 1, 4], new Rng(5)), 2);
        var loss = Functional.CtcLoss(logProbs, Tensor.FromArray([1f, 2f, 3f, 1f], 1, 4), [3], [4], reduction: Reduction.None);
        Assert.Equal(float.PositiveInfinity, loss.Data[0]);
    }

    [Fact]
    public void RepeatWithoutRoomForTheBlankIsInfinite()
    {
        var logProbs = Functional.LogSoftmax(Tensor.Normal(0f, 1f, [3, 1, 3], new Rng(5)), 2);
        var fits = Functional.CtcLoss(logProbs, Tensor.FromArray([1f, 1f], 1, 2), [3], [2], reduction: Reduction.None);
        var tooShort = Functional.CtcLoss(logProbs, Tensor.FromArray([1f, 1f], 1, 2), [2], [2], reduction: Reduction.None);
        Assert.True(float.IsFinite(fits.Data[0]));
        Assert.Equal(float.PositiveInfinity, tooShort.Data[0]);
        var zeroed = Functional.CtcLoss(logProbs, Tensor.FromArray([1f, 1f], 1, 2), [2], [2], reduction: Reduction.None, zeroInfinity: true);
        Assert.Equal(0f, zeroed.Data[0]);
    }

    public static TheoryData<string, Func<Tensor>> BadInputs => new()
    {
        { "expected log-probabilities (T, N, C), got (4, 6)", () => Functional.CtcLoss(Tensor.Zeros(4, 6), Tensor.Zeros(2, 1), [4, 4], [1, 1]) },
        { "blank 6 is outside the 6 classes [0, 5]", () => Functional.CtcLoss(Tensor.Zeros(4, 2, 6), Tensor.Zeros(2, 1), [4, 4], [1, 1], blank: 6) },
        { "3 input lengths for a batch of 2", () => Functional.CtcLoss(Tensor.Zeros(4, 2, 6), Tensor.Ones(2, 1), [4, 4, 4], [1, 1]) },
        { "1 target lengths for a batch of 2", () => Functional.CtcLoss(Tensor.Zeros(4, 2, 6), Tensor.Ones(2, 1), [4, 4], [1]) },
        { "input length 5 of sample 1 is outside [0, 4]", () => Functional.CtcLoss(Tensor.Zeros(4, 2, 6), Tensor.Ones(2, 1), [4, 5], [1, 1]) },
        { "target length -1 of sample 0 is negative", () => Functional.CtcLoss(Tensor.Zeros(4, 2, 6), Tensor.Ones(2, 1), [4, 4], [-1, 1]) },
        { "padded targets (3, 1) have 3 rows for a batch of 2", () => Functional.CtcLoss(Tensor.Zeros(4, 2, 6), Tensor.Ones(3, 1), [4, 4], [1, 1]) },
        { "target length 2 of sample 1 exceeds the 1 columns of padded targets (2, 1)", () => Functional.CtcLoss(Tensor.Zeros(4, 2, 6), Tensor.Ones(2, 1), [4, 4], [1, 2]) },
        { "concatenated targets (3) hold 3 labels, but the target lengths add up to 2", () => Functional.CtcLoss(Tensor.Zeros(4, 2, 6), Tensor.Ones(3), [4, 4], [1, 1]) },
        { "label 6 at position 0 of sample 1's target is not a class index in [0, 5]", () => Functional.CtcLoss(Tensor.Zeros(4, 2, 6), Tensor.FromArray([1f, 6f], 2, 1), [4, 4], [1, 1]) },
        { "label 1.5 at position 0 of sample 0's target", () => Functional.CtcLoss(Tensor.Zeros(4, 2, 6), Tensor.FromArray([1.5f, 1f], 2, 1), [4, 4], [1, 1]) },
        { "position 0 of sample 1's target is the blank (0)", () => Functional.CtcLoss(Tensor.Zeros(4, 2, 6), Tensor.FromArray([1f, 0f], 2, 1), [4, 4], [1, 1]) },
    };

    [Theory, MemberData(nameof(BadInputs))]
    public void BadInputGetsAClearError(string message, Func<Tensor> call)
    {
        var e = Assert.ThrowsAny<ArgumentException>(call);
        Assert.Contains("CtcLoss", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void LossObjectAndTrainingHookUseTheSameOp()
    {
        var logProbs = Functional.LogSoftmax(Tensor.Normal(0f, 1f, [8, 2, 5], new Rng(9)), 2);
        var targets = Tensor.FromArray([1f, 2f, 3f, 4f, 4f, 0f], 2, 3);
        int[] inputs = [8, 1], lengths = [3, 2];
        // Sample 1 cannot fit [4, 4] in one frame: the training hook zeroes it, the plain loss is infinite.
        var plain = new CtcLoss().Forward(logProbs, targets, inputs, lengths);
        Assert.Equal(float.PositiveInfinity, plain.Data[0]);
        var zeroed = new CtcLoss(zeroInfinity: true).Forward(logProbs, targets, inputs, lengths);
        var perSample = Functional.CtcLoss(logProbs, targets, inputs, lengths, reduction: Reduction.None, zeroInfinity: true);
        Assert.Equal(perSample.Data[0] / 3 / 2, zeroed.Data[0], 5);
        Assert.Equal(zeroed.Data[0], Losses.Ctc(logProbs, targets, inputs, lengths).Data[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CtcLoss(blank: -1));
    }
}
