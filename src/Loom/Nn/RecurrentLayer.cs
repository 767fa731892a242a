using System.Globalization;
using Loom.Kernels;

namespace Loom.Nn;

/// <summary>
/// What <see cref="Rnn"/>, <see cref="Lstm"/> and <see cref="Gru"/> share: stacked layers, optional reverse
/// direction, batch-first layout, dropout between layers, PyTorch's parameter names
/// (<c>weight_ih_l0</c>, <c>bias_hh_l1_reverse</c>) and initialisation U(−1/√H, 1/√H).
/// <para>
/// Input x: (T, N, inputSize), or (N, T, inputSize) with <see cref="BatchFirst"/>, or unbatched
/// (T, inputSize). Output: (T, N, D·H) (or (N, T, D·H); unbatched (T, D·H)) with D = 2 when bidirectional,
/// the two directions side by side (forward first). States: (numLayers·D, N, H), layer-major
/// (unbatched (numLayers·D, H)).
/// </para>
/// <para>
/// Two ways in. <see cref="Forward(Tensor, int[])"/> is the <see cref="Module"/> contract — a tensor in, a
/// tensor out, so the layer fits in a <see cref="Sequential"/> — and follows Keras: <see cref="ReturnSequences"/>
/// false gives the final hidden state of the last layer, (N, D·H), both directions side by side, instead of every
/// step; <see cref="Stateful"/> carries the final state into the next batch (detached: truncated backpropagation
/// through time) until <see cref="Module.ResetStates"/>. <c>Unroll(x, initialState, lengths)</c> (declared by each
/// layer with its own state type) is PyTorch's call: every step's output and the final state.
/// </para>
/// <para>
/// Variable lengths: pass each sequence's valid length; steps past it leave the sequence's state
/// unchanged, give zero outputs (as <c>pad_packed_sequence</c>) and pass no gradient, and the reverse
/// direction starts at the sequence's own last valid step (as packed sequences in PyTorch). The output
/// keeps all T steps (<c>pad_packed_sequence(total_length=T)</c>).
/// </para>
/// </summary>
public abstract class RecurrentLayer : Module
{
    private readonly RecurrentWeights[] _weights;
    private Tensor? _carriedH, _carriedC;

    /// <summary>Whether <see cref="Forward(Tensor, int[])"/> returns every step's output (default) or the last layer's final hidden state (N, D·H).</summary>
    public bool ReturnSequences { get; set; } = true;

    /// <summary>
    /// Whether the final state of one batch is the initial state of the next (Keras' <c>stateful</c>), for
    /// streams cut into consecutive chunks: row i of a batch continues row i of the batch before. The carried
    /// state is detached, so gradients flow back only within a chunk (truncated BPTT). It restarts at zero after
    /// <see cref="Module.ResetStates"/> or when the batch size changes.
    /// </summary>
    public bool Stateful { get; set; }

    public RecurrentCellKind Cell { get; }
    public int InputSize { get; }
    public int HiddenSize { get; }
    public int NumLayers { get; }
    public bool HasBias { get; }
    public bool BatchFirst { get; }

    /// <summary>Dropout probability on the outputs of every layer but the last, in training only.</summary>
    public float Dropout { get; }

    public bool Bidirectional { get; }
    public int NumDirections => Bidirectional ? 2 : 1;

    private protected RecurrentLayer(RecurrentCellKind cell, string kind, int inputSize, int hiddenSize, int numLayers, bool bias,
        bool batchFirst, float dropout, bool bidirectional)
    {
        if (inputSize <= 0 || hiddenSize <= 0)
            throw new ArgumentException($"{kind}: input_size and hidden_size must be positive, got {inputSize} and {hiddenSize}.");
        if (numLayers <= 0) throw new ArgumentException($"{kind}: num_layers must be positive, got {numLayers}.");
        if (!(dropout >= 0f && dropout < 1f)) throw new ArgumentOutOfRangeException(nameof(dropout), $"{kind}: dropout must be in [0, 1), got {dropout}.");
        (Cell, InputSize, HiddenSize, NumLayers, HasBias, BatchFirst, Dropout, Bidirectional) =
            (cell, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional);
        int gates = RecurrentShape.GateCountOf(cell) * hiddenSize;
        int dirs = NumDirections;
        _weights = new RecurrentWeights[numLayers * dirs];
        // PyTorch draws every parameter from U(−1/√H, 1/√H), in registration order.
        float bound = 1f / MathF.Sqrt(hiddenSize);
        Parameter Make(string name, params int[] shape) => RegisterParameter(name, Tensor.Uniform(-bound, bound, shape));
        for (int l = 0; l < numLayers; l++)
        {
            int layerInput = l == 0 ? inputSize : hiddenSize * dirs;
            for (int d = 0; d < dirs; d++)
            {
                string suffix = $"_l{l}{(d == 1 ? "_reverse" : "")}";
                var wih = Make("weight_ih" + suffix, gates, layerInput);
                var whh = Make("weight_hh" + suffix, gates, hiddenSize);
                var bih = bias ? Make("bias_ih" + suffix, gates) : null;
                var bhh = bias ? Make("bias_hh" + suffix, gates) : null;
                _weights[l * dirs + d] = new RecurrentWeights(wih, whh, bih, bhh);
            }
        }
    }

    /// <summary>The parameters of one layer and direction.</summary>
    public RecurrentWeights WeightsOf(int layer, bool reverse = false)
    {
        if (layer < 0 || layer >= NumLayers) throw new ArgumentOutOfRangeException(nameof(layer), $"{Label}: layer {layer} does not exist (num_layers={NumLayers}).");
        if (reverse && !Bidirectional) throw new ArgumentException($"{Label}: there is no reverse direction (bidirectional=False).");
        return _weights[layer * NumDirections + (reverse ? 1 : 0)];
    }

    /// <summary>
    /// Runs the network on full-length sequences from a zero (or, when <see cref="Stateful"/>, the carried)
    /// state and returns the output, or the final hidden state when not <see cref="ReturnSequences"/>.
    /// </summary>
    public override Tensor Forward(Tensor x) => Forward(x, null);

    /// <summary>As <see cref="Forward(Tensor)"/> for sequences of the given lengths (null: all full).</summary>
    public override Tensor Forward(Tensor x, int[]? lengths)
    {
        Tensor? h0 = null, c0 = null;
        int batch = x.Rank == 3 ? x.Shape[BatchFirst ? 0 : 1] : 1;
        if (Stateful && _carriedH is not null && _carriedH.Shape[^2] == batch && x.Rank == 3) (h0, c0) = (_carriedH, _carriedC);
        var r = Run(x, h0, c0, lengths);
        if (Stateful && x.Rank == 3) (_carriedH, _carriedC) = (r.H.Detach(), r.C?.Detach());
        if (ReturnSequences) return r.Output;
        // The last layer's states are the final D rows of h_n: (D, N, H) → (N, D·H), forward direction first.
        int dirs = NumDirections;
        var last = Functional.Narrow(r.H, 0, r.H.Shape[0] - dirs, dirs);
        if (x.Rank == 2) return Functional.Reshape(last, dirs * HiddenSize);
        return dirs == 1 ? Functional.Reshape(last, batch, HiddenSize) : Functional.Reshape(Functional.Permute(last, 1, 0, 2), batch, dirs * HiddenSize);
    }

    protected override void ResetState() => (_carriedH, _carriedC) = (null, null);

    /// <summary>
    /// Checks that x is this layer's input layout, lifts unbatched input (and states) to a batch of one, and calls
    /// <see cref="Functional.Recurrent"/>, which checks everything else (states, lengths) once.
    /// </summary>
    private protected RecurrentResult Run(Tensor x, Tensor? h0, Tensor? c0, int[]? lengths)
    {
        if ((x.Rank != 2 && x.Rank != 3) || x.Shape[^1] != InputSize)
        {
            string layout = string.Format(CultureInfo.InvariantCulture, BatchFirst ? "(N, T, {0})" : "(T, N, {0})", InputSize);
            throw new ArgumentException($"{Label}: expected input {layout} or unbatched (T, {InputSize}), got {ShapeUtil.Format(x.Shape)}.");
        }
        if (x.Rank == 3)
            return Functional.Recurrent(Cell, x, _weights, NumLayers, Bidirectional, h0, c0, lengths, BatchFirst, Dropout, Training, null, Label);

        // Unbatched, (T, in) whatever BatchFirst says (as PyTorch): run it as a batch of one.
        int T = x.Shape[0], states = NumLayers * NumDirections;
        var r = Functional.Recurrent(Cell, Functional.Reshape(x, T, 1, InputSize), _weights, NumLayers, Bidirectional,
            LiftState(h0, states, "hidden"), LiftState(c0, states, "cell"), lengths, false, Dropout, Training, null, Label);
        return new RecurrentResult(Functional.Reshape(r.Output, T, NumDirections * HiddenSize), Functional.Reshape(r.H, states, HiddenSize),
            r.C is null ? null : Functional.Reshape(r.C, states, HiddenSize));
    }

    /// <summary>An unbatched state (numLayers·D, H) as (numLayers·D, 1, H).</summary>
    private Tensor? LiftState(Tensor? state, int states, string what)
    {
        if (state is null) return null;
        if (!ShapeUtil.SameShape(state.Shape, [states, HiddenSize]))
            throw new ArgumentException($"{Label}: expected initial {what} state ({states}, {HiddenSize}), got {ShapeUtil.Format(state.Shape)}.");
        return Functional.Reshape(state, states, 1, HiddenSize);
    }

    /// <summary>
    /// Sequence lengths held in a tensor (N whole numbers, as Loom stores integers) as an array; the recurrent
    /// op checks them against the batch and the steps.
    /// </summary>
    private protected int[] LengthsOf(Tensor lengths)
    {
        if (lengths.Rank != 1) throw new ArgumentException($"{Label}: sequence lengths must be a vector (N), got shape {ShapeUtil.Format(lengths.Shape)}.");
        var result = new int[lengths.Size];
        for (int i = 0; i < result.Length; i++)
        {
            float v = lengths.Data[i];
            if (v != MathF.Round(v) || v < 0 || v > int.MaxValue)
                throw new ArgumentException($"{Label}: sequence length {v} (entry {i}) is not a non-negative whole number.");
            result[i] = (int)v;
        }
        return result;
    }

    /// <summary>PyTorch's repr: only the arguments that differ from their defaults.</summary>
    private protected string DescribeAs(string kind, string? extra = null)
    {
        var s = $"{kind}({InputSize}, {HiddenSize}";
        if (NumLayers != 1) s += $", num_layers={NumLayers}";
        if (extra is not null) s += ", " + extra;
        if (!HasBias) s += ", bias=False";
        if (BatchFirst) s += ", batch_first=True";
        if (Dropout != 0f) s += $", dropout={Dropout.ToString(CultureInfo.InvariantCulture)}";
        if (Bidirectional) s += ", bidirectional=True";
        return s + ")";
    }
}
