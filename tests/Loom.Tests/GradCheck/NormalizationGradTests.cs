using Xunit;
using static Loom.Tests.GradCheck.GradChecker;

namespace Loom.Tests.GradCheck;

/// <summary>BatchNorm (training and evaluation; x, weight, bias) and Dropout with a fixed mask.</summary>
public class NormalizationGradTests
{
    [Theory]
    [InlineData(new[] { 5, 3 })]
    [InlineData(new[] { 3, 2, 4 })]
    [InlineData(new[] { 2, 3, 3, 4 })]
    public void BatchNormTraining(int[] shape)
    {
        var rng = new Rng(80);
        int c = shape[1];
        var x = Randn(rng, shape);
        var weight = Rand(rng, 0.5f, 1.5f, c);
        var bias = Randn(rng, c);
        var runningMean = Tensor.Zeros(c);
        var runningVar = Tensor.Ones(c);
        Check(xs => Functional.BatchNorm(xs[0], runningMean, runningVar, xs[1], xs[2], training: true), [x, weight, bias]);
    }

    [Fact]
    public void BatchNormTrainingWithoutAffine()
    {
        var rng = new Rng(81);
        var x = Randn(rng, 4, 3, 2, 2);
        Check(t => Functional.BatchNorm(t, Tensor.Zeros(3), Tensor.Ones(3), null, null, training: true), x);
    }

    [Theory]
    [InlineData(new[] { 5, 3 })]
    [InlineData(new[] { 2, 3, 3, 4 })]
    public void BatchNormEval(int[] shape)
    {
        var rng = new Rng(82);
        int c = shape[1];
        var x = Randn(rng, shape);
        var weight = Rand(rng, 0.5f, 1.5f, c);
        var bias = Randn(rng, c);
        var runningMean = Const(rng, c);
        var runningVar = Tensor.Uniform(0.5f, 2f, [c], rng);
        Check(xs => Functional.BatchNorm(xs[0], runningMean, runningVar, xs[1], xs[2], training: false), [x, weight, bias]);
    }

    [Fact]
    public void BatchNormLayerInBothModes()
    {
        var rng = new Rng(83);
        var bn = new Loom.Nn.BatchNorm2d(2);
        bn.Weight!.Data[0] = 1.3f; bn.Weight.Data[1] = 0.7f;
        bn.Bias!.Data[0] = 0.2f; bn.Bias.Data[1] = -0.4f;
        var x = Randn(rng, 3, 2, 2, 3);
        Check(xs => bn.Forward(xs[0]), [x, bn.Weight, bn.Bias]);
        bn.Eval();
        Check(xs => bn.Forward(xs[0]), [x, bn.Weight, bn.Bias]);
    }

    [Theory]
    [InlineData(0.3f)]
    [InlineData(0.7f)]
    public void DropoutWithFixedMask(float p)
    {
        var x = Randn(new Rng(84), 4, 5);
        // A fresh generator with the same seed on every evaluation gives the same mask each time.
        Check(t => Functional.Dropout(t, p, training: true, new Rng(99)), x);
    }

    [Fact]
    public void DropoutMaskIsNonTrivialAndScaled()
    {
        var x = Tensor.Ones(1000);
        var y = Functional.Dropout(x, 0.25f, training: true, new Rng(5));
        int zeros = y.Data.Count(v => v == 0f);
        Assert.InRange(zeros, 180, 320);
        Assert.All(y.Data, v => Assert.True(v == 0f || Math.Abs(v - 1f / 0.75f) < 1e-6f));
        Assert.Same(x, Functional.Dropout(x, 0.25f, training: false));
    }
}
