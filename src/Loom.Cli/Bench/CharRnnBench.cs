using Loom.Autograd;
using Loom.Nn;
using Loom.Optim;
using Loom.Training;

namespace Loom.Cli.Bench;

/// <summary>
/// The character language model of the performance benchmarks on synthetic token ids: Embedding(80, 64) → LSTM/GRU/RNN(64, 256,
/// batch-first) → Linear(256, 80), a prediction at every step, sequences of 100 in batches of 32.
/// </summary>
internal static class CharRnnBench
{
    public enum Cell { Lstm, Gru, Rnn }

    private const int Vocab = 80, Embed = 64, Hidden = 256, SeqLen = 100, Batch = 32;

    /// <summary>
    /// Floating-point operations of the LSTM model's GEMMs per training character: forward 2·(4H·E + 4H·H + H·V),
    /// backward twice that (input and weight gradients; the embedding needs the input's). Gate updates are left out.
    /// </summary>
    public const double LstmTrainFlopsPerChar = 3 * 2.0 * (4 * Hidden * Embed + 4 * Hidden * Hidden + Hidden * Vocab);

    /// <summary>Characters per second of full training steps: zero grad, forward, per-step cross-entropy, backward, Adam step.</summary>
    public static void Train(BenchRun run, Cell cell)
    {
        Rng.ManualSeed(Workloads.Seed);
        Module recurrent = cell switch
        {
            Cell.Lstm => new Lstm(Embed, Hidden, batchFirst: true),
            Cell.Gru => new Gru(Embed, Hidden, batchFirst: true),
            _ => new Rnn(Embed, Hidden, batchFirst: true),
        };
        var model = new Sequential(new Embedding(Vocab, Embed), recurrent, new Linear(Hidden, Vocab));
        var optimizer = new Adam(model.Parameters(), lr: 1e-3f);
        var rng = new Rng(Workloads.Seed + 1);
        var x = Workloads.RandomIndices(Vocab, rng, Batch, SeqLen);
        var y = Workloads.RandomIndices(Vocab, rng, Batch, SeqLen);

        var buffers = new BufferPool(); // as the Trainer does: activations and gradients recycled from step to step
        void Step()
        {
            using var scope = buffers.Scope();
            optimizer.ZeroGrad();
            var loss = Losses.CrossEntropy(model.Call(x), y);
            loss.Backward();
            optimizer.Step();
        }

        string name = cell.ToString().ToLowerInvariant();
        run.Add($"char_{name}_train_chars_per_s", $"char-{name} training, seq 100, batch 32", Measure.Throughput(Step, Batch * SeqLen, run.Plan), "chars/s");
    }

    /// <summary>Median time of one generation step at batch 1: a (1, 1) token through a stateful LSTM, without gradients.</summary>
    public static void Generate(BenchRun run)
    {
        Rng.ManualSeed(Workloads.Seed);
        var model = new Sequential(new Embedding(Vocab, Embed), new Lstm(Embed, Hidden, batchFirst: true) { Stateful = true }, new Linear(Hidden, Vocab));
        model.Eval();
        var rng = new Rng(Workloads.Seed + 1);
        var tokens = Enumerable.Range(0, 64).Select(_ => Workloads.RandomIndices(Vocab, rng, 1, 1)).ToArray();
        int next = 0;
        using (GradMode.NoGrad())
            run.Add("lstm_generate_us_per_step", "LSTM generation, batch 1 (median step)",
                Measure.LatencyMicroseconds(() => model.Call(tokens[next++ % tokens.Length]), run.Plan), "µs");
    }
}
