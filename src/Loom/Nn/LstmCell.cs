namespace Loom.Nn;

/// <summary>
/// One step of an LSTM (PyTorch's <c>nn.LSTMCell</c>), gates i, f, g, o: c' = f⊙c + i⊙g, h' = o⊙tanh(c').
/// </summary>
public sealed class LstmCell : RecurrentCellBase
{
    public LstmCell(int inputSize, int hiddenSize, bool bias = true) : base("LSTMCell", 4, inputSize, hiddenSize, bias) { }

    /// <summary>x: (N, in) or (in); state (h, c): each (N, H) or (H), null for zeros → (h', c').</summary>
    public LstmState Forward(Tensor x, LstmState? state)
    {
        if (state is { } s0 && (s0.H is null || s0.C is null))
            throw new ArgumentException($"{Label}: a state needs both h and c.");
        var (xb, hb, cb, unbatched) = Prepare(x, state?.H, state?.C);
        var (h, c) = Functional.LstmCell(xb, hb, cb, WeightIh, WeightHh, BiasIh, BiasHh, Label);
        return new LstmState(Restore(h, unbatched), Restore(c, unbatched));
    }

    /// <summary>One step from a zero state; returns h'.</summary>
    public override Tensor Forward(Tensor x) => Forward(x, null).H;

    public override string Describe() => DescribeAs("LSTMCell");
}
