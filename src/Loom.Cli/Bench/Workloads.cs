namespace Loom.Cli.Bench;

/// <summary>One workload of <c>loom bench</c>: the name <c>--only</c> picks it by, what it runs, and the code.</summary>
internal sealed record Workload(string Name, string What, Action<BenchRun> Run);

/// <summary>
/// The performance workloads, mirrored by bench/torch/bench.py (same shapes, models and JSON keys).
/// All data is synthetic, drawn from a fixed seed. lenet-train runs first so that the peak working set
/// read after it is that of a process that has done nothing but LeNet training.
/// </summary>
internal static class Workloads
{
    public const ulong Seed = 1234;

    public static readonly IReadOnlyList<Workload> All =
    [
        new("lenet-train", "LeNet training step, Adam, batch 64 of (1, 28, 28); memory per step and peak working set", LeNetBench.Train),
        new("lenet-infer", "LeNet inference at batch 256 and batch-1 latency, eval mode, no grad", LeNetBench.Inference),
        new("char-lstm", "Embedding(80,64) → LSTM(64,256) → Linear(256,80) training, seq 100, batch 32, Adam", run => CharRnnBench.Train(run, CharRnnBench.Cell.Lstm)),
        new("char-gru", "the same with a GRU", run => CharRnnBench.Train(run, CharRnnBench.Cell.Gru)),
        new("char-rnn", "the same with a tanh RNN", run => CharRnnBench.Train(run, CharRnnBench.Cell.Rnn)),
        new("lstm-generate", "stateful LSTM language model, one token at batch 1 per step, no grad", CharRnnBench.Generate),
        new("sgemm", "C = A·B, square float32 matrices of 1024 and 2048", SgemmBench.Run),
    ];

    /// <summary>The workloads named in <c>--only</c> (comma-separated), in the standard order; all when null.</summary>
    public static IReadOnlyList<Workload> Select(string? only)
    {
        if (string.IsNullOrWhiteSpace(only)) return All;
        var names = only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var n in names)
            if (!All.Any(w => w.Name == n))
                throw new UserException($"--only: unknown workload '{n}'. Workloads: {string.Join(", ", All.Select(w => w.Name))}.");
        return All.Where(w => names.Contains(w.Name)).ToArray();
    }

    /// <summary>Class indices 0..classes-1 drawn from <paramref name="rng"/>, as a float tensor of the given shape.</summary>
    public static Tensor RandomIndices(int classes, Rng rng, params int[] shape)
    {
        var t = Tensor.Zeros(shape);
        for (int i = 0; i < t.Size; i++) t.Data[i] = rng.NextInt(classes);
        return t;
    }
}
