namespace Loom.Nn;

/// <summary>One step of an Elman RNN (PyTorch's <c>nn.RNNCell</c>): h' = act(W_ih·x + b_ih + W_hh·h + b_hh).</summary>
public sealed class RnnCell : RecurrentCellBase
{
    public RnnNonlinearity Nonlinearity { get; }

    public RnnCell(int inputSize, int hiddenSize, bool bias = true, RnnNonlinearity nonlinearity = RnnNonlinearity.Tanh)
        : base("RNNCell", 1, inputSize, hiddenSize, bias) => Nonlinearity = nonlinearity;

    /// <summary>x: (N, in) or (in); h: (N, H) or (H), null for zeros → h' of h's shape.</summary>
    public Tensor Forward(Tensor x, Tensor? h)
    {
        var (xb, hb, _, unbatched) = Prepare(x, h, null);
        var y = Functional.RnnCell(xb, hb, WeightIh, WeightHh, BiasIh, BiasHh, Nonlinearity == RnnNonlinearity.Relu, Label);
        return Restore(y, unbatched);
    }

    /// <summary>One step from a zero state.</summary>
    public override Tensor Forward(Tensor x) => Forward(x, null);

    public override string Describe() => DescribeAs("RNNCell", Nonlinearity == RnnNonlinearity.Relu ? "nonlinearity='relu'" : null);
}
