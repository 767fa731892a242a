using Xunit;
using Loom.Distributed.Checks;

namespace Loom.Distributed.Tests;

/// <summary>
/// The data-parallel scenarios with ranks as threads (<see cref="InProcessCommunicator"/>); CI runs the same ones
/// over Open MPI with two processes (.ci/run). The recipes share the global thread setting, which stays as it is.
/// </summary>
public sealed class DataParallelTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("loom-dp-").FullName;

    public void Dispose() { try { Directory.Delete(_folder, true); } catch (IOException) { } }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void CollectivesSumAndBroadcastExactly(int ranks) => InProcessCommunicator.Run(ranks, c => { Scenarios.Collectives(c); return 0; });

    [Theory]
    [InlineData(2)]
    [InlineData(4)] // the last batch of 3 samples leaves rank 3 an empty part
    public void ShardsAreDisjointAndComplete(int ranks) => InProcessCommunicator.Run(ranks, c => { Scenarios.ShardsAreDisjointAndComplete(c); return 0; });

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void ErrorRatesAreTheWholeCorpusesOnEveryRank(int ranks) => InProcessCommunicator.Run(ranks, Scenarios.ErrorRatesAddAcrossRanks);

    [Theory]
    [InlineData(2)]
    [InlineData(3)] // parts of 33, 33 and 34 of every batch of 100
    public void RanksWithGlobalBatchBEndWithOneProcesssWeights(int ranks)
    {
        var worst = InProcessCommunicator.Run(ranks, c => Scenarios.SameWeightsAsOneProcess(c, _folder));
        Assert.All(worst, w => Assert.InRange(w, 0f, Scenarios.WeightTolerance));
    }

    [Fact]
    public void ACheckpointOfOneRankResumesOnThreeAndEndsWhereOneProcessEnds() =>
        InProcessCommunicator.Run(3, c => Scenarios.ResumeAtAnotherWorldSize(c, _folder));

    [Fact]
    public void AModelThatDiffersOnOneRankStopsEveryRankWithOneMessage()
    {
        var messages = InProcessCommunicator.Run(2, c => Scenarios.MismatchedModelIsNamed(c, _folder));
        Assert.Equal(messages[0], messages[1]);
        Assert.Contains("rank 1 (", messages[0]);
    }

    [Fact]
    public void AFailingRankEndsTheOthersWaitInsteadOfHanging()
    {
        var e = Assert.Throws<AggregateException>(() => InProcessCommunicator.Run(2, c =>
        {
            if (c.Rank == 1) throw new InvalidOperationException("boom");
            c.Barrier();
            return 0;
        }));
        Assert.Contains("Rank 1 failed: boom", e.Message);
    }
}
