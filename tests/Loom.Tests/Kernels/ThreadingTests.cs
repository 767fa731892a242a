using Loom.Kernels;
using Loom.Tests.Core;
using Xunit;

namespace Loom.Tests.Kernels;

/// <summary>Threading.For on its worker team: every item once, errors surface, nesting and concurrent callers.</summary>
[Collection(GlobalStateCollection.Name)]
public class ThreadingTests
{
    [Theory]
    [InlineData(2, 2)]
    [InlineData(2, 1000)]
    [InlineData(3, 7)]
    [InlineData(4, 513)]
    public void EveryItemRunsExactlyOnce(int threads, int count) => KernelAssert.WithThreads(threads, () =>
    {
        for (int round = 0; round < 20; round++)
        {
            var hits = new int[count];
            Threading.For(count, i => Interlocked.Increment(ref hits[i]));
            Assert.All(hits, h => Assert.Equal(1, h));
        }
    });

    [Fact]
    public void TheFirstExceptionOfAnItemReachesTheCaller() => KernelAssert.WithThreads(2, () =>
    {
        var e = Assert.Throws<InvalidOperationException>(() =>
            Threading.For(100, i => { if (i == 37) throw new InvalidOperationException("item 37"); }));
        Assert.Equal("item 37", e.Message);
        // The team is usable afterwards.
        int sum = 0;
        Threading.For(100, i => Interlocked.Add(ref sum, i));
        Assert.Equal(4950, sum);
    });

    [Fact]
    public void ALoopInsideALoopRunsItsItemsSerially() => KernelAssert.WithThreads(2, () =>
    {
        var hits = new int[16 * 16];
        Threading.For(16, i => Threading.For(16, j => Interlocked.Increment(ref hits[i * 16 + j])));
        Assert.All(hits, h => Assert.Equal(1, h));
    });

    [Fact]
    public void LoopsFromSeveralThreadsAtOnceAllComplete() => KernelAssert.WithThreads(2, () =>
    {
        var sums = new long[4];
        var callers = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            for (int round = 0; round < 200; round++)
                Threading.For(64, i => Interlocked.Add(ref sums[t], i));
        })).ToArray();
        foreach (var c in callers) c.Start();
        foreach (var c in callers) Assert.True(c.Join(TimeSpan.FromSeconds(60)), "a caller did not finish");
        Assert.All(sums, s => Assert.Equal(200L * 64 * 63 / 2, s));
    });

    [Fact]
    public void ChangingTheThreadCountBetweenLoopsKeepsWorking()
    {
        foreach (int threads in new[] { 2, 3, 1, 2 })
            KernelAssert.WithThreads(threads, () =>
            {
                int sum = 0;
                Threading.For(50, i => Interlocked.Add(ref sum, i));
                Assert.Equal(1225, sum);
            });
    }

    [Fact]
    public void LoopsAfterAPauseWakeTheSleepingWorkers() => KernelAssert.WithThreads(2, () =>
    {
        for (int round = 0; round < 3; round++)
        {
            Thread.Sleep(5); // longer than the workers spin, so they are asleep
            var ran = new int[2];
            Threading.For(2, i => ran[i] = 1);
            Assert.Equal([1, 1], ran);
        }
    });
}
