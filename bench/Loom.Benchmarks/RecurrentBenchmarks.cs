using BenchmarkDotNet.Attributes;
using Loom.Nn;

namespace Loom.Benchmarks;

/// <summary>
/// An LSTM, GRU or tanh-RNN layer (64 → 256, batch-first) over a batch of 32 sequences of 100 steps, as in the
/// char-RNN workloads: forward without gradients, and forward plus backward (input and weight gradients).
/// </summary>
[MemoryDiagnoser]
public class RecurrentBenchmarks
{
    public enum Cell { Lstm, Gru, Rnn }

    [Params(Cell.Lstm, Cell.Gru, Cell.Rnn)]
    public Cell Kind { get; set; }

    private RecurrentLayer _layer = null!;
    private Tensor _x = null!, _dy = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = BenchSetup.Start();
        _layer = Kind switch
        {
            Cell.Lstm => new Lstm(64, 256, batchFirst: true),
            Cell.Gru => new Gru(64, 256, batchFirst: true),
            _ => new Rnn(64, 256, batchFirst: true),
        };
        _x = Tensor.Normal(0f, 1f, [32, 100, 64], rng);
        _x.RequiresGrad = true; // it is an embedding's output in the workload
        _dy = Tensor.Normal(0f, 1f, [32, 100, 256], rng);
    }

    [Benchmark]
    public Tensor Forward()
    {
        using (Autograd.GradMode.NoGrad()) return _layer.Forward(_x);
    }

    [Benchmark]
    public void ForwardBackward()
    {
        _x.ZeroGrad();
        _layer.ZeroGrad();
        _layer.Forward(_x).Backward(_dy);
    }
}
