using Loom.Autograd;
using Xunit;

namespace Loom.Tests.GradCheck;

/// <summary>The checker must be able to fail: wrong gradients are caught, right ones pass.</summary>
public class GradCheckerSanityTests
{
    /// <summary>y = x², recorded with a backward that multiplies by <paramref name="factor"/>·x instead of 2x.</summary>
    private static Tensor SquareWithBackward(Tensor x, float factor)
    {
        var y = Tensor.Zeros(x.Shape);
        for (int i = 0; i < x.Size; i++) y.Data[i] = x.Data[i] * x.Data[i];
        return Graph.Record(y, "BadSquare", [x], g =>
        {
            if (x.GradBuffer() is not { } dx) return;
            for (int i = 0; i < dx.Length; i++) dx[i] += factor * x.Data[i] * g[i];
        });
    }

    [Fact]
    public void CorrectCustomOpPasses()
    {
        var x = GradChecker.Randn(new Rng(1), 3, 4);
        var report = GradChecker.Run(xs => SquareWithBackward(xs[0], 2f), [x]);
        Assert.True(report.Passed, report.ToString());
        Assert.Equal(12, report.Checked);
    }

    [Theory]
    [InlineData(3f)]     // grossly wrong
    [InlineData(2.1f)]   // 5 % off: still above the 1 % tolerance
    [InlineData(-2f)]    // wrong sign
    [InlineData(0f)]     // no gradient at all
    public void WrongCustomOpIsCaught(float factor)
    {
        var x = GradChecker.AwayFromZero(new Rng(2), 0.5f, 2f, 3, 4);
        var report = GradChecker.Run(xs => SquareWithBackward(xs[0], factor), [x]);
        Assert.False(report.Passed);
        Assert.True(report.Mismatches.Count >= 3, report.ToString());
        Assert.True(report.WorstRatio > 1);
    }

    [Fact]
    public void CheckThrowsOnWrongGradient()
    {
        var x = GradChecker.AwayFromZero(new Rng(3), 0.5f, 2f, 5);
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => GradChecker.Check(t => SquareWithBackward(t, 2.5f), x));
    }

    [Fact]
    public void CheckerCatchesAGradientMissingOnOneInput()
    {
        // a·b where the recorded backward forgets b: b's analytic gradient stays zero.
        var a = GradChecker.Randn(new Rng(4), 4);
        var b = GradChecker.AwayFromZero(new Rng(5), 0.5f, 1.5f, 4);
        Tensor Op(Tensor[] xs)
        {
            var (u, v) = (xs[0], xs[1]);
            var y = Tensor.Zeros(4);
            for (int i = 0; i < 4; i++) y.Data[i] = u.Data[i] * v.Data[i];
            return Graph.Record(y, "HalfMul", [u, v], g =>
            {
                if (u.GradBuffer() is { } du) for (int i = 0; i < 4; i++) du[i] += g[i] * v.Data[i];
            });
        }
        var report = GradChecker.Run(Op, [a, b]);
        Assert.False(report.Passed);
        Assert.All(report.Mismatches, m => Assert.Equal(1, m.Input));
    }

    [Fact]
    public void CompareAcceptsCloseAndRejectsMismatchedArrays()
    {
        var ok = new GradReport();
        GradChecker.Compare([1.0, -2.0, 0.5], [1.005, -2.01, 0.5], 1e-2, 1e-5, ok);
        Assert.True(ok.Passed, ok.ToString());

        var bad = new GradReport();
        GradChecker.Compare([1.0, -2.0, 0.5], [1.0, -2.0, 0.6], 1e-2, 1e-5, bad);
        Assert.Single(bad.Mismatches);
        Assert.Equal(2, bad.Mismatches[0].Index);

        var nan = new GradReport();
        GradChecker.Compare([double.NaN], [1.0], 1e-2, 1e-5, nan);
        Assert.False(nan.Passed);

        // Small elements are judged against the tensor's scale, not only their own magnitude.
        var small = new GradReport();
        GradChecker.Compare([100.0, 1e-4], [100.0, 2e-4], 1e-2, 1e-5, small);
        Assert.True(small.Passed, small.ToString());
        var smallButWrong = new GradReport();
        GradChecker.Compare([100.0, 1.0], [100.0, -1.0], 1e-2, 1e-5, smallButWrong);
        Assert.False(smallButWrong.Passed);
    }
}
