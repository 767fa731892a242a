using Loom.Nn;
using Loom.Tests.GradCheck;
using Xunit;

namespace Loom.Tests.Sequence;

/// <summary>
/// Recurrent layers inside a <see cref="Sequential"/>: lengths found from the embedding's padding, final
/// states instead of sequences, pooling over valid steps — padding must change nothing.
/// </summary>
public class SequenceLayerTests
{
    private static Sequential Classifier(RecurrentLayer rnn, Module head)
    {
        rnn.ReturnSequences = head is SequencePool;
        return new Sequential(new Embedding(10, 4, paddingIdx: 0), rnn, head);
    }

    public static TheoryData<string> Heads => new() { "last", "last-bidirectional", "max", "mean" };

    private static Sequential Build(string head)
    {
        Rng.ManualSeed(2);
        return head switch
        {
            "last" => Classifier(new Gru(4, 3, batchFirst: true), new Linear(3, 2)),
            "last-bidirectional" => Classifier(new Lstm(4, 3, numLayers: 2, batchFirst: true, bidirectional: true), new Linear(6, 2)),
            "max" => Classifier(new Gru(4, 3, batchFirst: true, bidirectional: true), new SequencePool(SequencePoolMode.Max)),
            _ => Classifier(new Rnn(4, 3, batchFirst: true), new SequencePool(SequencePoolMode.Mean)),
        };
    }

    [Theory]
    [MemberData(nameof(Heads))]
    public void PaddingAtTheEndChangesNothing(string head)
    {
        var model = Build(head);
        model.Eval();
        var alone = model.Forward(new Tensor([3, 5, 7], 1, 3));
        var padded = model.Forward(new Tensor([3, 5, 7, 0, 0, 0, 2, 4, 6, 8, 9, 1], 2, 6));
        for (int j = 0; j < alone.Size; j++) Assert.Equal(alone.Data[j], padded.Data[j], 1e-5f);
    }

    [Fact]
    public void FinalStateOfABidirectionalLayerJoinsBothDirections()
    {
        Rng.ManualSeed(4);
        var lstm = new Lstm(3, 2, numLayers: 2, batchFirst: true, bidirectional: true);
        var x = Tensor.Normal(0f, 1f, [2, 5, 3], new Rng(1));
        var (output, state) = lstm.Unroll(x);
        lstm.ReturnSequences = false;
        var final = ((Module)lstm).Forward(x);
        Assert.Equal([2, 4], final.Shape);
        for (int n = 0; n < 2; n++)
            for (int j = 0; j < 2; j++)
            {
                Assert.Equal(state.H[2, n, j], final[n, j]);        // layer 1, forward
                Assert.Equal(state.H[3, n, j], final[n, 2 + j]);    // layer 1, reverse
                Assert.Equal(output[n, 4, j], final[n, j]);         // forward direction ends at the last step
                Assert.Equal(output[n, 0, 2 + j], final[n, 2 + j]); // reverse direction ends at the first
            }
    }

    [Fact]
    public void PaddedLengthsComeFromTrailingPadding()
    {
        var tokens = new Tensor([4, 0, 2, 0, 0, 0, 0, 0, 1, 2, 3, 4], 3, 4);
        Assert.Equal([3, 1, 4], Embedding.PaddedLengths(tokens, 0)!);
        Assert.Null(Embedding.PaddedLengths(new Tensor([1, 2, 3, 4], 1, 4), 0));
    }

    [Theory]
    [InlineData(SequencePoolMode.Max)]
    [InlineData(SequencePoolMode.Mean)]
    public void SequencePoolGradients(SequencePoolMode mode)
    {
        var rng = new Rng(8);
        var x = GradChecker.Distinct(rng, 0.05f, 3, 5, 4);
        GradChecker.Check(t => Functional.SequencePool(t, [5, 2, 1], mode), x);
        GradChecker.Check(t => Functional.SequencePool(t, null, mode), x);
    }

    [Fact]
    public void SequencePoolSkipsPadding()
    {
        var x = new Tensor([1, -1, 3, 5, 9, 9, 2, 0, 9, 9, 9, 9], 2, 3, 2);
        Assert.Equal([3f, 5f, 2f, 0f], Functional.SequencePool(x, [2, 1], SequencePoolMode.Max).Data);
        Assert.Equal([2f, 2f, 2f, 0f], Functional.SequencePool(x, [2, 1], SequencePoolMode.Mean).Data);
    }

    [Fact]
    public void NarrowGradients()
    {
        var x = GradChecker.Randn(new Rng(5), 3, 4, 5);
        GradChecker.Check(t => Functional.Narrow(t, 1, 1, 2), x);
        GradChecker.Check(t => Functional.Narrow(t, 0, 2, 1), x);
        GradChecker.Check(t => Functional.Narrow(t, -1, 0, 5), x);
    }

    [Fact]
    public void NarrowRejectsARangeOutsideTheDimension()
    {
        var e = Assert.Throws<ArgumentException>(() => Functional.Narrow(Tensor.Zeros(2, 3), 1, 2, 2));
        Assert.Contains("(2, 3)", e.Message);
    }

    [Fact]
    public void PerStepLossSkipsPaddedTargets()
    {
        var logits = Tensor.Normal(0f, 1f, [2, 3, 4], new Rng(1));
        var targets = new Tensor([1, 2, -100, 3, -100, -100], 2, 3);
        var loss = global::Loom.Training.Losses.CrossEntropy(logits, targets).Item();
        var counted = Functional.CrossEntropy(new Tensor(logits.Data[..4].Concat(logits.Data[4..8]).Concat(logits.Data[12..16]).ToArray(), 3, 4),
            new Tensor([1, 2, 3], 3)).Item();
        Assert.Equal(counted, loss, 1e-5f);
        var metrics = new global::Loom.Training.RunningMetrics();
        metrics.Add(loss, logits, targets);
        Assert.Equal(3, metrics.Samples);
    }
}
