using System.Globalization;
using Loom.Kernels;

namespace Loom.Nn;

/// <summary>The non-linearity of an Elman RNN, as PyTorch's <c>nonlinearity='tanh'|'relu'</c>.</summary>
public enum RnnNonlinearity { Tanh, Relu }

/// <summary>An LSTM's state: hidden h and cell c, each (numLayers·D, N, H) for a layer or (N, H) for a cell.</summary>
public readonly record struct LstmState(Tensor H, Tensor C)
{
    public static implicit operator LstmState((Tensor H, Tensor C) state) => new(state.H, state.C);
}

/// <summary>
/// What <see cref="Rnn"/>, <see cref="Lstm"/> and <see cref="Gru"/> share: stacked layers, optional reverse
/// direction, batch-first layout, dropout between layers, PyTorch's parameter names
/// (<c>weight_ih_l0</c>, <c>bias_hh_l1_reverse</c>) and initialisation U(−1/√H, 1/√H).
/// <para>
/// Input x: (T, N, inputSize), or (N, T, inputSize) with <see cref="BatchFirst"/>, or unbatched
/// (T, inputSize). Output: (T, N, D·H) (or (N, T, D·H); unbatched (T, D·H)) with D = 2 when bidirectional,
/// the two directions side by side (forward first). States: (numLayers·D, N, H), layer-major
/// (unbatched (numLayers·D, H)). Through a <see cref="Module"/> reference, <see cref="Module.Forward(Tensor)"/>
/// returns only the output, so a recurrent layer fits in a <see cref="Sequential"/>; on a variable typed
/// <see cref="Lstm"/>, <see cref="Gru"/> or <see cref="Rnn"/>, <c>Forward(x)</c> picks the layer's own
/// overload and returns (output, final state).
/// </para>
/// <para>
/// Variable lengths: pass each sequence's valid length; steps past it leave the sequence's state
/// unchanged, give zero outputs (as <c>pad_packed_sequence</c>) and pass no gradient, and the reverse
/// direction starts at the sequence's own last valid step (as packed sequences in PyTorch). The output
/// keeps all T steps (<c>pad_packed_sequence(total_length=T)</c>).
/// </para>
/// </summary>
/// <para>
/// In a <see cref="Sequential"/> (always batch-first there) the layer follows Keras:
/// <see cref="ReturnSequences"/> false gives the final hidden state of the last layer, (N, D·H), both
/// directions side by side, instead of every step; <see cref="Stateful"/> carries the final state into the
/// next batch (detached: truncated backpropagation through time) until <see cref="Module.ResetStates"/>.
/// </para>
public abstract class RecurrentLayer : Module, ISequenceLayer
{
    private readonly RecurrentWeights[] _weights;
    private Tensor? _carriedH, _carriedC;

    /// <summary>Whether <see cref="Module.Forward(Tensor)"/> returns every step's output (default) or the last layer's final hidden state (N, D·H).</summary>
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
        int gates = new RecurrentShape(cell, 1, 1, 1, 1, false, false).GateCount * hiddenSize;
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
    public override Tensor Forward(Tensor x) => ((ISequenceLayer)this).Forward(x, null);

    /// <summary>As <see cref="Forward(Tensor)"/> for sequences of the given lengths.</summary>
    Tensor ISequenceLayer.Forward(Tensor x, int[]? lengths)
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

    /// <summary>Checks shapes against this layer, handles unbatched input and calls <see cref="Functional.Recurrent"/>.</summary>
    private protected RecurrentResult Run(Tensor x, Tensor? h0, Tensor? c0, int[]? lengths)
    {
        int states = NumLayers * NumDirections;
        string layout = BatchFirst ? "(N, T, {0})" : "(T, N, {0})";
        if ((x.Rank != 2 && x.Rank != 3) || x.Shape[^1] != InputSize)
            throw new ArgumentException($"{Label}: expected input {string.Format(CultureInfo.InvariantCulture, layout, InputSize)} or unbatched (T, {InputSize}), got {ShapeUtil.Format(x.Shape)}.");
        if (x.Rank == 2)
        {
            // Unbatched, (T, in) whatever BatchFirst says (as PyTorch): run it as a batch of one.
            int T = x.Shape[0];
            CheckState(h0, [states, HiddenSize], "hidden");
            CheckState(c0, [states, HiddenSize], "cell");
            var r = Functional.Recurrent(Cell, Functional.Reshape(x, T, 1, InputSize), _weights, NumLayers, Bidirectional,
                h0 is null ? null : Functional.Reshape(h0, states, 1, HiddenSize), c0 is null ? null : Functional.Reshape(c0, states, 1, HiddenSize),
                lengths, false, Dropout, Training, null, Label);
            return new RecurrentResult(Functional.Reshape(r.Output, T, NumDirections * HiddenSize), Functional.Reshape(r.H, states, HiddenSize),
                r.C is null ? null : Functional.Reshape(r.C, states, HiddenSize));
        }
        int n = x.Shape[BatchFirst ? 0 : 1];
        CheckState(h0, [states, n, HiddenSize], "hidden");
        CheckState(c0, [states, n, HiddenSize], "cell");
        return Functional.Recurrent(Cell, x, _weights, NumLayers, Bidirectional, h0, c0, lengths, BatchFirst, Dropout, Training, null, Label);
    }

    private void CheckState(Tensor? state, int[] expected, string what)
    {
        if (state is not null && !ShapeUtil.SameShape(state.Shape, expected))
            throw new ArgumentException($"{Label}: expected initial {what} state {ShapeUtil.Format(expected)}, got {ShapeUtil.Format(state.Shape)}.");
    }

    private protected int[] LengthsOf(Tensor lengths) => Functional.SequenceLengths(lengths, Label);

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

    /// <summary>Checks the shapes and lifts unbatched arguments to a batch of one.</summary>
    private protected (Tensor X, Tensor? H, Tensor? C, bool Unbatched) Prepare(Tensor x, Tensor? h, Tensor? c)
    {
        if ((x.Rank != 1 && x.Rank != 2) || x.Shape[^1] != InputSize)
            throw new ArgumentException($"{Label}: expected input (N, {InputSize}) or unbatched ({InputSize}), got {ShapeUtil.Format(x.Shape)}.");
        bool unbatched = x.Rank == 1;
        int[] stateShape = unbatched ? [HiddenSize] : [x.Shape[0], HiddenSize];
        foreach (var (state, what) in new[] { (h, "hidden"), (c, "cell") })
            if (state is not null && !ShapeUtil.SameShape(state.Shape, stateShape))
                throw new ArgumentException($"{Label}: expected {what} state {ShapeUtil.Format(stateShape)} for input {ShapeUtil.Format(x.Shape)}, got {ShapeUtil.Format(state.Shape)}.");
        if (!unbatched) return (x, h, c, false);
        return (Functional.Reshape(x, 1, InputSize), h is null ? null : Functional.Reshape(h, 1, HiddenSize),
            c is null ? null : Functional.Reshape(c, 1, HiddenSize), true);
    }

    /// <summary>Undoes <see cref="Prepare"/>'s lift for a result state.</summary>
    private protected Tensor Restore(Tensor state, bool unbatched) => unbatched ? Functional.Reshape(state, HiddenSize) : state;

    private protected string DescribeAs(string kind, string? extra = null) =>
        $"{kind}({InputSize}, {HiddenSize}{(BiasIh is null ? ", bias=False" : "")}{(extra is null ? "" : ", " + extra)})";
}
