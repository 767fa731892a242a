using BenchmarkDotNet.Attributes;
using Loom.Models;
using Loom.Nn;
using Loom.Optim;

namespace Loom.Benchmarks;

/// <summary>
/// One whole LeNet training step (zero grad, forward, cross-entropy, backward, Adam) at batch 64, as `loom bench`
/// times it; the memory diagnoser's "Allocated" column is the managed garbage per step, which issue 4 wants at zero.
/// </summary>
[MemoryDiagnoser]
public class TrainingStepBenchmarks
{
    private Sequential _model = null!;
    private Adam _optimizer = null!;
    private Tensor _x = null!, _y = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = BenchSetup.Start();
        _model = ModelZoo.LeNet().Model;
        _optimizer = new Adam(_model.Parameters(), lr: 1e-3f);
        _x = Tensor.Normal(0f, 1f, [64, 1, 28, 28], rng);
        _y = BenchSetup.Indices(10, rng, 64);
    }

    [Benchmark]
    public void LeNetStep()
    {
        _optimizer.ZeroGrad();
        Functional.CrossEntropy(_model.Call(_x), _y).Backward();
        _optimizer.Step();
    }
}
