using Loom.Autograd;
using Loom.Nn;
using Xunit;

namespace Loom.Tests.Recurrent;

/// <summary>
/// Behaviour of the recurrent layers beyond the PyTorch fixtures: parameter names and initialisation,
/// variable lengths (padding changes nothing, each sequence is as if run alone), dropout between layers
/// only in training, unbatched input, Sequential use, and the error messages.
/// </summary>
public class RecurrentLayerTests
{
    [Fact]
    public void ParameterNamesShapesAndInitialisationFollowPyTorch()
    {
        var lstm = new Lstm(3, 4, numLayers: 2, bidirectional: true);
        var expected = new List<(string, int[])>();
        foreach (var l in new[] { 0, 1 })
            foreach (var suffix in new[] { "", "_reverse" })
            {
                int inSize = l == 0 ? 3 : 8;
                expected.Add(($"weight_ih_l{l}{suffix}", [16, inSize]));
                expected.Add(($"weight_hh_l{l}{suffix}", [16, 4]));
                expected.Add(($"bias_ih_l{l}{suffix}", [16]));
                expected.Add(($"bias_hh_l{l}{suffix}", [16]));
            }
        var actual = lstm.StateDict().Select(p => (p.Name, p.Value.Shape)).ToList();
        Assert.Equal(expected.Select(e => e.Item1), actual.Select(a => a.Name));
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i].Item2, actual[i].Shape);
        Assert.All(lstm.Parameters(), p => Assert.All(p.Data, v => Assert.InRange(v, -0.5f, 0.5f)));
        Assert.Same(lstm.NamedParameters().Single(p => p.Name == "bias_hh_l1_reverse").Parameter, lstm.WeightsOf(1, reverse: true).BiasHh);

        Assert.Equal(["weight_ih_l0", "weight_hh_l0"], new Gru(2, 3, bias: false).StateDict().Select(p => p.Name));
        Assert.Equal([9, 2], new Gru(2, 3).WeightsOf(0).WeightIh.Shape);
        Assert.Equal(["weight_ih", "weight_hh", "bias_ih", "bias_hh"], new GruCell(2, 3).StateDict().Select(p => p.Name));
        Assert.Equal([12, 2], new LstmCell(2, 3).WeightIh.Shape);
        Assert.Equal("LSTM(3, 4, num_layers=2, bidirectional=True)", lstm.Describe());
        Assert.Equal("RNN(2, 5, nonlinearity='relu', bias=False, batch_first=True, dropout=0.25)",
            new Rnn(2, 5, nonlinearity: RnnNonlinearity.Relu, bias: false, batchFirst: true, dropout: 0.25f).Describe());
    }

    [Fact]
    public void EmbeddingInitialisationAndPaddingRow()
    {
        var emb = new Nn.Embedding(200, 50, paddingIdx: -1);
        Assert.Equal(199, emb.PaddingIdx);
        Assert.All(emb.Weight.Data.Skip(199 * 50), v => Assert.Equal(0f, v));
        var rest = emb.Weight.Data.Take(199 * 50).ToArray();
        double mean = rest.Average(), std = Math.Sqrt(rest.Select(v => (v - mean) * (v - mean)).Average());
        Assert.InRange(mean, -0.05, 0.05);
        Assert.InRange(std, 0.95, 1.05);
        Assert.Equal("Embedding(200, 50, padding_idx=199)", emb.Describe());
    }

    [Theory]
    [InlineData("lstm", false, false)]
    [InlineData("lstm", true, true)]
    [InlineData("gru", true, false)]
    [InlineData("rnn", false, true)]
    public void EachSequenceIsAsIfRunAlone(string kind, bool bidirectional, bool batchFirst)
    {
        // A padded batch with lengths gives, for every sequence, the outputs and final state of that
        // sequence cut to its length and run alone; its padding (whatever it holds) changes nothing.
        int T = 6, N = 3, inSize = 3, H = 4, layers = 2;
        RecurrentLayer m = kind switch
        {
            "lstm" => new Lstm(inSize, H, layers, batchFirst: batchFirst, bidirectional: bidirectional),
            "gru" => new Gru(inSize, H, layers, batchFirst: batchFirst, bidirectional: bidirectional),
            _ => new Rnn(inSize, H, layers, batchFirst: batchFirst, bidirectional: bidirectional),
        };
        int D = bidirectional ? 2 : 1;
        var rng = new Rng(17);
        int[] lengths = [6, 2, 4];
        var x = Tensor.Normal(0f, 1f, batchFirst ? [N, T, inSize] : [T, N, inSize], rng);
        x.RequiresGrad = true;
        var (output, hN, cN) = Run(m, x, lengths);
        var gOut = Tensor.Normal(0f, 1f, output.Shape, rng);
        ((output * gOut).Sum() + hN.Sum()).Backward();

        for (int n = 0; n < N; n++)
        {
            int len = lengths[n];
            var alone = Tensor.Zeros(batchFirst ? [1, len, inSize] : [len, 1, inSize]);
            for (int t = 0; t < len; t++)
                for (int k = 0; k < inSize; k++)
                    alone[batchFirst ? [0, t, k] : [t, 0, k]] = x[batchFirst ? [n, t, k] : [t, n, k]];
            var (o1, h1, c1) = Run(m, alone, null);
            for (int t = 0; t < T; t++)
                for (int j = 0; j < D * H; j++)
                {
                    float got = output[batchFirst ? [n, t, j] : [t, n, j]];
                    if (t < len) Assert.Equal(o1[batchFirst ? [0, t, j] : [t, 0, j]], got, 1e-5f);
                    else Assert.Equal(0f, got);
                }
            for (int s = 0; s < layers * D; s++)
                for (int j = 0; j < H; j++)
                {
                    Assert.Equal(h1[s, 0, j], hN[s, n, j], 1e-5f);
                    if (cN is not null) Assert.Equal(c1![s, 0, j], cN[s, n, j], 1e-5f);
                }
            // No gradient reaches the padding.
            for (int t = len; t < T; t++)
                for (int k = 0; k < inSize; k++)
                    Assert.Equal(0f, x.Grad![batchFirst ? [n, t, k] : [t, n, k]]);
        }
    }

    private static (Tensor Output, Tensor H, Tensor? C) Run(RecurrentLayer m, Tensor x, int[]? lengths) => m switch
    {
        Lstm l => l.Unroll(x, null, lengths) is var (o, s) ? (o, s.H, s.C) : default,
        Gru g => g.Unroll(x, null, lengths) is var (o2, h2) ? (o2, h2, null) : default,
        Rnn r => r.Unroll(x, null, lengths) is var (o3, h3) ? (o3, h3, null) : default,
        _ => throw new InvalidOperationException(),
    };

    [Fact]
    public void FullLengthsEqualNoLengths()
    {
        var gru = new Gru(2, 3, bidirectional: true);
        var x = Tensor.Normal(0f, 1f, [5, 2, 2], new Rng(1));
        var (a, ha) = gru.Unroll(x);
        var (b, hb) = gru.Unroll(x, null, [5, 5]);
        Assert.Equal(a.Data, b.Data);
        Assert.Equal(ha.Data, hb.Data);
    }

    [Fact]
    public void DropoutActsBetweenLayersOnlyInTraining()
    {
        var x = Tensor.Normal(0f, 1f, [6, 4, 3], new Rng(2));
        var noDrop = new Lstm(3, 8, numLayers: 2);
        var drop = new Lstm(3, 8, numLayers: 2, dropout: 0.5f);
        drop.LoadStateDict(noDrop.StateDict().ToDictionary(p => p.Name, p => p.Value));

        drop.Eval();
        Assert.Equal(noDrop.Unroll(x).Output.Data, drop.Unroll(x).Output.Data);
        Assert.Equal(drop.Unroll(x).Output.Data, drop.Unroll(x).Output.Data);

        drop.Train();
        var (trained, state) = drop.Unroll(x);
        Assert.NotEqual(noDrop.Unroll(x).Output.Data, trained.Data);
        // Dropout acts on the first layer's output only: the first layer's final state is untouched.
        var (_, reference) = noDrop.Unroll(x);
        Assert.Equal(reference.H.Data.Take(4 * 8), state.H.Data.Take(4 * 8));

        // One layer: nothing to drop between.
        var single = new Gru(3, 5, dropout: 0.5f);
        Module asModule = single;
        Assert.Equal(asModule.Forward(x).Data, single.Unroll(x).Output.Data);
    }

    [Fact]
    public void FitsInSequentialAndAcceptsUnbatchedInput()
    {
        var model = new Sequential(new Nn.Embedding(10, 4, paddingIdx: 0), new Gru(4, 6, batchFirst: true, bidirectional: true));
        var tokens = Tensor.FromArray([1, 2, 3, 0, 0, 4, 5, 6, 7, 8], 2, 5);
        var y = model.Forward(tokens);
        Assert.Equal([2, 5, 12], y.Shape);
        var summary = model.Summary(5);
        Assert.Equal([[1, 5, 4], [1, 5, 12]], summary.Rows.Select(r => r.OutputShape));
        Assert.Equal(10 * 4 + 2 * (18 * 4 + 18 * 6 + 2 * 18), summary.TotalParameters); // embedding + two GRU directions

        var lstm = new Lstm(3, 2, numLayers: 2);
        var x = Tensor.Normal(0f, 1f, [4, 3], new Rng(4));
        var (o, s) = lstm.Unroll(x);
        Assert.Equal([4, 2], o.Shape);
        Assert.Equal([2, 2], s.H.Shape);
        var (ob, sb) = lstm.Unroll(x.Reshape(4, 1, 3));
        Assert.Equal(ob.Data, o.Data);
        Assert.Equal(sb.C.Data, s.C.Data);

        var cell = new LstmCell(3, 2);
        var one = cell.Forward(Tensor.Ones(3), null);
        Assert.Equal([2], one.H.Shape);
        Assert.Equal(cell.Forward(Tensor.Ones(1, 3)).Data, one.H.Data);
    }

    [Fact]
    public void CellsUnrollToTheLayer()
    {
        // Stepping a cell through a sequence with the layer's weights gives the layer's output.
        var layer = new Lstm(3, 4);
        var cell = new LstmCell(3, 4);
        cell.LoadStateDict(layer.StateDict().ToDictionary(p => p.Name[..^3], p => p.Value));
        var x = Tensor.Normal(0f, 1f, [5, 2, 3], new Rng(9));
        var (y, final) = layer.Unroll(x);
        LstmState? state = null;
        for (int t = 0; t < 5; t++)
        {
            var xt = Tensor.FromArray(x.Data.Skip(t * 6).Take(6).ToArray(), 2, 3);
            state = cell.Forward(xt, state);
            for (int i = 0; i < 8; i++) Assert.Equal(y.Data[t * 8 + i], state.Value.H.Data[i], 1e-5f);
        }
        for (int i = 0; i < 8; i++) Assert.Equal(final.C.Data[i], state!.Value.C.Data[i], 1e-5f);
    }

    [Fact]
    public void ShapeErrorsNameTheLayerAndBothShapes()
    {
        var lstm = new Lstm(4, 3, numLayers: 2);
        var ex = Assert.Throws<ArgumentException>(() => lstm.Forward(Tensor.Zeros(5, 3, 7)));
        Assert.Contains("LSTM(4, 3, num_layers=2)", ex.Message);
        Assert.Contains("(T, N, 4)", ex.Message);
        Assert.Contains("(5, 3, 7)", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => lstm.Unroll(Tensor.Zeros(5, 3, 4), new LstmState(Tensor.Zeros(1, 3, 3), Tensor.Zeros(2, 3, 3))));
        Assert.Contains("(2, 3, 3)", ex.Message);
        Assert.Contains("(1, 3, 3)", ex.Message);
        Assert.Contains("LSTM", ex.Message);

        var model = new Sequential(new Linear(2, 4), new Gru(4, 3, batchFirst: true));
        ex = Assert.Throws<ArgumentException>(() => ((Gru)model[1]).Unroll(Tensor.Zeros(2, 5, 4), null, [5, 6]));
        Assert.Contains("layer '1'", ex.Message);
        Assert.Contains("length 6", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => ((Gru)model[1]).Unroll(Tensor.Zeros(2, 5, 4), null, [5]));
        Assert.Contains("1 sequence lengths for a batch of 2", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => ((Gru)model[1]).Unroll(Tensor.Zeros(2, 5, 4), null, Tensor.FromArray([5f, 2.5f])));
        Assert.Contains("2.5", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => new GruCell(3, 2).Forward(Tensor.Zeros(4, 3), Tensor.Zeros(3, 2)));
        Assert.Contains("GRUCell(3, 2)", ex.Message);
        Assert.Contains("(4, 2)", ex.Message);
        Assert.Contains("(3, 2)", ex.Message);
    }

    [Fact]
    public void EmbeddingRejectsIndicesOutsideTheVocabulary()
    {
        var model = new Sequential(new Nn.Embedding(1000, 8));
        var ex = Assert.Throws<ArgumentException>(() => model.Forward(Tensor.FromArray([3f, 1234f, 7f])));
        Assert.Contains("Embedding(1000, 8) (layer '0')", ex.Message);
        Assert.Contains("1234", ex.Message);
        Assert.Contains("1000 entries", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => model.Forward(Tensor.FromArray([-1f])));
        Assert.Contains("-1", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => model.Forward(Tensor.FromArray([1.5f])));
        Assert.Contains("not a whole number", ex.Message);
    }

    [Fact]
    public void NoGradientRecordingLeavesNoGraph()
    {
        var gru = new Gru(2, 3, numLayers: 2, bidirectional: true);
        using (GradMode.NoGrad())
        {
            var (y, h) = gru.Unroll(Tensor.Ones(3, 2, 2));
            Assert.False(y.RequiresGrad);
            Assert.False(h.RequiresGrad);
        }
        // A second backward through the same forward pass fails clearly (its buffers are released).
        var (y2, _) = gru.Unroll(Tensor.Ones(3, 2, 2));
        y2.Sum().Backward();
        var ex = Assert.Throws<InvalidOperationException>(() => y2.Sum().Backward());
        Assert.Contains("second time", ex.Message);
    }
}
