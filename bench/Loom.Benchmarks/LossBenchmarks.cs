using BenchmarkDotNet.Attributes;

namespace Loom.Benchmarks;

/// <summary>
/// Softmax cross-entropy over the char-RNN head's logits, 3200 rows (batch 32 × 100 steps) of 80 classes:
/// the log-softmax kernel alone, and the loss forward plus backward through the tape.
/// </summary>
[MemoryDiagnoser]
public class LossBenchmarks
{
    private const int Rows = 3200, Classes = 80;
    private Tensor _logits = null!, _targets = null!;
    private float[] _logProbs = [];

    [GlobalSetup]
    public void Setup()
    {
        var rng = BenchSetup.Start();
        _logits = Tensor.Normal(0f, 1f, [Rows, Classes], rng);
        _logits.RequiresGrad = true;
        _targets = BenchSetup.Indices(Classes, rng, Rows);
        _logProbs = new float[Rows * Classes];
    }

    [Benchmark]
    public void LogSoftmaxKernel() => Kernels.Softmax.Forward(_logits.Data, _logProbs, Rows, Classes, 1, log: true);

    [Benchmark]
    public void CrossEntropyForwardBackward()
    {
        _logits.ZeroGrad();
        Functional.CrossEntropy(_logits, _targets).Backward();
    }
}
