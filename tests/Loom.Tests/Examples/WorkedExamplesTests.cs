using Loom.Nn;
using Xunit;

namespace Loom.Tests.Examples;

/// <summary>The worked examples of DESIGN.md, exactly.</summary>
public class WorkedExamplesTests
{
    private static readonly float[,] Image = { { 1, 0, 0 }, { 1, 1, 0 }, { 1, 1, 1 } };
    private static readonly float[,] Kernel = { { 1, 0, 1 }, { 0, 1, 0 }, { 1, 0, 1 } };

    private static Tensor AsBatch(float[,] m) => Tensor.FromArray(m).Reshape(1, 1, m.GetLength(0), m.GetLength(1));

    [Fact]
    public void CrossCorrelationSumsToFour_Functional()
    {
        var y = Functional.Conv2d(AsBatch(Image), AsBatch(Kernel), null, (1, 1), (0, 0), (1, 1));
        Assert.Equal(new[] { 1, 1, 1, 1 }, y.Shape);
        Assert.Equal(4f, y.Item());
    }

    [Fact]
    public void CrossCorrelationSumsToFour_Layer()
    {
        var conv = new Conv2d(1, 1, 3, bias: false);
        AsBatch(Kernel).Data.CopyTo(conv.Weight.Data, 0);
        var y = conv.Forward(AsBatch(Image));
        Assert.Equal(new[] { 1, 1, 1, 1 }, y.Shape);
        Assert.Equal(4f, y.Item());

        // With a bias, the bias is added once to that sum.
        var withBias = new Conv2d(1, 1, 3);
        AsBatch(Kernel).Data.CopyTo(withBias.Weight.Data, 0);
        withBias.Bias!.Data[0] = 0.5f;
        Assert.Equal(4.5f, withBias.Forward(AsBatch(Image)).Item());
    }

    [Fact]
    public void CrossCorrelationGradientsAreTheOtherOperand()
    {
        // y = Σ x·w, so ∂y/∂w = x and ∂y/∂x = w.
        var x = AsBatch(Image);
        var conv = new Conv2d(1, 1, 3, bias: false);
        AsBatch(Kernel).Data.CopyTo(conv.Weight.Data, 0);
        x.RequiresGrad = true;
        conv.Forward(x).Sum().Backward();
        Assert.Equal(AsBatch(Image).Data, conv.Weight.Grad!.Data);
        Assert.Equal(AsBatch(Kernel).Data, x.Grad!.Data);
    }

    [Fact]
    public void MaxPoolingGivesThree()
    {
        var x = Tensor.FromArray(new float[,] { { 1, 2 }, { 3, 0 } }).Reshape(1, 1, 2, 2);
        var y = Functional.MaxPool2d(x, (2, 2), (2, 2), (0, 0), (1, 1));
        Assert.Equal(new[] { 1, 1, 1, 1 }, y.Shape);
        Assert.Equal(3f, y.Item());
        Assert.Equal(3f, new MaxPool2d(2).Forward(x).Item());

        // The gradient flows to the winner only.
        x.RequiresGrad = true;
        new MaxPool2d(2).Forward(x).Sum().Backward();
        Assert.Equal(new[] { 0f, 0f, 1f, 0f }, x.Grad!.Data);
    }

    [Fact]
    public void SevenBySevenWithThreeByThreeKernelGivesFiveByFive()
    {
        var conv = new Conv2d(1, 1, 3);
        var y = conv.Forward(Tensor.Zeros(1, 1, 7, 7));
        Assert.Equal(new[] { 1, 1, 5, 5 }, y.Shape);
        var y2 = Functional.Conv2d(Tensor.Ones(2, 1, 7, 7), Tensor.Ones(4, 1, 3, 3), null, (1, 1), (0, 0), (1, 1));
        Assert.Equal(new[] { 2, 4, 5, 5 }, y2.Shape);
        Assert.All(y2.Data, v => Assert.Equal(9f, v));
    }

    [Fact]
    public void ThirtyTwoKernelsOfThreeByThreeOverOneChannelAre288Weights()
    {
        var conv = new Conv2d(1, 32, 3, bias: false);
        Assert.Equal(new[] { 32, 1, 3, 3 }, conv.Weight.Shape);
        Assert.Equal(288, conv.Weight.Size);
        Assert.Equal(288L, conv.ParameterCount());

        var withBias = new Conv2d(1, 32, 3);
        Assert.Equal(32, withBias.Bias!.Size);
        Assert.Equal(320L, withBias.ParameterCount());
    }
}
