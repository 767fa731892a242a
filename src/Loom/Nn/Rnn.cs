using Loom.Kernels;

namespace Loom.Nn;

/// <summary>
/// Elman RNN, h_t = act(W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh) with act tanh or ReLU, stacked and optionally
/// bidirectional (PyTorch's <c>nn.RNN</c>). Shapes: see <see cref="RecurrentLayer"/>.
/// </summary>
public sealed class Rnn : RecurrentLayer
{
    public RnnNonlinearity Nonlinearity { get; }

    public Rnn(int inputSize, int hiddenSize, int numLayers = 1, RnnNonlinearity nonlinearity = RnnNonlinearity.Tanh, bool bias = true,
        bool batchFirst = false, float dropout = 0f, bool bidirectional = false)
        : base(nonlinearity == RnnNonlinearity.Relu ? RecurrentCellKind.RnnRelu : RecurrentCellKind.RnnTanh, "RNN", inputSize, hiddenSize,
            numLayers, bias, batchFirst, dropout, bidirectional) => Nonlinearity = nonlinearity;

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

    public override string Describe() => DescribeAs("RNN", Nonlinearity == RnnNonlinearity.Relu ? "nonlinearity='relu'" : null);
}
