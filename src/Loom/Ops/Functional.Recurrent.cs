using System.Buffers;
using System.Numerics.Tensors;
using Loom.Autograd;
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
    /// op (backpropagation through time).
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
        int D = bidirectional ? 2 : 1;
        bool lstm = cell == RecurrentCellKind.Lstm;
        if (numLayers <= 0 || weights.Count != numLayers * D)
            throw new ArgumentException($"{layer}: {weights.Count} weight sets given for {numLayers} layer(s) × {D} direction(s).");
        if (dropout < 0f || dropout >= 1f) throw new ArgumentOutOfRangeException(nameof(dropout), $"{layer}: dropout must be in [0, 1), got {dropout}.");
        int G = new RecurrentShape(cell, 1, 1, 1, 1, false, false).GateCount;
        if (weights[0].WeightHh.Rank != 2) throw new ArgumentException($"{layer}: weight_hh_l0 must be (G·H, H), got {ShapeUtil.Format(weights[0].WeightHh.Shape)}.");
        int H = weights[0].WeightHh.Shape[1];
        string xLayout = batchFirst ? "(N, T, {0})" : "(T, N, {0})";
        int inSize0 = weights[0].WeightIh.Rank == 2 ? weights[0].WeightIh.Shape[1] : -1;
        if (x.Rank != 3 || x.Shape[2] != inSize0)
            throw new ArgumentException($"{layer}: expected input {string.Format(System.Globalization.CultureInfo.InvariantCulture, xLayout, inSize0)}, got {ShapeUtil.Format(x.Shape)}.");
        int T = x.Shape[batchFirst ? 1 : 0], N = x.Shape[batchFirst ? 0 : 1];
        if (T == 0 || N == 0) throw new ArgumentException($"{layer}: input {ShapeUtil.Format(x.Shape)} has no steps or no sequences.");
        for (int l = 0; l < numLayers; l++)
            for (int d = 0; d < D; d++)
                CheckRecurrentWeights(weights[l * D + d], G, H, l == 0 ? inSize0 : D * H, $"{layer}: layer {l}{(d == 1 ? " (reverse)" : "")}");
        int[] stateShape = [numLayers * D, N, H];
        if (h0 is not null && !ShapeUtil.SameShape(h0.Shape, stateShape))
            throw new ArgumentException($"{layer}: expected initial hidden state {ShapeUtil.Format(stateShape)}, got {ShapeUtil.Format(h0.Shape)}.");
        if (c0 is not null && !lstm) throw new ArgumentException($"{layer}: only an LSTM has a cell state.");
        if (c0 is not null && !ShapeUtil.SameShape(c0.Shape, stateShape))
            throw new ArgumentException($"{layer}: expected initial cell state {ShapeUtil.Format(stateShape)}, got {ShapeUtil.Format(c0.Shape)}.");
        if (lengths is not null)
        {
            if (lengths.Length != N) throw new ArgumentException($"{layer}: {lengths.Length} sequence lengths for a batch of {N} (input {ShapeUtil.Format(x.Shape)}).");
            for (int n = 0; n < N; n++)
                if (lengths[n] < 0 || lengths[n] > T)
                    throw new ArgumentException($"{layer}: length {lengths[n]} of sequence {n} is outside [0, {T}] (input {ShapeUtil.Format(x.Shape)}).");
            lengths = (int[])lengths.Clone(); // backward reads them later
        }

        int rows = T * N, outWidth = D * H, stateSize = N * H;
        // Not from the BufferPool (Tensor.Uninitialized): a stateful layer carries hN/cN, detached, into the next
        // batch, past the end of the step's scope.
        var output = Tensor.Zeros(batchFirst ? [N, T, outWidth] : [T, N, outWidth]);
        var hN = Tensor.Zeros(stateShape);
        var cN = lstm ? Tensor.Zeros(stateShape) : null;

        var inputs = new List<Tensor?> { x, h0, c0 };
        foreach (var w in weights) inputs.AddRange([w.WeightIh, w.WeightHh, w.BiasIh, w.BiasHh]);
        bool needGrad = GradMode.IsEnabled && inputs.Any(t => t is { RequiresGrad: true });
        bool drop = training && dropout > 0f && numLayers > 1;
        var pool = ArrayPool<float>.Shared;

        // Per layer: its input (x, or the previous layer's output after dropout) and its output.
        var layerInput = new float[numLayers][];
        var layerOutput = new float[numLayers][];
        var masks = drop ? new float[numLayers - 1][] : null;
        var workspaces = new float[numLayers * D][];
        var shapes = new RecurrentShape[numLayers * D];
        for (int l = 0; l < numLayers; l++)
        {
            layerInput[l] = l == 0 ? x.Data : layerOutput[l - 1];
            int inSize = l == 0 ? inSize0 : outWidth;
            layerOutput[l] = l == numLayers - 1 ? output.Data : pool.Rent(rows * outWidth);
            for (int d = 0; d < D; d++)
            {
                int k = l * D + d;
                var s = shapes[k] = new RecurrentShape(cell, T, N, inSize, H, batchFirst, d == 1);
                int wsSize = RecurrentKernel.WorkspaceSize(s);
                workspaces[k] = pool.Rent(wsSize);
                RecurrentKernel.Forward(s, layerInput[l].AsSpan(0, rows * inSize), inSize, RecurrentKernelWeights(weights[k]),
                    h0 is null ? default : h0.Data.AsSpan(k * stateSize, stateSize),
                    c0 is null ? default : c0.Data.AsSpan(k * stateSize, stateSize),
                    lengths, layerOutput[l].AsSpan(d * H, rows * outWidth - d * H), outWidth,
                    hN.Data.AsSpan(k * stateSize, stateSize), cN is null ? default : cN.Data.AsSpan(k * stateSize, stateSize),
                    workspaces[k].AsSpan(0, wsSize));
            }
            if (drop && l < numLayers - 1)
            {
                var r = rng ?? Rng.Default;
                float scale = 1f / (1f - dropout);
                var mask = masks![l] = new float[rows * outWidth];
                for (int i = 0; i < mask.Length; i++) mask[i] = r.NextFloat() >= dropout ? scale : 0f;
                var o = layerOutput[l].AsSpan(0, mask.Length);
                TensorPrimitives.Multiply(o, mask, o);
            }
        }

        if (!needGrad)
        {
            foreach (var ws in workspaces) pool.Return(ws);
            for (int l = 0; l < numLayers - 1; l++) pool.Return(layerOutput[l]);
            return new RecurrentResult(output, hN, cN);
        }

        var stash = new FinalStateGradients();
        bool released = false;
        string name = layer;
        Graph.Record(output, name, inputs.ToArray(), g =>
        {
            if (released)
                throw new InvalidOperationException($"{name}: backward through the same forward pass a second time; its saved buffers are released after the first. " +
                    "A state carried from one batch to the next must be detached (state.Detach()) before it is fed back.");
            released = true;
            var dhN = stash.H;
            var dcN = stash.C;
            stash.H = stash.C = null;
            int scratchSize = RecurrentKernel.ScratchSize(shapes[0]);
            var scratch = pool.Rent(scratchSize);
            float[] dOut = g;
            var dh0 = h0?.GradBuffer();
            var dc0 = c0?.GradBuffer();
            for (int l = numLayers - 1; l >= 0; l--)
            {
                int inSize = l == 0 ? inSize0 : outWidth;
                float[]? dIn;
                if (l > 0)
                {
                    dIn = pool.Rent(rows * outWidth);
                    Array.Clear(dIn, 0, rows * outWidth);
                }
                else dIn = x.GradBuffer();
                for (int d = 0; d < D; d++)
                {
                    int k = l * D + d;
                    var s = shapes[k];
                    var w = weights[k];
                    var grads = new CellGradients(RecurrentGradSpan(w.WeightIh.GradBuffer()), RecurrentGradSpan(w.WeightHh.GradBuffer()),
                        RecurrentGradSpan(w.BiasIh?.GradBuffer()), RecurrentGradSpan(w.BiasHh?.GradBuffer()));
                    RecurrentKernel.Backward(s, layerInput[l].AsSpan(0, rows * inSize), inSize, RecurrentKernelWeights(w), lengths,
                        workspaces[k].AsSpan(0, RecurrentKernel.WorkspaceSize(s)),
                        dOut.AsSpan(d * H, rows * outWidth - d * H), outWidth,
                        dhN is null ? default : dhN.AsSpan(k * stateSize, stateSize),
                        dcN is null ? default : dcN.AsSpan(k * stateSize, stateSize),
                        dIn is null ? default : dIn.AsSpan(0, rows * inSize), inSize, grads,
                        dh0 is null ? default : dh0.AsSpan(k * stateSize, stateSize),
                        dc0 is null ? default : dc0.AsSpan(k * stateSize, stateSize),
                        scratch.AsSpan(0, scratchSize));
                    pool.Return(workspaces[k]);
                }
                if (l < numLayers - 1) pool.Return(dOut);
                if (l > 0)
                {
                    if (masks is not null)
                    {
                        var di = dIn.AsSpan(0, rows * outWidth);
                        TensorPrimitives.Multiply(di, masks[l - 1], di);
                    }
                    pool.Return(layerOutput[l - 1]);
                    dOut = dIn!;
                }
            }
            pool.Return(scratch);
        });

        // The final states are parts of the same op: their backward hands their gradient to the output's
        // node (which runs after them, since they list the output as their input) instead of copying it.
        var hOut = Graph.Record(hN, name + ".h_n", [output], g =>
        {
            stash.H ??= new float[g.Length];
            TensorPrimitives.Add(stash.H, g, stash.H);
            _ = output.GradBuffer();
        });
        var cOut = cN is null ? null : Graph.Record(cN, name + ".c_n", [output], g =>
        {
            stash.C ??= new float[g.Length];
            TensorPrimitives.Add(stash.C, g, stash.C);
            _ = output.GradBuffer();
        });
        return new RecurrentResult(output, hOut, cOut);
    }

    /// <summary>Gradients of h_n and c_n waiting for the backward of the op that produced them.</summary>
    private sealed class FinalStateGradients
    {
        public float[]? H, C;
    }

    private static CellWeights RecurrentKernelWeights(RecurrentWeights w) =>
        new(w.WeightIh.Data, w.WeightHh.Data, w.BiasIh is null ? default : w.BiasIh.Data, w.BiasHh is null ? default : w.BiasHh.Data);

    private static Span<float> RecurrentGradSpan(float[]? a) => a is null ? default : a.AsSpan();

    private static void CheckRecurrentWeights(RecurrentWeights w, int gates, int hidden, int inSize, string where)
    {
        int gw = gates * hidden;
        if (!ShapeUtil.SameShape(w.WeightIh.Shape, [gw, inSize]))
            throw new ArgumentException($"{where}: weight_ih must be ({gw}, {inSize}), got {ShapeUtil.Format(w.WeightIh.Shape)}.");
        if (!ShapeUtil.SameShape(w.WeightHh.Shape, [gw, hidden]))
            throw new ArgumentException($"{where}: weight_hh must be ({gw}, {hidden}), got {ShapeUtil.Format(w.WeightHh.Shape)}.");
        if (w.BiasIh is { } bi && !ShapeUtil.SameShape(bi.Shape, [gw]))
            throw new ArgumentException($"{where}: bias_ih must be ({gw}), got {ShapeUtil.Format(bi.Shape)}.");
        if (w.BiasHh is { } bh && !ShapeUtil.SameShape(bh.Shape, [gw]))
            throw new ArgumentException($"{where}: bias_hh must be ({gw}), got {ShapeUtil.Format(bh.Shape)}.");
    }

    /// <summary>
    /// Sequence lengths held in a tensor (N whole numbers, as Loom stores integers) as an array, checked
    /// against the batch size and the number of steps.
    /// </summary>
    public static int[] SequenceLengths(Tensor lengths, string layer = "RNN")
    {
        if (lengths.Rank != 1) throw new ArgumentException($"{layer}: sequence lengths must be a vector (N), got shape {ShapeUtil.Format(lengths.Shape)}.");
        var result = new int[lengths.Size];
        for (int i = 0; i < result.Length; i++)
        {
            float v = lengths.Data[i];
            if (v != MathF.Round(v) || v < 0 || v > int.MaxValue)
                throw new ArgumentException($"{layer}: sequence length {v} (entry {i}) is not a non-negative whole number.");
            result[i] = (int)v;
        }
        return result;
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

    /// <summary>A cell step is a one-step, one-layer sequence: the same fused kernels, T = 1.</summary>
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
        var r = Recurrent(cell, Reshape(x, 1, n, inSize), [new RecurrentWeights(weightIh, weightHh, biasIh, biasHh)], 1, false,
            h is null ? null : Reshape(h, 1, n, hidden), c is null ? null : Reshape(c, 1, n, hidden), layer: layer);
        return new RecurrentResult(r.Output, Reshape(r.H, n, hidden), r.C is null ? null : Reshape(r.C, n, hidden));
    }
}
