using System.Buffers;
using System.Globalization;
using System.Numerics.Tensors;
using Loom.Autograd;
using Loom.Kernels;

namespace Loom;

/// <summary>The checked sizes of one call of <see cref="Functional.Recurrent"/>.</summary>
internal sealed record RecurrentGeometry(RecurrentCellKind Cell, int Layers, int Directions, int Steps, int Batch, int InputSize, int HiddenSize, bool BatchFirst, string Layer)
{
    public bool IsLstm => Cell == RecurrentCellKind.Lstm;

    /// <summary>Rows of every per-step array: steps × sequences.</summary>
    public int Rows => Steps * Batch;

    /// <summary>Width of a layer's output: both directions side by side.</summary>
    public int OutputWidth => Directions * HiddenSize;

    /// <summary>Input width of layer <paramref name="l"/>.</summary>
    public int InputWidth(int l) => l == 0 ? InputSize : OutputWidth;

    /// <summary>The kernel's view of layer <paramref name="l"/>, direction <paramref name="d"/>.</summary>
    public RecurrentShape Shape(int l, int d) => new(Cell, Steps, Batch, InputWidth(l), HiddenSize, BatchFirst, d == 1);

    /// <summary>Checks every argument of the op once, naming <paramref name="layer"/>, and returns the sizes.</summary>
    public static RecurrentGeometry Check(RecurrentCellKind cell, Tensor x, IReadOnlyList<RecurrentWeights> weights, int numLayers, bool bidirectional,
        Tensor? h0, Tensor? c0, int[]? lengths, bool batchFirst, float dropout, string layer)
    {
        int D = bidirectional ? 2 : 1;
        if (numLayers <= 0 || weights.Count != numLayers * D)
            throw new ArgumentException($"{layer}: {weights.Count} weight sets given for {numLayers} layer(s) × {D} direction(s).");
        if (dropout < 0f || dropout >= 1f) throw new ArgumentOutOfRangeException(nameof(dropout), $"{layer}: dropout must be in [0, 1), got {dropout}.");
        if (weights[0].WeightHh.Rank != 2) throw new ArgumentException($"{layer}: weight_hh_l0 must be (G·H, H), got {ShapeUtil.Format(weights[0].WeightHh.Shape)}.");
        int G = RecurrentShape.GateCountOf(cell), H = weights[0].WeightHh.Shape[1];
        int inSize = weights[0].WeightIh.Rank == 2 ? weights[0].WeightIh.Shape[1] : -1;
        if (x.Rank != 3 || x.Shape[2] != inSize)
        {
            string layout = string.Format(CultureInfo.InvariantCulture, batchFirst ? "(N, T, {0})" : "(T, N, {0})", inSize);
            throw new ArgumentException($"{layer}: expected input {layout}, got {ShapeUtil.Format(x.Shape)}.");
        }
        int T = x.Shape[batchFirst ? 1 : 0], N = x.Shape[batchFirst ? 0 : 1];
        if (T == 0 || N == 0) throw new ArgumentException($"{layer}: input {ShapeUtil.Format(x.Shape)} has no steps or no sequences.");
        for (int l = 0; l < numLayers; l++)
            for (int d = 0; d < D; d++)
                CheckWeights(weights[l * D + d], G * H, H, l == 0 ? inSize : D * H, $"{layer}: layer {l}{(d == 1 ? " (reverse)" : "")}");
        int[] stateShape = [numLayers * D, N, H];
        if (h0 is not null && !ShapeUtil.SameShape(h0.Shape, stateShape))
            throw new ArgumentException($"{layer}: expected initial hidden state {ShapeUtil.Format(stateShape)}, got {ShapeUtil.Format(h0.Shape)}.");
        if (c0 is not null && cell != RecurrentCellKind.Lstm) throw new ArgumentException($"{layer}: only an LSTM has a cell state.");
        if (c0 is not null && !ShapeUtil.SameShape(c0.Shape, stateShape))
            throw new ArgumentException($"{layer}: expected initial cell state {ShapeUtil.Format(stateShape)}, got {ShapeUtil.Format(c0.Shape)}.");
        if (lengths is not null)
        {
            if (lengths.Length != N) throw new ArgumentException($"{layer}: {lengths.Length} sequence lengths for a batch of {N} (input {ShapeUtil.Format(x.Shape)}).");
            for (int n = 0; n < N; n++)
                if (lengths[n] < 0 || lengths[n] > T)
                    throw new ArgumentException($"{layer}: length {lengths[n]} of sequence {n} is outside [0, {T}] (input {ShapeUtil.Format(x.Shape)}).");
        }
        return new RecurrentGeometry(cell, numLayers, D, T, N, inSize, H, batchFirst, layer);
    }

    private static void CheckWeights(RecurrentWeights w, int gateWidth, int hidden, int inSize, string where)
    {
        if (!ShapeUtil.SameShape(w.WeightIh.Shape, [gateWidth, inSize]))
            throw new ArgumentException($"{where}: weight_ih must be ({gateWidth}, {inSize}), got {ShapeUtil.Format(w.WeightIh.Shape)}.");
        if (!ShapeUtil.SameShape(w.WeightHh.Shape, [gateWidth, hidden]))
            throw new ArgumentException($"{where}: weight_hh must be ({gateWidth}, {hidden}), got {ShapeUtil.Format(w.WeightHh.Shape)}.");
        if (w.BiasIh is { } bi && !ShapeUtil.SameShape(bi.Shape, [gateWidth]))
            throw new ArgumentException($"{where}: bias_ih must be ({gateWidth}), got {ShapeUtil.Format(bi.Shape)}.");
        if (w.BiasHh is { } bh && !ShapeUtil.SameShape(bh.Shape, [gateWidth]))
            throw new ArgumentException($"{where}: bias_hh must be ({gateWidth}), got {ShapeUtil.Format(bh.Shape)}.");
    }
}

/// <summary>
/// One forward pass of <see cref="Functional.Recurrent"/> and, when a gradient is wanted, its backward pass
/// through time: layer by layer, each direction one call of the fused <see cref="RecurrentKernel"/>.
/// <para>
/// Buffers. What backward reads — each direction's workspace (gates and states of every step) and the outputs
/// of the inner layers — is taken from the <see cref="BufferPool"/> when a gradient is wanted, so it goes back
/// when the step's scope ends whether or not backward ever runs (outside a scope it is ordinary memory).
/// Without a gradient the same buffers are scratch, rented from the shared array pool and returned before the
/// op returns. The output and final states are never pooled: a stateful layer carries h_n and c_n, detached,
/// into the next batch, past the end of the step's scope.
/// </para>
/// </summary>
internal sealed class RecurrentPass
{
    private readonly RecurrentGeometry _g;
    private readonly Tensor _x;
    private readonly IReadOnlyList<RecurrentWeights> _weights;
    private readonly Tensor? _h0, _c0;
    private readonly int[]? _lengths;
    private readonly float _dropout;
    private readonly bool _training;
    private readonly Rng? _rng;

    private readonly float[][] _layerInput, _layerOutput, _workspaces;
    private float[][]? _dropoutMasks;
    private float[]? _dhN, _dcN;
    private bool _backwardDone;

    public RecurrentPass(RecurrentGeometry geometry, Tensor x, IReadOnlyList<RecurrentWeights> weights, Tensor? h0, Tensor? c0, int[]? lengths,
        float dropout, bool training, Rng? rng)
    {
        (_g, _x, _weights, _h0, _c0, _lengths, _dropout, _training, _rng) = (geometry, x, weights, h0, c0, lengths, dropout, training, rng);
        _layerInput = new float[geometry.Layers][];
        _layerOutput = new float[geometry.Layers][];
        _workspaces = new float[geometry.Layers * geometry.Directions][];
    }

    private int StateSize => _g.Batch * _g.HiddenSize;

    /// <summary>Runs forward; records the backward nodes when a gradient is wanted.</summary>
    public RecurrentResult Run()
    {
        var inputs = new List<Tensor?> { _x, _h0, _c0 };
        foreach (var w in _weights) inputs.AddRange([w.WeightIh, w.WeightHh, w.BiasIh, w.BiasHh]);
        bool needGrad = GradMode.IsEnabled && inputs.Exists(t => t is { RequiresGrad: true });

        int[] stateShape = [_g.Layers * _g.Directions, _g.Batch, _g.HiddenSize];
        var output = Tensor.Zeros(_g.BatchFirst ? [_g.Batch, _g.Steps, _g.OutputWidth] : [_g.Steps, _g.Batch, _g.OutputWidth]);
        var hN = Tensor.Zeros(stateShape);
        var cN = _g.IsLstm ? Tensor.Zeros(stateShape) : null;
        Forward(output, hN, cN, needGrad);
        if (!needGrad)
        {
            foreach (var ws in _workspaces) ArrayPool<float>.Shared.Return(ws);
            for (int l = 0; l < _g.Layers - 1; l++) ArrayPool<float>.Shared.Return(_layerOutput[l]);
            return new RecurrentResult(output, hN, cN);
        }

        string name = _g.Layer;
        Graph.Record(output, name, [.. inputs], Backward);
        // The final states are parts of the same op: their backward hands their gradient to the output's node
        // (which runs after them, since they list the output as their input) instead of copying it.
        var hOut = Graph.Record(hN, name + ".h_n", [output], g => { Accumulate(ref _dhN, g); _ = output.GradBuffer(); });
        var cOut = cN is null ? null : Graph.Record(cN, name + ".c_n", [output], g => { Accumulate(ref _dcN, g); _ = output.GradBuffer(); });
        return new RecurrentResult(output, hOut, cOut);
    }

    private static void Accumulate(ref float[]? total, float[] g)
    {
        total ??= new float[g.Length];
        TensorPrimitives.Add(total, g, total);
    }

    /// <summary>A buffer backward will read: pooled with a gradient (see the class notes), scratch without.</summary>
    private static float[] Saved(int length, bool needGrad) => needGrad ? BufferPool.RentFloats(length) : ArrayPool<float>.Shared.Rent(length);

    private void Forward(Tensor output, Tensor hN, Tensor? cN, bool needGrad)
    {
        int rows = _g.Rows, width = _g.OutputWidth, H = _g.HiddenSize, stateSize = StateSize;
        bool drop = _training && _dropout > 0f && _g.Layers > 1;
        if (drop) _dropoutMasks = new float[_g.Layers - 1][];
        for (int l = 0; l < _g.Layers; l++)
        {
            int inSize = _g.InputWidth(l);
            _layerInput[l] = l == 0 ? _x.Data : _layerOutput[l - 1];
            _layerOutput[l] = l == _g.Layers - 1 ? output.Data : Saved(rows * width, needGrad);
            for (int d = 0; d < _g.Directions; d++)
            {
                int k = l * _g.Directions + d;
                var s = _g.Shape(l, d);
                int wsSize = RecurrentKernel.WorkspaceSize(s);
                _workspaces[k] = Saved(wsSize, needGrad);
                RecurrentKernel.Forward(s, _layerInput[l].AsSpan(0, rows * inSize), inSize, KernelWeights(_weights[k]),
                    _h0 is null ? default : _h0.Data.AsSpan(k * stateSize, stateSize),
                    _c0 is null ? default : _c0.Data.AsSpan(k * stateSize, stateSize),
                    _lengths, _layerOutput[l].AsSpan(d * H, rows * width - d * H), width,
                    hN.Data.AsSpan(k * stateSize, stateSize), cN is null ? default : cN.Data.AsSpan(k * stateSize, stateSize),
                    _workspaces[k].AsSpan(0, wsSize));
            }
            if (drop && l < _g.Layers - 1) ApplyDropout(l, rows * width);
        }
    }

    /// <summary>Inverted dropout on layer <paramref name="l"/>'s output, with the mask kept for backward.</summary>
    private void ApplyDropout(int l, int length)
    {
        var r = _rng ?? Rng.Default;
        float scale = 1f / (1f - _dropout);
        var mask = _dropoutMasks![l] = new float[length];
        r.FillKeepMask(mask, _dropout, scale);
        var o = _layerOutput[l].AsSpan(0, length);
        TensorPrimitives.Multiply(o, mask, o);
    }

    /// <summary>Backpropagation through time, from the last layer down; <paramref name="g"/> is the output's gradient.</summary>
    private void Backward(float[] g)
    {
        if (_backwardDone)
            throw new InvalidOperationException($"{_g.Layer}: backward through the same forward pass a second time; its saved buffers are released after the first. " +
                "A state carried from one batch to the next must be detached (state.Detach()) before it is fed back.");
        _backwardDone = true;
        int rows = _g.Rows, width = _g.OutputWidth, H = _g.HiddenSize, stateSize = StateSize;
        var pool = ArrayPool<float>.Shared;
        int scratchSize = RecurrentKernel.ScratchSize(_g.Shape(0, 0));
        var scratch = pool.Rent(scratchSize);
        float[] dOut = g;
        var dh0 = _h0?.GradBuffer();
        var dc0 = _c0?.GradBuffer();
        for (int l = _g.Layers - 1; l >= 0; l--)
        {
            int inSize = _g.InputWidth(l);
            float[]? dIn;
            if (l > 0)
            {
                dIn = pool.Rent(rows * width);
                Array.Clear(dIn, 0, rows * width);
            }
            else dIn = _x.GradBuffer();
            for (int d = 0; d < _g.Directions; d++)
            {
                int k = l * _g.Directions + d;
                var s = _g.Shape(l, d);
                var w = _weights[k];
                var grads = new CellGradients(GradSpan(w.WeightIh.GradBuffer()), GradSpan(w.WeightHh.GradBuffer()),
                    GradSpan(w.BiasIh?.GradBuffer()), GradSpan(w.BiasHh?.GradBuffer()));
                RecurrentKernel.Backward(s, _layerInput[l].AsSpan(0, rows * inSize), inSize, KernelWeights(w), _lengths,
                    _workspaces[k].AsSpan(0, RecurrentKernel.WorkspaceSize(s)),
                    dOut.AsSpan(d * H, rows * width - d * H), width,
                    _dhN is null ? default : _dhN.AsSpan(k * stateSize, stateSize),
                    _dcN is null ? default : _dcN.AsSpan(k * stateSize, stateSize),
                    dIn is null ? default : dIn.AsSpan(0, rows * inSize), inSize, grads,
                    dh0 is null ? default : dh0.AsSpan(k * stateSize, stateSize),
                    dc0 is null ? default : dc0.AsSpan(k * stateSize, stateSize),
                    scratch.AsSpan(0, scratchSize));
            }
            if (l < _g.Layers - 1) pool.Return(dOut);
            if (l > 0)
            {
                if (_dropoutMasks is not null)
                {
                    var di = dIn.AsSpan(0, rows * width);
                    TensorPrimitives.Multiply(di, _dropoutMasks[l - 1], di);
                }
                dOut = dIn!;
            }
        }
        pool.Return(scratch);
        _dhN = _dcN = null;
    }

    private static CellWeights KernelWeights(RecurrentWeights w) =>
        new(w.WeightIh.Data, w.WeightHh.Data, w.BiasIh is null ? default : w.BiasIh.Data, w.BiasHh is null ? default : w.BiasHh.Data);

    private static Span<float> GradSpan(float[]? a) => a is null ? default : a.AsSpan();
}
