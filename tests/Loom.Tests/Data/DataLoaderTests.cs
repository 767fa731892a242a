using Loom.Data;
using Xunit;

namespace Loom.Tests.Data;

public sealed class DataLoaderTests
{
    // Numbered samples start with 10·index, which identifies them inside a batch.
    private static List<int> Indices(IEnumerable<Batch> batches)
    {
        var seen = new List<int>();
        foreach (var batch in batches)
            for (int i = 0; i < batch.Count; i++) seen.Add((int)(batch.Inputs.Data[i * 6] / 10));
        return seen;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void EveryEpochCoversEverySampleOnce(int prefetch)
    {
        var ds = TensorDatasetTests.Numbered(23);
        var loader = new DataLoader(ds, batchSize: 5, shuffle: true, seed: 42, prefetch: prefetch);
        Assert.Equal(5, loader.BatchCount);

        for (int epoch = 0; epoch < 3; epoch++)
        {
            var sizes = new List<int>();
            var seen = new List<int>();
            foreach (var batch in loader)
            {
                sizes.Add(batch.Count);
                Assert.Equal([batch.Count, 2, 3], batch.Inputs.Shape);
                Assert.Equal([batch.Count], batch.Targets.Shape);
                for (int i = 0; i < batch.Count; i++)
                {
                    int index = (int)(batch.Inputs.Data[i * 6] / 10);
                    Assert.Equal(10 * index + 5, batch.Inputs.Data[i * 6 + 5]);
                    Assert.Equal(index % 3, batch.Targets.Data[i]);
                    seen.Add(index);
                }
            }
            Assert.Equal([5, 5, 5, 5, 3], sizes);
            Assert.Equal(Enumerable.Range(0, 23), seen.Order());
            Assert.NotEqual(Enumerable.Range(0, 23), seen);
        }
        Assert.Equal(3, loader.Epoch);
    }

    [Fact]
    public void WithoutShuffleKeepsIndexOrder()
    {
        var loader = new DataLoader(TensorDatasetTests.Numbered(7), batchSize: 3);
        Assert.Equal(Enumerable.Range(0, 7), Indices(loader));
        Assert.Equal(Enumerable.Range(0, 7), Indices(loader));
    }

    [Fact]
    public void SameSeedSameOrderDifferentEpochDifferentOrder()
    {
        var ds = TensorDatasetTests.Numbered(50);
        var a = new DataLoader(ds, 8, shuffle: true, seed: 7);
        var b = new DataLoader(ds, 8, shuffle: true, seed: 7);
        var c = new DataLoader(ds, 8, shuffle: true, seed: 8);

        var a0 = Indices(a);
        var a1 = Indices(a);
        Assert.Equal(a0, Indices(b));
        Assert.Equal(a1, Indices(b));
        Assert.NotEqual(a0, a1);
        Assert.NotEqual(a0, Indices(c));
        Assert.Equal(a0, a.Order(0));
        Assert.Equal(a0, Indices(a.Batches(0)));
    }

    [Fact]
    public void ResumingAtAnEpochReproducesIt()
    {
        var ds = TensorDatasetTests.Numbered(40);
        var transforms = new ITransform[] { new RandomHorizontalFlip(), new RandomCrop(2, 3, padding: 1) };
        var full = new DataLoader(ds, 16, shuffle: true, seed: 3, transforms: transforms);
        var epochs = new List<float[]>();
        for (int e = 0; e < 4; e++) epochs.Add(Flatten(full));

        var resumed = new DataLoader(ds, 16, shuffle: true, seed: 3, transforms: transforms) { Epoch = 2 };
        Assert.Equal(epochs[2], Flatten(resumed));
        Assert.Equal(epochs[3], Flatten(resumed));
        Assert.NotEqual(epochs[2], epochs[3]);
    }

    private static float[] Flatten(IEnumerable<Batch> batches)
    {
        var all = new List<float>();
        foreach (var batch in batches) { all.AddRange(batch.Inputs.Data); all.AddRange(batch.Targets.Data); }
        return [.. all];
    }

    [Fact]
    public void AugmentationIsDeterministicWithOrWithoutPrefetch()
    {
        var ds = TensorDatasetTests.Numbered(30);
        var flip = new[] { new RandomHorizontalFlip() };
        var sync = Flatten(new DataLoader(ds, 4, shuffle: true, seed: 9, transforms: flip, prefetch: 0));
        var prefetched = Flatten(new DataLoader(ds, 4, shuffle: true, seed: 9, transforms: flip, prefetch: 2));
        var plain = Flatten(new DataLoader(ds, 4, shuffle: true, seed: 9, prefetch: 2));
        Assert.Equal(sync, prefetched);
        Assert.NotEqual(plain, prefetched);
    }

    [Fact]
    public void DropLast()
    {
        var ds = TensorDatasetTests.Numbered(10);
        var keep = new DataLoader(ds, 4);
        var drop = new DataLoader(ds, 4, dropLast: true);
        Assert.Equal(3, keep.BatchCount);
        Assert.Equal(2, drop.BatchCount);
        Assert.Equal([4, 4, 2], keep.Select(b => b.Count));
        Assert.Equal([4, 4], drop.Select(b => b.Count));
        Assert.Empty(new DataLoader(ds, 11, dropLast: true));
        Assert.Equal(Enumerable.Range(0, 8), Indices(drop));
    }

    [Fact]
    public void ReusedBuffersGiveTheSameBatches()
    {
        var ds = TensorDatasetTests.Numbered(50);
        var fresh = Flatten(new DataLoader(ds, 8, shuffle: true, seed: 1));
        var reused = new List<float>();
        foreach (var batch in new DataLoader(ds, 8, shuffle: true, seed: 1, reuseBuffers: true))
        {
            reused.AddRange(batch.Inputs.Data);
            reused.AddRange(batch.Targets.Data);
        }
        Assert.Equal(fresh, reused);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void AReusedBatchKeptPastTheNextBatchThrows(int prefetch)
    {
        var ds = TensorDatasetTests.Numbered(50);
        using var batches = new DataLoader(ds, 8, prefetch: prefetch, reuseBuffers: true).GetEnumerator();
        Assert.True(batches.MoveNext());
        var first = batches.Current;
        var copy = first.Inputs.Clone();
        Assert.Equal(0f, first.Inputs.Data[0]); // valid until the next batch
        Assert.True(batches.MoveNext());
        var ex = Assert.Throws<InvalidOperationException>(() => first.Inputs.Data);
        Assert.Contains("DataLoader", ex.Message);
        Assert.Contains("Clone()", ex.Message);
        Assert.Throws<InvalidOperationException>(() => first.Targets.Data);
        Assert.Equal(0f, copy.Data[0]);
        Assert.Equal(80f, batches.Current.Inputs.Data[0]);
        // The short last batch has storage of its own; the one before it ends when it arrives, and it is never taken back.
        Batch last = default;
        while (batches.MoveNext()) last = batches.Current;
        Assert.Equal(2, last.Count);
        Assert.Equal(480f, last.Inputs.Data[0]);
    }

    /// <summary>Numbered samples that fail on one index and count reads.</summary>
    private sealed class FailingDataset(int count, int failAt) : IDataset
    {
        private readonly TensorDataset _inner = TensorDatasetTests.Numbered(count);
        public int Reads;
        public int Count => _inner.Count;
        public int[] SampleShape => _inner.SampleShape;
        public int ClassCount => _inner.ClassCount;

        public void Get(int index, Span<float> features, Span<float> target)
        {
            Interlocked.Increment(ref Reads);
            if (index == failAt) throw new InvalidDataException($"sample {index} is broken");
            _inner.Get(index, features, target);
        }
    }

    [Fact]
    public void PrefetchSurfacesProducerExceptionsAfterEarlierBatches()
    {
        var loader = new DataLoader(new FailingDataset(20, failAt: 12), batchSize: 4, prefetch: 2);
        var delivered = new List<int>();
        var ex = Assert.Throws<InvalidDataException>(() =>
        {
            foreach (var batch in loader) delivered.Add(batch.Count);
        });
        Assert.Equal("sample 12 is broken", ex.Message);
        Assert.Equal([4, 4, 4], delivered);
        Assert.Contains(nameof(FailingDataset), ex.StackTrace);
    }

    [Fact]
    public void AbandoningEnumerationStopsTheProducer()
    {
        var ds = new FailingDataset(10_000, failAt: -1);
        var loader = new DataLoader(ds, batchSize: 10, prefetch: 2);
        foreach (var _ in loader) break;

        // Dispose waited for the producer: it assembled at most the consumed batch, two queued and one
        // in hand, and reads nothing more.
        int reads = Volatile.Read(ref ds.Reads);
        Assert.InRange(reads, 10, 40);
        Thread.Sleep(50);
        Assert.Equal(reads, Volatile.Read(ref ds.Reads));

        using var enumerator = loader.GetEnumerator();
        Assert.True(enumerator.MoveNext());
        enumerator.Dispose();
        Assert.Throws<ObjectDisposedException>(() => enumerator.MoveNext());
    }

    [Fact]
    public void RejectsBadArguments()
    {
        var ds = TensorDatasetTests.Numbered(3);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(ds, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(ds, 1, prefetch: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(ds, 1).Epoch = -1);
    }
}
