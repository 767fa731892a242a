using System.Globalization;
using Loom.Nn;
using Loom.Tests.Parity;
using Xunit;

namespace Loom.Tests.Recurrent;

/// <summary>
/// nn.RNN (tanh, relu), nn.LSTM, nn.GRU, their cells and F.embedding against PyTorch (fixture
/// <c>recurrent.safetensors</c>, written by <c>tools/make_fixtures.py</c>). Layers are loaded through
/// <see cref="Module.LoadStateDict"/> under PyTorch's names, so the tests also pin the parameter layout
/// and gate order. Gradients are of L = Σ output·g_out + Σ h_n·g_h (+ Σ c_n·g_c): every path out of the
/// op (outputs and final states) is exercised, and every parameter's gradient is compared.
/// </summary>
public class RecurrentParityTests
{
    private const string Family = "recurrent";

    /// <summary>
    /// A recurrent layer sums H + in products per gate per step and carries its error through up to 6
    /// steps and 2 layers (and back again for the gradients). Measured against the float64 references
    /// the largest error is 9.5e-7 (a weight gradient of 0.21), 10–100× inside <see cref="Tolerance.Reduction"/>.
    /// </summary>
    private static readonly Tolerance Tol = Tolerance.Reduction;

    public static TheoryData<string> LayerCases => CasesOf(k => k is "rnn_tanh" or "rnn_relu" or "lstm" or "gru");
    public static TheoryData<string> CellCases => CasesOf(k => k.EndsWith("_cell", StringComparison.Ordinal));
    public static TheoryData<string> EmbeddingCases => CasesOf(k => k == "embedding");

    private static TheoryData<string> CasesOf(Func<string, bool> kind)
    {
        var f = ParityFixture.Load(Family);
        var data = new TheoryData<string>();
        foreach (var c in f.Cases) if (kind(f.Meta(c, "kind"))) data.Add(c);
        return data;
    }

    [Theory, MemberData(nameof(LayerCases))]
    public void Layer(string c)
    {
        var f = ParityFixture.Load(Family);
        string kind = f.Meta(c, "kind");
        int inSize = f.Int(c, "input_size"), hidden = f.Int(c, "hidden_size"), layers = f.Int(c, "num_layers");
        bool bi = f.Bool(c, "bidirectional"), bf = f.Bool(c, "batch_first"), bias = f.Bool(c, "bias");
        RecurrentLayer m = kind switch
        {
            "rnn_tanh" => new Rnn(inSize, hidden, layers, RnnNonlinearity.Tanh, bias, bf, 0f, bi),
            "rnn_relu" => new Rnn(inSize, hidden, layers, RnnNonlinearity.Relu, bias, bf, 0f, bi),
            "lstm" => new Lstm(inSize, hidden, layers, bias, bf, 0f, bi),
            _ => new Gru(inSize, hidden, layers, bias, bf, 0f, bi),
        };
        m.LoadStateDict(m.StateDict().ToDictionary(p => p.Name, p => f.Get(c, "state." + p.Name)));

        var x = f.Get(c, "x", requiresGrad: true);
        var h0 = f.GetOptional(c, "h0", requiresGrad: true);
        var c0 = f.GetOptional(c, "c0", requiresGrad: true);
        Assert.Equal(f.Bool(c, "initial_state"), h0 is not null);
        string lengthsMeta = f.Meta(c, "lengths");
        int[]? lengths = lengthsMeta == "none" ? null : lengthsMeta.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();

        Tensor output, hN;
        Tensor? cN = null;
        switch (m)
        {
            case Lstm lstm:
                {
                    var state = h0 is null ? (LstmState?)null : new LstmState(h0, c0!);
                    // Batch-first cases pass the lengths as a tensor, the others as an array.
                    var (o, s) = bf && lengths is not null
                        ? lstm.Unroll(x, state, Tensor.FromArray(lengths.Select(v => (float)v).ToArray()))
                        : lstm.Unroll(x, state, lengths);
                    (output, hN, cN) = (o, s.H, s.C);
                    break;
                }
            case Rnn rnn:
                (output, hN) = bf && lengths is not null
                    ? rnn.Unroll(x, h0, Tensor.FromArray(lengths.Select(v => (float)v).ToArray()))
                    : rnn.Unroll(x, h0, lengths);
                break;
            case Gru gru:
                (output, hN) = bf && lengths is not null
                    ? gru.Unroll(x, h0, Tensor.FromArray(lengths.Select(v => (float)v).ToArray()))
                    : gru.Unroll(x, h0, lengths);
                break;
            default: throw new InvalidOperationException();
        }

        var loss = (output * f.Get(c, "g_out")).Sum() + (hN * f.Get(c, "g_h")).Sum();
        if (cN is not null) loss = loss + (cN * f.Get(c, "g_c")).Sum();
        loss.Backward();

        ParityAssert.Close(f.Get(c, "output"), output, Tol, $"{c}: output");
        ParityAssert.Close(f.Get(c, "h_n"), hN, Tol, $"{c}: h_n");
        if (cN is not null) ParityAssert.Close(f.Get(c, "c_n"), cN, Tol, $"{c}: c_n");
        ParityAssert.Close(f.Get(c, "grad_x"), x.Grad, Tol, $"{c}: grad x");
        if (h0 is not null) ParityAssert.Close(f.Get(c, "grad_h0"), h0.Grad, Tol, $"{c}: grad h0");
        if (c0 is not null) ParityAssert.Close(f.Get(c, "grad_c0"), c0.Grad, Tol, $"{c}: grad c0");
        int compared = 0;
        foreach (var (name, p) in m.NamedParameters())
        {
            ParityAssert.Close(f.Get(c, "grad." + name), p.Grad, Tol, $"{c}: grad {name}");
            compared++;
        }
        Assert.Equal(layers * (bi ? 2 : 1) * (bias ? 4 : 2), compared);
    }

    [Theory, MemberData(nameof(CellCases))]
    public void Cell(string c)
    {
        var f = ParityFixture.Load(Family);
        string kind = f.Meta(c, "kind");
        int inSize = f.Int(c, "input_size"), hidden = f.Int(c, "hidden_size");
        bool bias = f.Bool(c, "bias");
        RecurrentCellBase cell = kind switch
        {
            "rnn_tanh_cell" => new RnnCell(inSize, hidden, bias, RnnNonlinearity.Tanh),
            "rnn_relu_cell" => new RnnCell(inSize, hidden, bias, RnnNonlinearity.Relu),
            "lstm_cell" => new LstmCell(inSize, hidden, bias),
            _ => new GruCell(inSize, hidden, bias),
        };
        cell.LoadStateDict(cell.StateDict().ToDictionary(p => p.Name, p => f.Get(c, "state." + p.Name)));
        var x = f.Get(c, "x", requiresGrad: true);
        var h0 = f.GetOptional(c, "h0", requiresGrad: true);
        var c0 = f.GetOptional(c, "c0", requiresGrad: true);

        Tensor h1;
        Tensor? c1 = null;
        switch (cell)
        {
            case LstmCell lstm:
                var s = lstm.Forward(x, h0 is null ? null : new LstmState(h0, c0!));
                (h1, c1) = (s.H, s.C);
                break;
            case RnnCell rnn: h1 = rnn.Forward(x, h0); break;
            case GruCell gru: h1 = gru.Forward(x, h0); break;
            default: throw new InvalidOperationException();
        }
        var loss = (h1 * f.Get(c, "g_h")).Sum();
        if (c1 is not null) loss = loss + (c1 * f.Get(c, "g_c")).Sum();
        loss.Backward();

        ParityAssert.Close(f.Get(c, "h1"), h1, Tol, $"{c}: h'");
        if (c1 is not null) ParityAssert.Close(f.Get(c, "c1"), c1, Tol, $"{c}: c'");
        ParityAssert.Close(f.Get(c, "grad_x"), x.Grad, Tol, $"{c}: grad x");
        if (h0 is not null) ParityAssert.Close(f.Get(c, "grad_h0"), h0.Grad, Tol, $"{c}: grad h");
        if (c0 is not null) ParityAssert.Close(f.Get(c, "grad_c0"), c0.Grad, Tol, $"{c}: grad c");
        foreach (var (name, p) in cell.NamedParameters())
            ParityAssert.Close(f.Get(c, "grad." + name), p.Grad, Tol, $"{c}: grad {name}");
        Assert.Equal(bias ? 4 : 2, cell.NamedParameters().Count());
    }

    [Theory, MemberData(nameof(EmbeddingCases))]
    public void Embedding(string c)
    {
        var f = ParityFixture.Load(Family);
        int vocab = f.Int(c, "num_embeddings"), dim = f.Int(c, "embedding_dim");
        string pad = f.Meta(c, "padding_idx");
        int? paddingIdx = pad == "none" ? null : int.Parse(pad, CultureInfo.InvariantCulture);
        var emb = new Nn.Embedding(vocab, dim, paddingIdx);
        if (paddingIdx is int p) Assert.Equal(p < 0 ? p + vocab : p, emb.PaddingIdx);
        emb.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = f.Get(c, "weight") });

        var y = emb.Forward(f.Get(c, "indices"));
        y.Backward(f.Get(c, "gy"));

        ParityAssert.Close(f.Get(c, "y"), y, Tolerance.Elementwise, $"{c}: y");
        ParityAssert.Close(f.Get(c, "grad_weight"), emb.Weight.Grad, Tolerance.Reduction, $"{c}: grad weight");
        if (emb.PaddingIdx is int row)
            Assert.All(emb.Weight.Grad!.Data.Skip(row * dim).Take(dim), v => Assert.Equal(0f, v));
    }
}
