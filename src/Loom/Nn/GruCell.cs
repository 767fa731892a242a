namespace Loom.Nn;

/// <summary>
/// One step of a GRU (PyTorch's <c>nn.GRUCell</c>): r, z = σ(…), n = tanh(W_in·x + b_in + r⊙(W_hn·h + b_hn)),
/// h' = (1 − z)⊙n + z⊙h.
/// </summary>
public sealed class GruCell : RecurrentCellBase
{
    public GruCell(int inputSize, int hiddenSize, bool bias = true) : base("GRUCell", 3, inputSize, hiddenSize, bias) { }

    /// <summary>x: (N, in) or (in); h: (N, H) or (H), null for zeros → h' of h's shape.</summary>
    public Tensor Forward(Tensor x, Tensor? h)
    {
        var (xb, hb, _, unbatched) = Prepare(x, h, null);
        return Restore(Functional.GruCell(xb, hb, WeightIh, WeightHh, BiasIh, BiasHh, Label), unbatched);
    }

    /// <summary>One step from a zero state.</summary>
    public override Tensor Forward(Tensor x) => Forward(x, null);

    public override string Describe() => DescribeAs("GRUCell");
}
