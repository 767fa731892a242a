using System.Diagnostics;
using System.Numerics.Tensors;
using Loom.Data;
using Loom.Nn;
using Loom.Recipes;
using Loom.Training;

namespace Loom.Distributed;

/// <summary>Settings of a data-parallel run.</summary>
public sealed record DataParallelOptions
{
    /// <summary>
    /// Largest gradient bucket, in megabytes: gradients travel in as few all-reduces as fit (PyTorch DDP's bucket_cap_mb
    /// is 25), since each call costs a latency and large messages run at the link's bandwidth.
    /// </summary>
    public double BucketMegabytes { get; init; } = 25;

    /// <summary>
    /// Whether ranks other than 0 reseed the global generator (dropout) from its state and their rank. Without it every
    /// rank would draw the same dropout masks for different samples. Off only where ranks share one process (threads),
    /// and so one generator.
    /// </summary>
    public bool ReseedPerRank { get; init; } = true;
}

/// <summary>An error every rank detects alike (a model that differs between ranks), so every rank can stop cleanly with one message.</summary>
public sealed class DataParallelException(string message) : Exception(message);

/// <summary>
/// Data-parallel training over an <see cref="ICommunicator"/>, as PyTorch's DistributedDataParallel: every rank holds
/// the model, rank 0's initial weights are broadcast to all, each rank's loaders yield its part of every batch
/// (<see cref="DataLoader.SetShard"/>), and after every backward pass the gradients are averaged over the whole batch
/// by all-reduces of a few large buckets, so every rank's optimizer takes the same step from the same gradients.
/// Training and evaluation figures are summed over ranks. BatchNorm normalises with each rank's own batch statistics
/// (DDP's default) and rank 0's running statistics are broadcast before every evaluation (DDP's broadcast_buffers).
/// <code>
/// using var comm = MpiCommunicator.Initialize();
/// var run = Recipe.For("lenet", "fashion-mnist", settings);
/// var parallel = DataParallel.Attach(run, comm);
/// parallel.Fit("lenet.ckpt.safetensors");   // rank 0 writes the checkpoint
/// </code>
/// </summary>
public sealed class DataParallel : IReplicaSync
{
    private readonly ICommunicator _comm;
    private readonly Parameter[] _parameters;
    private readonly Tensor[] _buffers;
    private readonly Bucket[] _buckets;
    private readonly Stopwatch _reduceClock = new();
    private readonly double[] _totals = new double[7]; // loss sum, right predictions, samples; character and word edits and reference lengths

    private DataParallel(ICommunicator comm, Module model, DataParallelOptions options)
    {
        _comm = comm;
        _parameters = [.. model.Parameters()];
        _buffers = [.. model.NamedBuffers().Select(b => b.Buffer)];
        _buckets = Plan(_parameters, options.BucketMegabytes);
    }

    /// <summary>The communicator's rank: only rank 0 should print, and write files.</summary>
    public int Rank => _comm.Rank;
    public int WorldSize => _comm.Size;

    /// <summary>Gradient buckets, in the order they are reduced.</summary>
    public int BucketCount => _buckets.Length;

    /// <summary>Time spent in the gradient all-reduces so far (waiting for slower ranks included).</summary>
    public TimeSpan AllReduceTime => _reduceClock.Elapsed;

    /// <summary>Gradient steps exchanged so far.</summary>
    public long Steps { get; private set; }

    /// <summary>Bytes this rank sends into the all-reduces per step (its gradient buckets).</summary>
    public long BytesPerStep => _buckets.Sum(b => (long)b.Values.Length * sizeof(float));

    /// <summary>
    /// Makes <paramref name="recipe"/> one rank of a data-parallel run: checks that every rank built the same model on
    /// the same data, broadcasts rank 0's weights, shards the loaders and hooks into the trainer. Call it on every rank
    /// after building the recipe (a resumed one too, at any world size) and before training.
    /// </summary>
    /// <exception cref="DataParallelException">The ranks' models or data differ (on every rank alike).</exception>
    public static DataParallel Attach(Recipe recipe, ICommunicator comm, DataParallelOptions? options = null) =>
        Attach(recipe.Trainer, comm, options, [recipe.TrainLoader, recipe.TestLoader, .. recipe.ValidationLoader is { } v ? [v] : Array.Empty<DataLoader>()]);

    /// <summary>
    /// As <see cref="Attach(Recipe, ICommunicator, DataParallelOptions?)"/> for a trainer of one's own:
    /// <paramref name="loaders"/> are sharded (the training loader and those it evaluates on).
    /// </summary>
    public static DataParallel Attach(Trainer trainer, ICommunicator comm, DataParallelOptions? options, params DataLoader[] loaders)
    {
        options ??= new DataParallelOptions();
        var model = trainer.Model;
        CheckSame(comm, model, loaders);
        var parallel = new DataParallel(comm, model, options);
        parallel.BroadcastState();
        foreach (var loader in loaders) loader.SetShard(comm.Rank, comm.Size);
        if (options.ReseedPerRank && comm.Rank > 0)
        {
            var state = Rng.Default.GetState();
            Rng.ManualSeed(((ulong)state[0] << 32 | state[1]) ^ (0x9E3779B97F4A7C15UL * (ulong)comm.Rank));
        }
        trainer.Replicas = parallel;
        return parallel;
    }

    /// <summary>
    /// <see cref="Recipe.Fit"/> on every rank, the checkpoint written by rank 0 alone (atomically, as every Loom file);
    /// it holds no trace of the world size, so it resumes at any.
    /// </summary>
    public RecipeResult Fit(Recipe recipe, string? checkpointPath = null, IEnumerable<ICallback>? callbacks = null, CancellationToken cancel = default) =>
        recipe.Fit(Rank == 0 ? checkpointPath : null, callbacks, cancel);

    /// <summary>Rank 0's parameters and buffers, copied to every rank in one broadcast.</summary>
    public void BroadcastState()
    {
        var all = _parameters.Cast<Tensor>().Concat(_buffers).ToArray();
        var flat = new float[all.Sum(t => t.Size)];
        int at = 0;
        foreach (var t in all) { t.Data.CopyTo(flat.AsSpan(at)); at += t.Size; }
        _comm.Broadcast(flat, root: 0);
        at = 0;
        foreach (var t in all) { flat.AsSpan(at, t.Size).CopyTo(t.Data); at += t.Size; }
    }

    /// <summary>
    /// Each rank's gradient is of its mean loss over its c valid targets; the batch's is Σ c·g / Σ c. So each rank sends
    /// c·g with c itself (and which parameters have a gradient at all) in the first bucket, and divides by the sum.
    /// </summary>
    public void GradientsReady(Module model, Batch batch)
    {
        float weight = batch.Count == 0 ? 0 : CountValid(batch.Targets);
        float total = 0;
        for (int k = 0; k < _buckets.Length; k++)
        {
            var bucket = _buckets[k];
            var values = bucket.Values.AsSpan();
            if (k == 0)
            {
                values[0] = weight;
                for (int i = 0; i < _parameters.Length; i++) values[1 + i] = _parameters[i].Grad is null ? 0 : 1;
            }
            foreach (var (index, offset) in bucket.Members)
            {
                var p = _parameters[index];
                var dest = values.Slice(offset, p.Size);
                if (p.Grad is { } g) TensorPrimitives.Multiply(g.Data, weight, dest);
                else dest.Clear();
            }
            _reduceClock.Start();
            _comm.AllReduceSum(values);
            _reduceClock.Stop();
            if (k == 0) total = values[0];
            float scale = total > 0 ? 1f / total : 0f;
            foreach (var (index, offset) in bucket.Members)
            {
                var p = _parameters[index];
                if (_buckets[0].Values[1 + index] == 0) continue; // no rank's loss reached it: it keeps no gradient, as in one process
                p.Grad ??= new Tensor(new float[p.Size], p.Shape);
                TensorPrimitives.Multiply(values.Slice(offset, p.Size), scale, p.Grad.Data);
            }
        }
        Steps++;
    }

    /// <summary>DDP's broadcast_buffers: the model evaluated (and checkpointed) is rank 0's, whose statistics every rank then continues from.</summary>
    public void BeforeEvaluate(Module model)
    {
        if (_buffers.Length == 0) return;
        var flat = new float[_buffers.Sum(b => b.Size)];
        int at = 0;
        foreach (var b in _buffers) { b.Data.CopyTo(flat.AsSpan(at)); at += b.Size; }
        _comm.Broadcast(flat, root: 0);
        at = 0;
        foreach (var b in _buffers) { flat.AsSpan(at, b.Size).CopyTo(b.Data); at += b.Size; }
    }

    public MetricTotals Reduce(MetricTotals local)
    {
        (_totals[0], _totals[1], _totals[2]) = (local.LossSum, local.Correct, local.Samples);
        (_totals[3], _totals[4], _totals[5], _totals[6]) = (local.CharacterEdits, local.ReferenceCharacters, local.WordEdits, local.ReferenceWords);
        _comm.AllReduceSum(_totals);
        return new MetricTotals(_totals[0], _totals[1], _totals[2])
        {
            CharacterEdits = _totals[3], ReferenceCharacters = _totals[4], WordEdits = _totals[5], ReferenceWords = _totals[6],
        };
    }

    private static float CountValid(Tensor targets)
    {
        int n = 0;
        foreach (float t in targets.Data) if (t != IDataset.IgnoreTarget) n++;
        return n;
    }

    private sealed record Bucket(float[] Values, (int Index, int Offset)[] Members);

    /// <summary>Consecutive parameters fill buckets of up to the cap (a larger parameter gets one of its own); bucket 0 starts with the header.</summary>
    private static Bucket[] Plan(Parameter[] parameters, double megabytes)
    {
        long cap = Math.Max(1, (long)(megabytes * (1 << 20) / sizeof(float)));
        var buckets = new List<Bucket>();
        var members = new List<(int, int)>();
        int size = 1 + parameters.Length; // header: the weight c, then one has-a-gradient flag per parameter
        for (int i = 0; i < parameters.Length; i++)
        {
            if (members.Count > 0 && size + (long)parameters[i].Size > cap)
            {
                buckets.Add(new Bucket(new float[size], [.. members]));
                (members, size) = ([], 0);
            }
            members.Add((i, size));
            size += parameters[i].Size;
        }
        buckets.Add(new Bucket(new float[size], [.. members]));
        return [.. buckets];
    }

    /// <summary>
    /// Every rank must hold the same model (names and shapes of parameters and buffers) and the same data (sample and
    /// batch counts), or the all-reduces would mix unrelated numbers or wait forever for a call that never comes. Rank
    /// 0's fingerprint is broadcast and each rank's verdict summed, so every rank learns which ranks differ.
    /// </summary>
    private static void CheckSame(ICommunicator comm, Module model, DataLoader[] loaders)
    {
        var description = string.Join(";", model.NamedParameters().Select(p => $"{p.Name}{ShapeText(p.Parameter.Shape)}")
            .Concat(model.NamedBuffers().Select(b => $"{b.Name}{ShapeText(b.Buffer.Shape)}"))
            .Concat(loaders.Select(l => $"data:{l.Dataset.Count}x{l.BatchSize}")));
        ulong hash = 14695981039346656037UL; // FNV-1a
        foreach (char ch in description) { hash ^= ch; hash *= 1099511628211UL; }
        long parameters = model.ParameterCount();
        // 16-bit pieces are exact in float.
        float[] Print() => [(ushort)hash, (ushort)(hash >> 16), (ushort)(hash >> 32), (ushort)(hash >> 48), (ushort)parameters, (ushort)(parameters >> 16), (ushort)(parameters >> 32)];
        var mine = Print();
        var root = Print();
        comm.Broadcast(root, root: 0);
        var verdicts = new float[comm.Size * 2];
        verdicts[2 * comm.Rank] = mine.AsSpan().SequenceEqual(root) ? 0 : 1;
        verdicts[2 * comm.Rank + 1] = parameters;
        comm.AllReduceSum(verdicts);
        var differing = Enumerable.Range(0, comm.Size).Where(r => verdicts[2 * r] != 0).ToArray();
        if (differing.Length == 0) return;
        var which = string.Join(", ", differing.Select(r => $"rank {r} ({verdicts[2 * r + 1]:N0} parameters)"));
        throw new DataParallelException($"The ranks built different models or data: {which} differ from rank 0 ({verdicts[1]:N0} parameters). " +
            "Every rank must be given the same --model, spec, data and batch size.");
    }

    private static string ShapeText(int[] shape) => "(" + string.Join(",", shape) + ")";
}
