using Loom.Nn;
using Xunit;

namespace Loom.Tests.Sequence;

/// <summary>
/// Stateful layers and truncated backpropagation through time: a stream cut into chunks, with the state
/// carried (detached) from chunk to chunk, computes the same outputs as one pass over the whole stream;
/// its gradients equal full BPTT's when one chunk covers the sequence, and otherwise equal full BPTT with
/// the graph cut at the chunk boundary.
/// </summary>
public class TruncatedBpttTests
{
    private const int N = 3, T = 8, In = 4, H = 5;

    private static Lstm NewLstm(bool stateful)
    {
        Rng.ManualSeed(7);
        return new Lstm(In, H, numLayers: 2, batchFirst: true) { Stateful = stateful };
    }

    private static Tensor Stream() => Tensor.Normal(0f, 1f, [N, T, In], new Rng(3));

    private static Dictionary<string, float[]> Grads(Module m) =>
        m.NamedParameters().ToDictionary(p => p.Name, p => (float[])p.Parameter.Grad!.Data.Clone());

    [Fact]
    public void ChunkedStatefulOutputsEqualOnePassOverTheStream()
    {
        var x = Stream();
        var full = NewLstm(false).Unroll(x).Output;
        var chunked = NewLstm(true);
        var first = ((Module)chunked).Forward(Functional.Narrow(x, 1, 0, 3));
        var second = ((Module)chunked).Forward(Functional.Narrow(x, 1, 3, T - 3));
        AssertClose(Functional.Narrow(full, 1, 0, 3).Data, first.Data);
        AssertClose(Functional.Narrow(full, 1, 3, T - 3).Data, second.Data);
    }

    [Fact]
    public void ResetStatesStartsTheNextChunkFromZero()
    {
        var x = Stream();
        var m = NewLstm(true);
        var a = ((Module)m).Forward(x);
        m.ResetStates();
        var b = ((Module)m).Forward(x);
        Assert.Equal(a.Data, b.Data);
        var c = ((Module)m).Forward(x);
        Assert.NotEqual(a.Data, c.Data);
    }

    [Fact]
    public void WhenOneChunkCoversTheSequenceTruncatedGradientsEqualFullBptt()
    {
        var x = Stream();
        var target = Tensor.Normal(0f, 1f, [N, T, H], new Rng(4));
        var full = NewLstm(false);
        (full.Unroll(x).Output * target).Sum().Backward();
        var truncated = NewLstm(true);
        (((Module)truncated).Forward(x) * target).Sum().Backward();
        var expected = Grads(full);
        foreach (var (name, g) in Grads(truncated)) AssertClose(expected[name], g, name);
    }

    [Fact]
    public void SecondChunkGradientsEqualFullBpttCutAtTheBoundary()
    {
        var x = Stream();
        int k = 3;
        var target = Tensor.Normal(0f, 1f, [N, T - k, H], new Rng(5));

        // Reference: run the first chunk, detach its final state by hand, and backpropagate the second chunk only.
        var reference = NewLstm(false);
        var (_, state) = reference.Unroll(Functional.Narrow(x, 1, 0, k));
        var (out2, _) = reference.Unroll(Functional.Narrow(x, 1, k, T - k), new LstmState(state.H.Detach(), state.C.Detach()));
        (out2 * target).Sum().Backward();

        var stateful = NewLstm(true);
        ((Module)stateful).Forward(Functional.Narrow(x, 1, 0, k));
        stateful.ZeroGrad();
        (((Module)stateful).Forward(Functional.Narrow(x, 1, k, T - k)) * target).Sum().Backward();

        var expected = Grads(reference);
        foreach (var (name, g) in Grads(stateful)) AssertClose(expected[name], g, name);

        // And the cut matters: full BPTT through both chunks gives different gradients.
        var whole = NewLstm(false);
        var all = whole.Unroll(x).Output;
        (Functional.Narrow(all, 1, k, T - k) * target).Sum().Backward();
        Assert.NotEqual(expected["weight_hh_l0"], Grads(whole)["weight_hh_l0"]);
    }

    [Fact]
    public void ABatchOfAnotherSizeStartsFromZero()
    {
        var m = NewLstm(true);
        ((Module)m).Forward(Stream());
        var one = Tensor.Normal(0f, 1f, [1, T, In], new Rng(9));
        var carriedOver = ((Module)m).Forward(one);
        var fresh = NewLstm(false).Unroll(one).Output;
        Assert.Equal(fresh.Data, carriedOver.Data);
    }

    private static void AssertClose(float[] expected, float[] actual, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f + 1e-4f * Math.Abs(expected[i]), $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }
}
