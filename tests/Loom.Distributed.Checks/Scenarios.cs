using Loom.Data;
using Loom.Nn;
using Loom.Recipes;
using Loom.Serialization;
using Loom.Training;

namespace Loom.Distributed.Checks;

/// <summary>
/// Data-parallel behaviour checked over a communicator: each scenario runs on every rank and throws
/// <see cref="CheckFailedException"/> when a figure is off. Over MPI a rank's single-process reference is computed by
/// that rank itself, so no scenario trusts the thing it checks.
/// </summary>
public static class Scenarios
{
    /// <summary>
    /// Largest difference allowed between a weight after data-parallel training and after one process with the same
    /// global batch. The two sum the same per-sample gradients in a different order and scale them differently (c·g/Σc
    /// against g), a few float ulps a step, which k steps of an optimizer carry on. Measured with the ReLU MLP: 2.1e-7
    /// after 2 epochs (2 ranks, Open MPI) and 3.6e-7 after a resume; with the Tanh MLP below (GEMM depth blocks of
    /// 512), up to 2.6e-6 after a resume at world size 3. The tolerance is about four times that.
    /// </summary>
    public const float WeightTolerance = 1e-5f;

    /// <summary>Ranks that share one process build their models one at a time: construction draws from the one global generator.</summary>
    private static readonly Lock BuildLock = new();

    /// <summary>
    /// An MLP on the embedded Fashion-MNIST sample: a hidden layer, so the check is not of a convex model only, and no
    /// dropout or BatchNorm, which would make replicas differ from one process by design. Its activation is Tanh, which
    /// is smooth. With ReLU, once the AVX2 GEMM's depth blocks changed from 1024 to 512 (which moved the whole
    /// trajectory), two hidden units' weights differed by 6.5e-5 and 1.4e-5 after a resume, where the other 30 stayed
    /// near 1e-6: most likely a pre-activation within rounding of 0, on in one run and off in the other.
    /// </summary>
    public const string MlpSpec = """
        { "name": "mlp", "input_shape": [1, 28, 28], "classes": 10, "normalize": { "mean": [0.286], "std": [0.353] },
          "layers": [ { "type": "Flatten" }, { "type": "Linear", "in_features": 784, "out_features": 32 }, { "type": "Tanh" },
                      { "type": "Linear", "in_features": 32, "out_features": 10 } ] }
        """;

    /// <summary>Batch 100 with 3 ranks gives parts of 33, 33 and 34: the weighting of unequal parts is exercised.</summary>
    public static TrainingSettings Settings(int epochs) =>
        new() { Epochs = epochs, BatchSize = 100, Optimizer = "sgd", LearningRate = 0.05f, Momentum = 0.9f, Schedule = "cosine", Seed = 7 };

    /// <summary>Sums and broadcasts of rank-dependent values, and a sum of doubles beyond float's exact range.</summary>
    public static void Collectives(ICommunicator comm)
    {
        var values = new float[1000];
        for (int i = 0; i < values.Length; i++) values[i] = comm.Rank + i;
        comm.AllReduceSum(values);
        int n = comm.Size;
        for (int i = 0; i < values.Length; i++)
            Check.That(values[i] == n * (n - 1) / 2 + n * i, $"all-reduce element {i}: {values[i]}, expected {n * (n - 1) / 2 + n * i}");
        var big = new double[] { 1e15 + comm.Rank };
        comm.AllReduceSum(big);
        Check.That(big[0] == n * 1e15 + n * (n - 1) / 2, $"double all-reduce: {big[0]}");
        var b = new float[] { comm.Rank == n - 1 ? 42 : -1, comm.Rank == n - 1 ? 43 : -1 };
        comm.Broadcast(b, root: n - 1);
        Check.That(b[0] == 42 && b[1] == 43, $"broadcast from rank {n - 1}: [{b[0]}, {b[1]}]");
        comm.Barrier();
    }

    /// <summary>
    /// A transcriber's error rates over all ranks are the corpus's: edits and reference lengths add, so rank r's
    /// transcripts (r + 2 character edits in 10·(r + 1) + 6 characters, 2 word edits in 4 words) give Σ edits / Σ
    /// characters on every rank, not a mean of the ranks' rates.
    /// </summary>
    public static string ErrorRatesAddAcrossRanks(ICommunicator comm)
    {
        Module model;
        lock (BuildLock) model = new Linear(2, 2);
        var parallel = DataParallel.Attach(new Trainer(model, new Loom.Optim.Sgd(model.Parameters(), 0.1f)), comm, new DataParallelOptions { ReseedPerRank = false });
        var rates = new Loom.Speech.ErrorRates();
        string reference = new string('a', 10 * (comm.Rank + 1));
        rates.Add(reference + " b c d", new string('x', comm.Rank + 1) + reference[(comm.Rank + 1)..] + " b c e");
        var all = parallel.Reduce(MetricTotals.FromMeans(0.5, 0, 1, rates));
        int n = comm.Size;
        // Characters: each rank's reference holds 10·(r + 1) letters, three more letters and three spaces; edits r + 2.
        double cer = (double)(n * (n + 1) / 2 + n) / (10.0 * n * (n + 1) / 2 + 6 * n), wer = n * 2.0 / (4 * n);
        Check.That(Math.Abs(all.Cer - cer) < 1e-12 && Math.Abs(all.Wer - wer) < 1e-12 && all.Samples == n,
            $"rank {comm.Rank}: CER {all.Cer:G6}, WER {all.Wer:G6} over {all.Samples} utterances; expected {cer:G6}, {wer:G6} over {n}");
        return $"CER {all.Cer:P2}, WER {all.Wer:P2} over {n} ranks' transcripts";
    }

    /// <summary>
    /// Every sample of every epoch is read by exactly one rank, within the batch it belongs to, for a shuffled loader
    /// with a short last batch (103 samples, batch 10, so 3 in the last: fewer than 4 ranks leaves one empty).
    /// </summary>
    public static void ShardsAreDisjointAndComplete(ICommunicator comm)
    {
        const int n = 103, batch = 10;
        var features = new float[n];
        for (int i = 0; i < n; i++) features[i] = i; // a sample's value is its index
        var data = new TensorDataset(new Tensor(features, [n, 1]), new Tensor(new float[n], [n]), classCount: 1);
        var loader = new DataLoader(data, batch, shuffle: true, seed: 11, reuseBuffers: true);
        var whole = new DataLoader(data, batch, shuffle: true, seed: 11);
        loader.SetShard(comm.Rank, comm.Size);
        Check.That(loader.BatchCount == whole.BatchCount, "a shard changed the number of batches");
        for (int epoch = 0; epoch < 2; epoch++)
        {
            // seen[b * n + i] counts how often sample i was read in batch b, over all ranks.
            var seen = new float[whole.BatchCount * n];
            int b = 0;
            foreach (var part in loader.Batches(epoch))
            {
                foreach (float v in part.Inputs.Data) seen[b * n + (int)v]++;
                b++;
            }
            comm.AllReduceSum(seen);
            b = 0;
            foreach (var full in whole.Batches(epoch))
            {
                var expected = new float[n];
                foreach (float v in full.Inputs.Data) expected[(int)v] = 1;
                for (int i = 0; i < n; i++)
                    Check.That(seen[b * n + i] == expected[i], $"epoch {epoch}, batch {b}: sample {i} read {seen[b * n + i]} times by the ranks, {expected[i]} by one loader");
                b++;
            }
        }
    }

    /// <summary>Ranks with global batch B end k steps with the weights one process reaches with batch B, the same on every rank to the bit.</summary>
    public static float SameWeightsAsOneProcess(ICommunicator comm, string folder, int epochs = 2)
    {
        string spec = SpecFile(folder, comm.Rank);
        Recipe reference, replica;
        lock (BuildLock) reference = Recipe.For(spec, "fashion-mnist-mini", Settings(epochs));
        reference.Fit();
        lock (BuildLock) replica = Recipe.For(spec, "fashion-mnist-mini", Settings(epochs));
        var parallel = DataParallel.Attach(replica, comm, new DataParallelOptions { ReseedPerRank = false });
        var result = parallel.Fit(replica);
        Check.That(result.History.Count == epochs, $"{result.History.Count} epochs trained, {epochs} asked");
        float worst = MaxDifference(reference.Model, replica.Model);
        Check.That(worst <= WeightTolerance, $"rank {comm.Rank}: weights differ from one process by up to {worst:G3} (tolerance {WeightTolerance:G3})");
        SameOnEveryRank(comm, replica.Model);
        // Figures are of the whole batch, so they match one process's closely (its loss is summed in another order).
        var (one, many) = (reference.History[^1], result.History[^1]);
        Check.That(Math.Abs(one.TrainLoss - many.TrainLoss) < 1e-3, $"training loss {many.TrainLoss} against one process's {one.TrainLoss}");
        Check.That(Math.Abs(one.ValidationAccuracy - many.ValidationAccuracy) <= 2e-3, $"test accuracy {many.ValidationAccuracy} against one process's {one.ValidationAccuracy}");
        return worst;
    }

    /// <summary>
    /// A checkpoint written by a run of one rank after epoch 1 is resumed by all ranks of <paramref name="comm"/> and
    /// ends (epoch 3) where one uninterrupted process ends.
    /// </summary>
    public static float ResumeAtAnotherWorldSize(ICommunicator comm, string folder)
    {
        string spec = SpecFile(folder, comm.Rank), checkpoint = Path.Combine(folder, "mlp.ckpt.safetensors");
        Recipe reference;
        lock (BuildLock) reference = Recipe.For(spec, "fashion-mnist-mini", Settings(3));
        reference.Fit();
        if (comm.Rank == 0)
            InProcessCommunicator.Run(1, alone =>
            {
                Recipe first;
                lock (BuildLock) first = Recipe.For(spec, "fashion-mnist-mini", Settings(3));
                first.Trainer.EpochEnded += _ => first.Trainer.StopRequested = true;
                return DataParallel.Attach(first, alone, new DataParallelOptions { ReseedPerRank = false }).Fit(first, checkpoint);
            });
        comm.Barrier(); // the checkpoint is complete before anyone reads it
        Recipe resumed;
        lock (BuildLock) resumed = Recipe.Resume(ModelFile.Load(checkpoint), "fashion-mnist-mini", Settings(3));
        var result = DataParallel.Attach(resumed, comm, new DataParallelOptions { ReseedPerRank = false }).Fit(resumed, checkpoint);
        Check.That(string.Join(",", result.History.Select(e => e.Epoch)) == "1,2,3", $"epochs after resuming: {string.Join(",", result.History.Select(e => e.Epoch))}");
        float worst = MaxDifference(reference.Model, resumed.Model);
        Check.That(worst <= WeightTolerance, $"rank {comm.Rank}: resumed at world size {comm.Size}, weights differ from one uninterrupted process by up to {worst:G3}");
        SameOnEveryRank(comm, resumed.Model);
        comm.Barrier(); // rank 0 has written its last checkpoint before anyone reads it
        Check.That(ModelFile.Load(checkpoint).Training!.CompletedEpochs == 3, "the last checkpoint is not of epoch 3");
        comm.Barrier();
        return worst;
    }

    /// <summary>A rank whose model differs stops every rank with the same message, before any gradient is exchanged.</summary>
    public static string MismatchedModelIsNamed(ICommunicator comm, string folder)
    {
        string spec = SpecFile(folder, comm.Rank, hidden: comm.Rank == comm.Size - 1 ? 33 : 32);
        Recipe run;
        lock (BuildLock) run = Recipe.For(spec, "fashion-mnist-mini", Settings(1));
        try { DataParallel.Attach(run, comm); }
        catch (DataParallelException e)
        {
            Check.That(e.Message.Contains($"rank {comm.Size - 1} ("), $"the message does not name the rank: {e.Message}");
            return e.Message;
        }
        throw new CheckFailedException($"rank {comm.Rank}: a model that differs on rank {comm.Size - 1} was not detected");
    }

    private static string SpecFile(string folder, int rank, int hidden = 32)
    {
        string path = Path.Combine(folder, $"mlp-{rank}.json");
        File.WriteAllText(path, MlpSpec.Replace("32", hidden.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return path;
    }

    private static float MaxDifference(Module a, Module b)
    {
        float worst = 0;
        foreach (var ((_, x), (_, y)) in a.StateDict().Zip(b.StateDict()))
            for (int i = 0; i < x.Size; i++) worst = Math.Max(worst, Math.Abs(x.Data[i] - y.Data[i]));
        return worst;
    }

    /// <summary>Replicas must not drift apart: rank 0's weights are broadcast and compared bit for bit.</summary>
    private static void SameOnEveryRank(ICommunicator comm, Module model)
    {
        var mine = model.StateDict().SelectMany(p => p.Value.Data).ToArray();
        var root = (float[])mine.Clone();
        comm.Broadcast(root, root: 0);
        var differs = new float[] { mine.AsSpan().SequenceEqual(root) ? 0 : 1 };
        comm.AllReduceSum(differs);
        Check.That(differs[0] == 0, $"{differs[0]} rank(s) ended with weights that differ from rank 0's");
    }
}

public sealed class CheckFailedException(string message) : Exception(message);

internal static class Check
{
    public static void That(bool condition, string message)
    {
        if (!condition) throw new CheckFailedException(message);
    }
}
