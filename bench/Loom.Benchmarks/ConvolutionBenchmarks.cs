using BenchmarkDotNet.Attributes;

namespace Loom.Benchmarks;

/// <summary>A convolution of LeNet at training batch 64: input (N, C, H, W), O output channels, 3×3, padding 1.</summary>
public sealed record ConvShape(string Name, int N, int C, int H, int W, int O)
{
    public override string ToString() => $"{Name} ({N},{C},{H},{W})→{O}";
}

/// <summary>
/// <see cref="Functional.Conv2d"/> forward alone, and forward plus backward through the tape (input, weight and
/// bias gradients), at LeNet's shapes.
/// </summary>
[MemoryDiagnoser]
public class ConvolutionBenchmarks
{
    public static IEnumerable<ConvShape> Shapes => [new("conv1", 64, 1, 28, 28, 32), new("conv2", 64, 32, 14, 14, 64)];

    [ParamsSource(nameof(Shapes))]
    public ConvShape Shape { get; set; } = Shapes.First();

    private Tensor _x = null!, _weight = null!, _bias = null!, _dy = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = BenchSetup.Start();
        var s = Shape;
        // conv1 reads the data (no gradient needed); conv2 reads a layer's output, whose gradient backward must produce.
        _x = Tensor.Normal(0f, 1f, [s.N, s.C, s.H, s.W], rng);
        _x.RequiresGrad = s.C > 1;
        _weight = Tensor.Normal(0f, 0.1f, [s.O, s.C, 3, 3], rng);
        _weight.RequiresGrad = true;
        _bias = Tensor.Zeros(s.O);
        _bias.RequiresGrad = true;
        _dy = Tensor.Normal(0f, 1f, [s.N, s.O, s.H, s.W], rng);
    }

    [Benchmark]
    public Tensor Forward()
    {
        using (Autograd.GradMode.NoGrad()) return Functional.Conv2d(_x, _weight, _bias, (1, 1), (1, 1), (1, 1));
    }

    [Benchmark]
    public void ForwardBackward()
    {
        _x.ZeroGrad();
        _weight.ZeroGrad();
        _bias.ZeroGrad();
        Functional.Conv2d(_x, _weight, _bias, (1, 1), (1, 1), (1, 1)).Backward(_dy);
    }
}
