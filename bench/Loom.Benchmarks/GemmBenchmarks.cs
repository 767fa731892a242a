using BenchmarkDotNet.Attributes;
using Loom.Kernels;

namespace Loom.Benchmarks;

/// <summary>A GEMM shape, C (m×n) = op(A) (m×k) · op(B) (k×n), and the workload it comes from.</summary>
public sealed record GemmShape(string Name, int M, int N, int K, bool TransA, bool TransB)
{
    public override string ToString() => $"{Name} {M}×{N}×{K}";
}

/// <summary>
/// <see cref="Gemm.Multiply"/> on the shapes the workloads run: square, tall-skinny, small-K and the LSTM step.
/// GFLOPS = 2·m·n·k / mean time.
/// </summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    public static IEnumerable<GemmShape> Shapes =>
    [
        new("square", 1024, 1024, 1024, false, false),
        new("lenet fc1 fwd x·Wᵀ", 64, 128, 3136, false, true),
        new("lenet fc1 dW dYᵀ·x", 128, 3136, 64, true, false),
        new("lenet fc1 dx dY·W", 64, 3136, 128, false, false),
        new("lenet conv2 W·cols", 64, 784, 288, false, false),
        new("lenet conv1 W·cols", 32, 784, 9, false, false),
        new("lstm x·W_ihᵀ all steps", 3200, 1024, 64, false, true),
        new("lstm step h·W_hhᵀ", 32, 1024, 256, false, true),
        new("lstm step dh dG·W_hh", 32, 256, 1024, false, false),
        new("char head x·Wᵀ", 3200, 80, 256, false, true),
    ];

    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = Shapes.First();

    private float[] _a = [], _b = [], _c = [];

    [GlobalSetup]
    public void Setup()
    {
        var rng = BenchSetup.Start();
        _a = new float[Shape.M * Shape.K];
        _b = new float[Shape.K * Shape.N];
        _c = new float[Shape.M * Shape.N];
        rng.FillUniform(_a, -1f, 1f);
        rng.FillUniform(_b, -1f, 1f);
    }

    [Benchmark]
    public void Multiply()
    {
        var s = Shape;
        Gemm.Multiply(s.TransA, s.TransB, s.M, s.N, s.K, _a, s.TransA ? s.M : s.K, _b, s.TransB ? s.K : s.N, _c, s.N);
    }
}
