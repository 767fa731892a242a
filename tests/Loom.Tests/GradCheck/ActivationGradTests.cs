using Xunit;
using static Loom.Tests.GradCheck.GradChecker;

namespace Loom.Tests.GradCheck;

/// <summary>ReLU, LeakyReLU (inputs away from the kink), Tanh, Sigmoid, GELU, Softmax and LogSoftmax over several dims.</summary>
public class ActivationGradTests
{
    // 37 elements: the vectorised ReLU backward plus its scalar tail.
    [Fact]
    public void Relu() => Check(t => Functional.Relu(t), AwayFromZero(new Rng(90), 0.05f, 2f, 37));

    [Theory]
    [InlineData(0.01f)]
    [InlineData(0.2f)]
    public void LeakyRelu(float slope) => Check(t => Functional.LeakyRelu(t, slope), AwayFromZero(new Rng(91), 0.05f, 2f, 3, 7));

    [Fact]
    public void Tanh() => Check(t => Functional.Tanh(t), Rand(new Rng(92), -2.5f, 2.5f, 4, 5));

    [Fact]
    public void Sigmoid() => Check(t => Functional.Sigmoid(t), Rand(new Rng(93), -4f, 4f, 4, 5));

    [Fact]
    public void Gelu() => Check(t => Functional.Gelu(t), Rand(new Rng(94), -3f, 3f, 4, 5));

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Softmax(int dim) => Check(t => Functional.Softmax(t, dim), Randn(new Rng(95), 3, 4, 5));

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(1)]
    public void LogSoftmax(int dim) => Check(t => Functional.LogSoftmax(t, dim), Randn(new Rng(96), 3, 4, 5));

    [Fact]
    public void SoftmaxWithLargeLogits()
    {
        // Shifted far from zero: the max-subtraction must keep both value and gradient finite and right.
        var x = Randn(new Rng(97), 2, 6);
        for (int i = 0; i < x.Size; i++) x.Data[i] += 80f;
        Check(t => Functional.Softmax(t), x);
        Check(t => Functional.LogSoftmax(t), x);
    }
}
