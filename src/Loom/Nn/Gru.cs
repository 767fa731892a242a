using Loom.Kernels;

namespace Loom.Nn;

/// <summary>
/// Gated recurrent unit (PyTorch's <c>nn.GRU</c>), gates r, z, n:
/// r = σ(W_ir·x + b_ir + W_hr·h + b_hr), z = σ(W_iz·x + b_iz + W_hz·h + b_hz),
/// n = tanh(W_in·x + b_in + r⊙(W_hn·h + b_hn)), h' = (1 − z)⊙n + z⊙h. Shapes: see <see cref="RecurrentLayer"/>.
/// </summary>
public sealed class Gru : RecurrentLayer
{
    public Gru(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false, float dropout = 0f,
        bool bidirectional = false)
        : base(RecurrentCellKind.Gru, "GRU", inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional) { }

    /// <summary>
    /// x: (T, N, in) (or (N, T, in) batch-first); initialState h0: (numLayers·D, N, H) or null for zeros;
    /// lengths: each sequence's valid length or null → output (T, N, D·H) and h_n (numLayers·D, N, H).
    /// </summary>
    public (Tensor Output, Tensor H) Unroll(Tensor x, Tensor? initialState = null, int[]? lengths = null)
    {
        var r = Run(x, initialState, null, lengths);
        return (r.Output, r.H);
    }

    /// <summary>As the other overload, with the lengths in a tensor (N whole numbers).</summary>
    public (Tensor Output, Tensor H) Unroll(Tensor x, Tensor? initialState, Tensor lengths) => Unroll(x, initialState, LengthsOf(lengths));

    public override string Describe() => DescribeAs("GRU");
}
