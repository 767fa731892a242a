using Loom.Kernels;

namespace Loom;

/// <summary>
/// The parameters of one layer and direction of a recurrent network, in PyTorch's layout:
/// W_ih (G·H, in), W_hh (G·H, H), b_ih and b_hh (G·H) with G = 1 (RNN), 4 (LSTM: i, f, g, o) or 3 (GRU: r, z, n).
/// </summary>
public sealed record RecurrentWeights(Tensor WeightIh, Tensor WeightHh, Tensor? BiasIh, Tensor? BiasHh);

/// <summary>
/// What a recurrent network returns: the per-step output of its last layer, and the final hidden (and,
/// for an LSTM, cell) state of every layer and direction, (numLayers·D, N, H).
/// </summary>
public readonly record struct RecurrentResult(Tensor Output, Tensor H, Tensor? C);

public static partial class Functional
{
    /// <summary>
    /// A stacked, optionally bidirectional recurrent network over whole sequences, as one differentiable
    /// op (backpropagation through time; the passes are in <see cref="RecurrentPass"/>).
    /// <para>
    /// x: (T, N, in), or (N, T, in) with <paramref name="batchFirst"/>. <paramref name="weights"/>:
    /// numLayers·D entries, layer by layer, forward direction before reverse (PyTorch's order).
    /// h0, c0: (numLayers·D, N, H) or null for zeros (c0 only for LSTM). <paramref name="lengths"/>: the
    /// valid length of each sequence (0…T) or null; steps past a sequence's length leave its state
    /// unchanged, give zero outputs and pass no gradient, and its reverse direction starts at its last valid
    /// step — as PyTorch's packed sequences. <paramref name="dropout"/> is applied to the outputs of every
    /// layer but the last when <paramref name="training"/>.
    /// </para>
    /// Returns output (T, N, D·H) (or (N, T, D·H)), h_n and c_n (numLayers·D, N, H).
    /// </summary>
    public static RecurrentResult Recurrent(RecurrentCellKind cell, Tensor x, IReadOnlyList<RecurrentWeights> weights, int numLayers,
        bool bidirectional, Tensor? h0 = null, Tensor? c0 = null, int[]? lengths = null, bool batchFirst = false,
        float dropout = 0f, bool training = false, Rng? rng = null, string layer = "RNN")
    {
        var geometry = RecurrentGeometry.Check(cell, x, weights, numLayers, bidirectional, h0, c0, lengths, batchFirst, dropout, layer);
        // The lengths are read again by backward, after the caller may have changed its array.
        return new RecurrentPass(geometry, x, weights, h0, c0, lengths is null ? null : (int[])lengths.Clone(), dropout, training, rng).Run();
    }

    /// <summary>One step of an Elman RNN cell: h' = act(W_ih·x + b_ih + W_hh·h + b_hh). x: (N, in), h: (N, H) or null → (N, H).</summary>
    public static Tensor RnnCell(Tensor x, Tensor? h, Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh,
        bool relu = false, string layer = "RNNCell") =>
        RecurrentCellStep(relu ? RecurrentCellKind.RnnRelu : RecurrentCellKind.RnnTanh, x, h, null, weightIh, weightHh, biasIh, biasHh, layer).H;

    /// <summary>One step of an LSTM cell (gates i, f, g, o). x: (N, in), h, c: (N, H) or null → (h', c').</summary>
    public static (Tensor H, Tensor C) LstmCell(Tensor x, Tensor? h, Tensor? c, Tensor weightIh, Tensor weightHh, Tensor? biasIh,
        Tensor? biasHh, string layer = "LSTMCell")
    {
        var r = RecurrentCellStep(RecurrentCellKind.Lstm, x, h, c, weightIh, weightHh, biasIh, biasHh, layer);
        return (r.H, r.C!);
    }

    /// <summary>One step of a GRU cell (gates r, z, n). x: (N, in), h: (N, H) or null → (N, H).</summary>
    public static Tensor GruCell(Tensor x, Tensor? h, Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh,
        string layer = "GRUCell") =>
        RecurrentCellStep(RecurrentCellKind.Gru, x, h, null, weightIh, weightHh, biasIh, biasHh, layer).H;

    /// <summary>
    /// A cell step is a one-step, one-layer sequence: the same fused kernels, T = 1. Its shapes are checked here,
    /// in the cell's own terms ((N, in), (N, H)), and then not again.
    /// </summary>
    private static RecurrentResult RecurrentCellStep(RecurrentCellKind cell, Tensor x, Tensor? h, Tensor? c, Tensor weightIh, Tensor weightHh,
        Tensor? biasIh, Tensor? biasHh, string layer)
    {
        int inSize = weightIh.Rank == 2 ? weightIh.Shape[1] : -1;
        int hidden = weightHh.Rank == 2 ? weightHh.Shape[1] : -1;
        if (x.Rank != 2 || x.Shape[1] != inSize)
            throw new ArgumentException($"{layer}: expected input (N, {inSize}), got {ShapeUtil.Format(x.Shape)}.");
        int n = x.Shape[0];
        if (h is not null && !ShapeUtil.SameShape(h.Shape, [n, hidden]))
            throw new ArgumentException($"{layer}: expected hidden state ({n}, {hidden}), got {ShapeUtil.Format(h.Shape)}.");
        if (c is not null && !ShapeUtil.SameShape(c.Shape, [n, hidden]))
            throw new ArgumentException($"{layer}: expected cell state ({n}, {hidden}), got {ShapeUtil.Format(c.Shape)}.");
        var weights = new[] { new RecurrentWeights(weightIh, weightHh, biasIh, biasHh) };
        var x3 = Reshape(x, 1, n, inSize);
        var h3 = h is null ? null : Reshape(h, 1, n, hidden);
        var c3 = c is null ? null : Reshape(c, 1, n, hidden);
        var geometry = RecurrentGeometry.Check(cell, x3, weights, 1, false, h3, c3, null, false, 0f, layer);
        var r = new RecurrentPass(geometry, x3, weights, h3, c3, null, 0f, false, null).Run();
        return new RecurrentResult(r.Output, Reshape(r.H, n, hidden), r.C is null ? null : Reshape(r.C, n, hidden));
    }
}
