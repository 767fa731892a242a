using Xunit;

namespace Loom.Tests.Core;

/// <summary>Determinism of the random generator: same seed, same stream; ManualSeed resets the global one.</summary>
[Collection(GlobalStateCollection.Name)]
public class RngTests
{
    [Fact]
    public void SameSeedSameStream()
    {
        var a = new Rng(42);
        var b = new Rng(42);
        for (int i = 0; i < 100; i++) Assert.Equal(a.NextUInt(), b.NextUInt());
        for (int i = 0; i < 100; i++) Assert.Equal(a.NextNormal(), b.NextNormal());
        Assert.Equal(a.Permutation(50), b.Permutation(50));
        Assert.Equal(Tensor.Uniform(-1, 1, [10], a).Data, Tensor.Uniform(-1, 1, [10], b).Data);
    }

    [Fact]
    public void KeepMaskIsTheNextFloatStream()
    {
        // The branch-free comparison against ⌈p·2²⁴⌉ must agree with NextFloat() >= p for every p, the tiny and the
        // one-ulp-below-a-value ones included.
        foreach (float p in new[] { 0f, 1e-9f, 0.1f, 0.3f, 0.5f, 0.5f - 3e-8f, 0.999f, 1f })
            foreach (int n in new[] { 0, 1, 7, 5000 })
            {
                var a = new Rng(11);
                var b = new Rng(11);
                var mask = new float[n];
                a.FillKeepMask(mask, p, 2.5f);
                for (int i = 0; i < n; i++) Assert.Equal(b.NextFloat() >= p ? 2.5f : 0f, mask[i]);
                Assert.Equal(b.NextUInt(), a.NextUInt()); // and the generator moved on by exactly n values
            }
        Assert.Throws<ArgumentOutOfRangeException>(() => new Rng(1).FillKeepMask(new float[3], float.NaN, 1f));
    }

    [Fact]
    public void DifferentSeedsDiffer()
    {
        var a = new Rng(1);
        var b = new Rng(2);
        var sa = Enumerable.Range(0, 8).Select(_ => a.NextUInt()).ToArray();
        var sb = Enumerable.Range(0, 8).Select(_ => b.NextUInt()).ToArray();
        Assert.NotEqual(sa, sb);
        Assert.NotEqual(0u, new Rng(0).NextUInt() | new Rng(0).NextUInt());
    }

    [Fact]
    public void StateRoundTripsMidStream()
    {
        var a = new Rng(7);
        for (int i = 0; i < 13; i++) a.NextUInt();
        var state = a.GetState();
        var expected = Enumerable.Range(0, 20).Select(_ => a.NextUInt()).ToArray();
        var b = new Rng(999);
        b.SetState(state);
        Assert.Equal(expected, Enumerable.Range(0, 20).Select(_ => b.NextUInt()).ToArray());
        Assert.Throws<ArgumentException>(() => b.SetState([1u, 2u]));
    }

    [Fact]
    public void DistributionsLookRight()
    {
        var rng = new Rng(3);
        const int n = 20000;
        double sum = 0, sumSq = 0;
        var counts = new int[5];
        for (int i = 0; i < n; i++)
        {
            float u = rng.NextFloat();
            Assert.InRange(u, 0f, 0.99999994f);
            int k = rng.NextInt(5);
            Assert.InRange(k, 0, 4);
            counts[k]++;
            double z = rng.NextNormal();
            sum += z; sumSq += z * z;
        }
        Assert.InRange(sum / n, -0.05, 0.05);
        Assert.InRange(sumSq / n, 0.95, 1.05);
        Assert.All(counts, c => Assert.InRange(c, n / 5 - 400, n / 5 + 400));
        Assert.Equal(Enumerable.Range(0, 100), rng.Permutation(100).Order());
        Assert.Throws<ArgumentOutOfRangeException>(() => rng.NextInt(0));
    }

    [Fact]
    public void ManualSeedMakesDefaultStreamsRepeatable()
    {
        var saved = Rng.Default.GetState();
        try
        {
            Rng.ManualSeed(123);
            var first = Tensor.Normal(0, 1, [16]);
            var layer1 = new Loom.Nn.Linear(5, 3);
            var mask1 = Functional.Dropout(Tensor.Ones(32), 0.5f, training: true);

            Rng.ManualSeed(123);
            var second = Tensor.Normal(0, 1, [16]);
            var layer2 = new Loom.Nn.Linear(5, 3);
            var mask2 = Functional.Dropout(Tensor.Ones(32), 0.5f, training: true);

            Assert.Equal(first.Data, second.Data);
            Assert.Equal(layer1.Weight.Data, layer2.Weight.Data);
            Assert.Equal(layer1.Bias!.Data, layer2.Bias!.Data);
            Assert.Equal(mask1.Data, mask2.Data);

            // The default generator after ManualSeed(s) is the stream of new Rng(s).
            Rng.ManualSeed(77);
            var fresh = new Rng(77);
            for (int i = 0; i < 10; i++) Assert.Equal(fresh.NextUInt(), Rng.Default.NextUInt());
        }
        finally
        {
            Rng.ManualSeed(0);
            Rng.Default.SetState(saved);
        }
    }
}
