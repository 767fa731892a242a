using System.Collections;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;

namespace Loom.Data;

/// <summary>
/// Iterates an <see cref="IDataset"/> in mini-batches, as PyTorch's <c>DataLoader</c>: optional
/// shuffling, per-sample transforms (augmentation), dropping a short last batch, and assembly of
/// the next batches on a background task while the caller trains on the current one.
/// Each batch has Inputs (B, SampleShape…) and Targets (B, TargetShape…).
/// </summary>
/// <remarks>
/// <para>Variable-length sequences (<see cref="IVariableLengthDataset"/>): each batch carries its samples' lengths
/// (<see cref="Batch.Lengths"/>) and is trimmed to its longest sequence, and a shuffled epoch groups sequences of similar length (shuffle, sort windows of
/// <see cref="BucketBatches"/> batches by length, then shuffle the batches), as torchtext's bucket iterator.</para>
/// </remarks>
/// <remarks>
/// <para>Determinism: epoch e's order and augmentations depend only on <see cref="Seed"/> and e,
/// never on earlier epochs or on timing, so a run resumed at epoch e (set <see cref="Epoch"/>)
/// sees exactly the batches the uninterrupted run saw.</para>
/// <para>Each <c>foreach</c> over the loader runs epoch <see cref="Epoch"/> and then advances it;
/// <see cref="Batches(int)"/> runs a given epoch without touching it.</para>
/// <para>Leaving a <c>foreach</c> early disposes its enumerator, which stops the background task;
/// an exception thrown while assembling a batch is rethrown by the consumer's <c>MoveNext</c>.</para>
/// </remarks>
public sealed class DataLoader : IEnumerable<Batch>
{
    private readonly ITransform[] _transforms;
    private readonly int[] _sampleShape;
    private readonly int _sampleSize;
    private readonly int[] _targetShape;
    private readonly int _targetSize;
    private int _epoch;

    /// <summary>Batches per window sorted by length when shuffling variable-length sequences.</summary>
    public const int BucketBatches = 50;

    /// <summary>The data set the batches come from.</summary>
    public IDataset Dataset { get; }

    /// <summary>Samples per batch (the last batch may be shorter unless <see cref="DropLast"/>).</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the samples in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a last batch shorter than <see cref="BatchSize"/> is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>The seed from which every epoch's order and augmentation generator derive.</summary>
    public ulong Seed { get; }

    /// <summary>How many assembled batches may wait ahead of the consumer (0 assembles on the caller's thread).</summary>
    public int Prefetch { get; }

    /// <summary>
    /// Whether full batches are written into a small ring of reused arrays instead of new ones. Saves
    /// the garbage collector a large allocation per batch, but then a batch lives only until the next
    /// batch (the rule stated on <see cref="BufferPool"/>): do not keep batches (or views of them) across
    /// iterations; <c>Clone()</c> one you need later. With lifetime checks on, using it after that throws.
    /// </summary>
    public bool ReuseBuffers { get; }

    /// <summary>The per-sample transforms, applied in order.</summary>
    public IReadOnlyList<ITransform> Transforms => _transforms;

    /// <summary>The epoch the next <c>foreach</c> runs (0-based); set it to resume a run.</summary>
    public int Epoch
    {
        get => _epoch;
        set { ArgumentOutOfRangeException.ThrowIfNegative(value); _epoch = value; }
    }

    /// <summary>Which part of every batch this loader yields (0-based), of <see cref="ShardCount"/>; see <see cref="SetShard"/>.</summary>
    public int ShardIndex { get; private set; }

    /// <summary>How many parts every batch is cut into (1: the whole batch, the default).</summary>
    public int ShardCount { get; private set; } = 1;

    /// <summary>
    /// For data-parallel training: each of <paramref name="count"/> processes yields only its part of every batch,
    /// part <paramref name="index"/> of a contiguous split (batch b's samples [⌊n·i/k⌋, ⌊n·(i+1)/k⌋) of its n), of the
    /// same seeded order, so the parts of one batch are disjoint and together are the batch a single loader would
    /// yield; <see cref="BatchCount"/> is unchanged, so every process takes the same number of steps (a part may be
    /// empty when a last batch is shorter than <paramref name="count"/>). Rows of a language model's streams stay on
    /// one process from batch to batch. Augmentation draws from a generator of the part's own, so only the samples'
    /// selection, not their random crops and flips, matches the single loader's.
    /// </summary>
    public void SetShard(int index, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
        (ShardIndex, ShardCount) = (index, count);
    }

    /// <summary>Batches per epoch: ⌈N / BatchSize⌉, or ⌊N / BatchSize⌋ with <see cref="DropLast"/>.</summary>
    public int BatchCount => DropLast ? Dataset.Count / BatchSize : (Dataset.Count + BatchSize - 1) / BatchSize;

    /// <param name="dataset">The samples.</param>
    /// <param name="batchSize">Samples per batch, at least 1.</param>
    /// <param name="shuffle">A new random order every epoch; otherwise index order.</param>
    /// <param name="seed">Seed of shuffling and augmentation; null draws one from <see cref="Rng.Default"/>, so a global <see cref="Rng.ManualSeed"/> still makes runs repeatable.</param>
    /// <param name="dropLast">Skip a last batch shorter than <paramref name="batchSize"/>.</param>
    /// <param name="transforms">Per-sample transforms applied in order as each sample is copied into its batch.</param>
    /// <param name="prefetch">Batches assembled ahead on a background task (0 = none).</param>
    /// <param name="reuseBuffers">See <see cref="ReuseBuffers"/>.</param>
    public DataLoader(IDataset dataset, int batchSize, bool shuffle = false, ulong? seed = null, bool dropLast = false,
        IEnumerable<ITransform>? transforms = null, int prefetch = 2, bool reuseBuffers = false)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegative(prefetch);
        Dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        Prefetch = prefetch;
        ReuseBuffers = reuseBuffers;
        Seed = seed ?? (((ulong)Rng.Default.NextUInt() << 32) | Rng.Default.NextUInt());
        _transforms = transforms?.ToArray() ?? [];
        foreach (var t in _transforms) ArgumentNullException.ThrowIfNull(t, nameof(transforms));
        _sampleShape = (int[])dataset.SampleShape.Clone();
        _sampleSize = ShapeUtil.CheckedSize(_sampleShape);
        _targetShape = (int[])dataset.TargetShape.Clone();
        _targetSize = ShapeUtil.CheckedSize(_targetShape);
        if ((long)batchSize * _sampleSize > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"A batch of {batchSize} samples of shape {ShapeUtil.Format(_sampleShape)} does not fit in one array.");
    }

    /// <summary>Runs epoch <see cref="Epoch"/> and advances it, so consecutive loops see consecutive epochs.</summary>
    public IEnumerator<Batch> GetEnumerator() => Batches(_epoch++).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The batches of epoch <paramref name="epoch"/>; enumerating it twice gives the same batches.</summary>
    public IEnumerable<Batch> Batches(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        return new EpochBatches(this, epoch);
    }

    /// <summary>The sample indices of epoch <paramref name="epoch"/> in visiting order (all N, including any dropped tail).</summary>
    public int[] Order(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        int n = Dataset.Count;
        if (Shuffle)
        {
            var rng = new Rng(DeriveSeed(Seed, epoch, OrderStream));
            var shuffled = rng.Permutation(n);
            return Dataset is IVariableLengthDataset sequences ? Bucketed(shuffled, sequences, rng) : shuffled;
        }
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        return order;
    }

    /// <summary>Sorts windows of a shuffled order by length and shuffles the resulting batches (the last, short one stays last).</summary>
    private int[] Bucketed(int[] shuffled, IVariableLengthDataset sequences, Rng rng)
    {
        int window = BucketBatches * BatchSize;
        var lengths = new int[shuffled.Length];
        for (int i = 0; i < shuffled.Length; i++) lengths[i] = sequences.LengthOf(shuffled[i]);
        for (int start = 0; start < shuffled.Length; start += window)
        {
            int len = Math.Min(window, shuffled.Length - start);
            Array.Sort(lengths, shuffled, start, len);
        }
        int fullBatches = shuffled.Length / BatchSize;
        var batchOrder = rng.Permutation(fullBatches);
        var order = new int[shuffled.Length];
        for (int b = 0; b < fullBatches; b++)
            Array.Copy(shuffled, batchOrder[b] * BatchSize, order, b * BatchSize, BatchSize);
        Array.Copy(shuffled, fullBatches * BatchSize, order, fullBatches * BatchSize, shuffled.Length - fullBatches * BatchSize);
        return order;
    }

    private const ulong OrderStream = 1, AugmentStream = 2;

    /// <summary>
    /// An independent seed per (seed, epoch, purpose). Hashing rather than adding keeps the streams
    /// apart: <see cref="Rng"/> seeds by SplitMix64, whose streams for seeds s and s + γ overlap.
    /// </summary>
    internal static ulong DeriveSeed(ulong seed, int epoch, ulong stream) =>
        Mix(seed + Mix((stream << 32) | (uint)epoch));

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private sealed class EpochBatches(DataLoader loader, int epoch) : IEnumerable<Batch>
    {
        public IEnumerator<Batch> GetEnumerator()
        {
            var assembler = new BatchAssembler(loader, epoch);
            return loader.Prefetch == 0
                ? Synchronous(assembler, loader.BatchCount)
                : new PrefetchEnumerator(assembler, loader.BatchCount, loader.Prefetch);
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        private static IEnumerator<Batch> Synchronous(BatchAssembler assembler, int batches)
        {
            StorageLease? previous = null;
            for (int b = 0; b < batches; b++)
            {
                previous?.Return(); // before the next batch is written, perhaps over this one
                var batch = assembler.Assemble(b, CancellationToken.None);
                previous = LeaseOf(batch);
                yield return batch;
            }
        }
    }

    /// <summary>The lease of a batch on the reused ring (null without lifetime checks or for a batch of its own).</summary>
    private static StorageLease? LeaseOf(Batch batch) => batch.Inputs?.Lease ?? batch.Targets?.Lease;

    /// <summary>Builds the batches of one epoch, in order, from one thread at a time.</summary>
    private sealed class BatchAssembler
    {
        private readonly DataLoader _loader;
        private readonly int[] _order;
        private readonly Rng _augmentRng;
        private readonly int[] _batchShape;
        // With ReuseBuffers: batch b uses slot b % length. The ring is long enough that a slot comes
        // round again only after the consumer has moved past the batch that last used it.
        private readonly (float[] Inputs, float[] Targets)[]? _ring;

        public BatchAssembler(DataLoader loader, int epoch)
        {
            _loader = loader;
            _order = loader.Order(epoch);
            // A part of its own stream; the whole batch (one shard) keeps the stream it always had.
            ulong stream = loader.ShardCount == 1 ? AugmentStream : AugmentStream | ((ulong)(loader.ShardIndex + 1) << 8);
            _augmentRng = new Rng(DeriveSeed(loader.Seed, epoch, stream));
            _batchShape = new int[loader._sampleShape.Length + 1];
            loader._sampleShape.CopyTo(_batchShape, 1);
            if (loader.ReuseBuffers) _ring = new (float[], float[])[loader.Prefetch == 0 ? 1 : loader.Prefetch + 2];
        }

        public Batch Assemble(int b, CancellationToken cancellation)
        {
            var loader = _loader;
            int start = b * loader.BatchSize;
            int count = Math.Min(loader.BatchSize, _order.Length - start);
            bool full = count == loader.BatchSize;
            if (loader.ShardCount > 1)
            {
                int from = (int)((long)count * loader.ShardIndex / loader.ShardCount), to = (int)((long)count * (loader.ShardIndex + 1) / loader.ShardCount);
                (start, count) = (start + from, to - from);
            }
            int sampleSize = loader._sampleSize;
            int targetSize = loader._targetSize;
            var (inputs, targets) = Buffers(b, full, count, sampleSize, targetSize);
            var dataset = loader.Dataset;
            var transforms = loader._transforms;
            var sampleShape = loader._sampleShape;
            var variable = dataset as IVariableLengthDataset;
            var lengths = variable is null ? null : new int[count];
            int longest = 0;
            for (int i = 0; i < count; i++)
            {
                cancellation.ThrowIfCancellationRequested();
                int index = _order[start + i];
                var sample = inputs.AsSpan(i * sampleSize, sampleSize);
                dataset.Get(index, sample, targets.AsSpan(i * targetSize, targetSize));
                if (variable is not null)
                {
                    lengths![i] = variable.LengthOf(index);
                    longest = Math.Max(longest, lengths[i]);
                    for (int t = 0; t < transforms.Length; t++) transforms[t].Apply(sample, sampleShape, lengths[i], _augmentRng);
                }
                else for (int t = 0; t < transforms.Length; t++) transforms[t].Apply(sample, sampleShape, _augmentRng);
            }
            var batchShape = (int[])_batchShape.Clone();
            batchShape[0] = count;
            var targetShape = new int[loader._targetShape.Length + 1];
            loader._targetShape.CopyTo(targetShape, 1);
            targetShape[0] = count;
            if (variable is not null && longest < sampleShape[0])
            {
                // Rows shrink from T to the longest sequence's steps (a tensor owns its whole array, so the trimmed batch is a copy).
                int steps = sampleShape[0];
                inputs = Trim(inputs, count, sampleSize, sampleSize / steps * longest);
                batchShape[1] = longest;
                if (targetShape.Length > 1 && targetShape[1] == steps)
                {
                    targets = Trim(targets, count, targetSize, targetSize / steps * longest);
                    targetShape[1] = longest;
                }
            }
            var batch = new Batch(new Tensor(inputs, batchShape), new Tensor(targets, targetShape), lengths);
            if (BufferPool.CheckLifetimes && _ring is not null && full)
            {
                // The enumerator returns it when it hands out the next batch. A trimmed input is a copy of its own.
                var lease = StorageLease.ForBatch();
                if (ReferenceEquals(inputs, _ring[b % _ring.Length].Inputs)) batch.Inputs.Lease = lease;
                if (ReferenceEquals(targets, _ring[b % _ring.Length].Targets)) batch.Targets.Lease = lease;
            }
            return batch;
        }

        private static float[] Trim(float[] rows, int count, int oldStride, int newStride)
        {
            var trimmed = new float[count * newStride];
            for (int i = 0; i < count; i++)
                Array.Copy(rows, i * oldStride, trimmed, i * newStride, newStride);
            return trimmed;
        }

        private (float[] Inputs, float[] Targets) Buffers(int b, bool full, int count, int sampleSize, int targetSize)
        {
            // Every full batch's part has the same size, so the ring's arrays fit each of them.
            if (_ring is null || !full) return (new float[count * sampleSize], new float[count * targetSize]);
            ref var slot = ref _ring[b % _ring.Length];
            slot.Inputs ??= new float[count * sampleSize];
            slot.Targets ??= new float[count * targetSize];
            return slot;
        }
    }

    /// <summary>
    /// Consumes batches that a background task assembles into a bounded channel. The producer awaits
    /// (it does not block a thread) while the channel is full, so even an enumerator that is dropped
    /// without being disposed leaves nothing running: the waiting producer is collected with it.
    /// </summary>
    private sealed class PrefetchEnumerator : IEnumerator<Batch>
    {
        private readonly BatchAssembler _assembler;
        private readonly int _batches;
        private readonly Channel<Batch> _channel;
        private readonly CancellationTokenSource _cancel = new();
        private Task? _producer;
        private volatile Exception? _error;
        private Batch _current;
        private bool _finished, _disposed;

        public PrefetchEnumerator(BatchAssembler assembler, int batches, int capacity)
        {
            _assembler = assembler;
            _batches = batches;
            _channel = Channel.CreateBounded<Batch>(new BoundedChannelOptions(capacity)
            {
                SingleReader = true,
                SingleWriter = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
        }

        public Batch Current => _current;
        object IEnumerator.Current => _current;

        public bool MoveNext()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_finished) return false;
            // Started on first use rather than in the constructor, so an enumerator that is never
            // advanced costs nothing.
            _producer ??= Task.Run(ProduceAsync);
            var reader = _channel.Reader;
            var previous = _current;
            while (!reader.TryRead(out _current))
            {
                var wait = reader.WaitToReadAsync();
                bool more = wait.IsCompletedSuccessfully ? wait.Result : wait.AsTask().GetAwaiter().GetResult();
                if (more) continue;
                _finished = true;
                _current = default;
                if (_error is { } error) ExceptionDispatchInfo.Throw(error);
                return false;
            }
            // The rule is "until the next batch", though the ring would keep the previous one intact a while longer.
            LeaseOf(previous)?.Return();
            return true;
        }

        private async Task ProduceAsync()
        {
            var token = _cancel.Token;
            var writer = _channel.Writer;
            try
            {
                for (int b = 0; b < _batches; b++)
                {
                    var batch = _assembler.Assemble(b, token);
                    await writer.WriteAsync(batch, token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // The consumer left early; nothing to report.
            }
            catch (Exception ex)
            {
                // Published before completion, so the consumer sees it once the queued batches are drained.
                _error = ex;
            }
            finally
            {
                writer.TryComplete();
            }
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _cancel.Cancel();
            // Wait so that the data set is not read after the loop that owns it has ended. The producer
            // notices cancellation within one sample, and it catches everything, so this neither hangs
            // on a full channel nor throws.
            _producer?.GetAwaiter().GetResult();
            _cancel.Dispose();
        }

        public void Reset() => throw new NotSupportedException("Enumerate the loader again for a new pass.");
    }
}
