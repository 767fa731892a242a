namespace Loom.Nn;

/// <summary>
/// What <see cref="RnnCell"/>, <see cref="LstmCell"/> and <see cref="GruCell"/> share: one step for a batch,
/// x: (N, inputSize) or unbatched (inputSize), states (N, H) or (H); parameters <c>weight_ih</c>,
/// <c>weight_hh</c>, <c>bias_ih</c>, <c>bias_hh</c> initialised U(−1/√H, 1/√H) as PyTorch.
/// </summary>
public abstract class RecurrentCellBase : Module
{
    public Parameter WeightIh { get; }   // (G·H, inputSize)
    public Parameter WeightHh { get; }   // (G·H, H)
    public Parameter? BiasIh { get; }    // (G·H)
    public Parameter? BiasHh { get; }    // (G·H)
    public int InputSize { get; }
    public int HiddenSize { get; }

    private protected RecurrentCellBase(string kind, int gateCount, int inputSize, int hiddenSize, bool bias)
    {
        if (inputSize <= 0 || hiddenSize <= 0)
            throw new ArgumentException($"{kind}: input_size and hidden_size must be positive, got {inputSize} and {hiddenSize}.");
        (InputSize, HiddenSize) = (inputSize, hiddenSize);
        float bound = 1f / MathF.Sqrt(hiddenSize);
        int gates = gateCount * hiddenSize;
        WeightIh = RegisterParameter("weight_ih", Tensor.Uniform(-bound, bound, [gates, inputSize]));
        WeightHh = RegisterParameter("weight_hh", Tensor.Uniform(-bound, bound, [gates, hiddenSize]));
        if (bias)
        {
            BiasIh = RegisterParameter("bias_ih", Tensor.Uniform(-bound, bound, [gates]));
            BiasHh = RegisterParameter("bias_hh", Tensor.Uniform(-bound, bound, [gates]));
        }
    }

    /// <summary>
    /// Lifts unbatched arguments — x (in), states (H) — to a batch of one, checking them; batched arguments pass
    /// as they are, to be checked once by the cell op.
    /// </summary>
    private protected (Tensor X, Tensor? H, Tensor? C, bool Unbatched) Prepare(Tensor x, Tensor? h, Tensor? c)
    {
        if (x.Rank != 1) return (x, h, c, false);
        if (x.Shape[0] != InputSize)
            throw new ArgumentException($"{Label}: expected input (N, {InputSize}) or unbatched ({InputSize}), got {ShapeUtil.Format(x.Shape)}.");
        foreach (var (state, what) in new[] { (h, "hidden"), (c, "cell") })
            if (state is not null && !ShapeUtil.SameShape(state.Shape, [HiddenSize]))
                throw new ArgumentException($"{Label}: expected {what} state ({HiddenSize}) for unbatched input {ShapeUtil.Format(x.Shape)}, got {ShapeUtil.Format(state.Shape)}.");
        return (Functional.Reshape(x, 1, InputSize), h is null ? null : Functional.Reshape(h, 1, HiddenSize),
            c is null ? null : Functional.Reshape(c, 1, HiddenSize), true);
    }

    /// <summary>Undoes <see cref="Prepare"/>'s lift for a result state.</summary>
    private protected Tensor Restore(Tensor state, bool unbatched) => unbatched ? Functional.Reshape(state, HiddenSize) : state;

    private protected string DescribeAs(string kind, string? extra = null) =>
        $"{kind}({InputSize}, {HiddenSize}{(BiasIh is null ? ", bias=False" : "")}{(extra is null ? "" : ", " + extra)})";
}
