using Loom.Kernels;

namespace Loom.Nn;

/// <summary>
/// Long short-term memory (PyTorch's <c>nn.LSTM</c>), gates i, f, g, o:
/// i, f, o = σ(W·x + b + U·h + b'), g = tanh(…), c' = f⊙c + i⊙g, h' = o⊙tanh(c'). Shapes: see
/// <see cref="RecurrentLayer"/>; the state is (h, c), each (numLayers·D, N, H).
/// </summary>
public sealed class Lstm : RecurrentLayer
{
    public Lstm(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false, float dropout = 0f,
        bool bidirectional = false)
        : base(RecurrentCellKind.Lstm, "LSTM", inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional) { }

    /// <summary>
    /// x: (T, N, in) (or (N, T, in) batch-first); initialState (h0, c0): each (numLayers·D, N, H), or null for
    /// zeros; lengths: each sequence's valid length or null → output (T, N, D·H) and (h_n, c_n).
    /// </summary>
    public (Tensor Output, LstmState State) Unroll(Tensor x, LstmState? initialState = null, int[]? lengths = null)
    {
        if (initialState is { } s && (s.H is null || s.C is null))
            throw new ArgumentException($"{Label}: an initial state needs both h and c.");
        var r = Run(x, initialState?.H, initialState?.C, lengths);
        return (r.Output, new LstmState(r.H, r.C!));
    }

    /// <summary>As the other overload, with the lengths in a tensor (N whole numbers).</summary>
    public (Tensor Output, LstmState State) Unroll(Tensor x, LstmState? initialState, Tensor lengths) =>
        Unroll(x, initialState, LengthsOf(lengths));

    public override string Describe() => DescribeAs("LSTM");
}
