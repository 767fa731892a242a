using Loom.Autograd;
using Loom.Nn;
using Loom.Tests.Core;
using Xunit;

namespace Loom.Tests.Sequence;

/// <summary>
/// Containers are plain: sequence lengths reach a recurrent layer through every container (Sequential, Residual,
/// Concat), forward hooks see each layer's own output (a hooked Conv2d + ReLU pair runs unfused), and a recurrent
/// pass whose backward never runs still gives its saved buffers back to the step's pool.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public class PlainContainerTests
{
    // Two sequences of token ids, the second padded with id 0 after three tokens.
    private static readonly Tensor Tokens = new([3, 5, 7, 2, 4, 1, 6, 8, 0, 0], 2, 5);
    private static readonly int[] Lengths = [5, 3];

    [Fact]
    public void LengthsReachARecurrentLayerInsideAResidualBlock()
    {
        Rng.ManualSeed(5);
        var embedding = new Embedding(10, 4, paddingIdx: 0);
        var gru = new Gru(4, 4, batchFirst: true);
        var model = new Sequential(embedding, new Residual(gru));
        model.Eval();
        var y = model.Forward(Tokens);
        var e = embedding.Forward(Tokens);
        var expected = Functional.Add(e, gru.Unroll(e, null, Lengths).Output);
        Assert.Equal(expected.Data, y.Data);
        // Past its length the GRU gives zeros, and the padding embedding is zero: the padded steps stay zero.
        for (int t = 3; t < 5; t++)
            for (int j = 0; j < 4; j++) Assert.Equal(0f, y[1, t, j]);
    }

    [Fact]
    public void LengthsReachEveryBranchOfAConcat()
    {
        Rng.ManualSeed(6);
        var embedding = new Embedding(10, 4, paddingIdx: 0);
        var gru = new Gru(4, 3, batchFirst: true) { ReturnSequences = false };
        var model = new Sequential(embedding, new Concat(1, new Sequential(gru), new SequencePool(SequencePoolMode.Max)));
        model.Eval();
        var y = model.Forward(Tokens);
        var e = embedding.Forward(Tokens);
        var h = gru.Forward(e, Lengths);
        var pooled = Functional.SequencePool(e, Lengths, SequencePoolMode.Max);
        Assert.Equal([2, 7], y.Shape);
        for (int n = 0; n < 2; n++)
        {
            for (int j = 0; j < 3; j++) Assert.Equal(h[n, j], y[n, j]);
            for (int j = 0; j < 4; j++) Assert.Equal(pooled[n, j], y[n, 3 + j]);
        }
    }

    [Fact]
    public void AHookedLayerRunsUnfusedAndSeesItsOwnOutput()
    {
        Rng.ManualSeed(7);
        var conv = new Conv2d(1, 3, 3, padding: 1);
        var model = new Sequential(conv, new Relu(), new Flatten());
        var x = Tensor.Normal(0f, 1f, [2, 1, 5, 5], new Rng(3));
        var fused = model.Forward(x);

        Tensor? seen = null;
        int calls = 0;
        using (conv.RegisterForwardHook((m, y) => { Assert.Same(conv, m); seen = y; calls++; }))
        {
            var hooked = model.Forward(x);
            Assert.Equal(fused.Data, hooked.Data);
        }
        Assert.Equal(1, calls);
        // The convolution's own output, before the ReLU: it has negative values.
        Assert.Contains(seen!.Data, v => v < 0f);
        Assert.Equal(conv.Forward(x).Data, seen.Data);

        model.Forward(x);
        Assert.Equal(1, calls); // the handle removed the hook
        Assert.False(conv.HasForwardHooks);
    }

    [Fact]
    public void SavedRecurrentBuffersGoBackToThePoolWithoutABackwardPass()
    {
        Rng.ManualSeed(8);
        var lstm = new Lstm(4, 6, numLayers: 2, batchFirst: true, bidirectional: true);
        var x = Tensor.Normal(0f, 1f, [3, 7, 4], new Rng(4));
        var pool = new BufferPool();
        int Held()
        {
            using (pool.Scope()) lstm.Forward(x); // gradients wanted (the weights), but no backward
            return pool.HeldBuffers;
        }
        int first = Held();
        // Four directions' workspaces and the first layer's output: all back in the pool, and reused next time.
        Assert.True(first >= 5, $"{first} buffers held");
        Assert.Equal(first, Held());
        using (GradMode.NoGrad())
        using (pool.Scope()) lstm.Forward(x);
        Assert.Equal(0, pool.HeldBuffers); // without gradients nothing is saved: the scope used no pooled buffer
    }
}
