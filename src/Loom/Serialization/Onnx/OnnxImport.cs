using System.Globalization;
using Loom.Data;
using Loom.IO;
using Loom.Kernels;
using Loom.Nn;
using Module = Loom.Nn.Module;

namespace Loom.Serialization.Onnx;

/// <summary>
/// Reads an ONNX model back into a trainable Loom model (its weights become parameters), as
/// <see cref="ModelFile.Load"/> does for <c>.onnx</c> files.
/// <para>
/// A file Loom exported carries its spec (<c>loom.spec</c>): the model is rebuilt from it and every parameter and
/// buffer is read from the graph's initializers (recurrent weights restacked back from ONNX's layout and gate
/// order). Any other file — <c>torch.onnx.export</c>'s — is read node by node into a chain of Loom layers: Conv,
/// pools, BatchNormalization, Gemm, MatMul + Add, Flatten, Gather (an embedding), activations, Transpose, and
/// LSTM/GRU/RNN with PyTorch's glue around them (zero initial states built from the input's shape, the
/// time-major transposes, Squeeze/Reshape of Y, h_n[-1]); a recurrent layer whose initial state is a graph input
/// becomes stateful. An operator or attribute outside this subset is an error naming the node, the operator and
/// what is supported.
/// </para>
/// </summary>
public static class OnnxImport
{
    /// <summary>The ONNX operators read from a graph that has no Loom spec.</summary>
    public static IReadOnlyList<string> SupportedOperators { get; } =
    [
        "Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "BatchNormalization", "Gemm", "MatMul", "Add", "Sub", "Div",
        "Flatten", "Reshape", "Gather", "Relu", "LeakyRelu", "Tanh", "Sigmoid", "Softmax", "LogSoftmax", "Transpose", "Squeeze", "Identity",
        "Dropout", "LSTM", "GRU", "RNN", "Constant", "Shape", "Unsqueeze", "Concat", "Slice", "Cast", "ConstantOfShape", "Expand",
    ];

    /// <summary>Loads <paramref name="path"/> within the default <see cref="ReaderLimits"/>; see <see cref="Load(string, ReaderLimits?)"/>.</summary>
    public static ModelFile.Loaded Load(string path) => Load(path, null);

    /// <summary>
    /// Loads <paramref name="path"/>; a truncated, corrupt or unsupported file, or one past <paramref name="limits"/>
    /// (the defaults when null), throws <see cref="InvalidDataException"/> naming it and what is wrong.
    /// </summary>
    /// <remarks>
    /// The limits are checked before anything is allocated for what the file claims: the file's size (at most 8 bytes
    /// per <see cref="ReaderLimits.MaxTotalParameters"/> plus <see cref="ReaderLimits.MaxJsonBytes"/>), the number of
    /// initializers (<see cref="ReaderLimits.MaxTensors"/>) and nodes (<see cref="ReaderLimits.MaxLayers"/>), each
    /// tensor's rank (<see cref="ReaderLimits.MaxRank"/>) and elements (<see cref="ReaderLimits.MaxElementsPerTensor"/>,
    /// and the bytes it holds), all tensors' elements together (<see cref="ReaderLimits.MaxTotalParameters"/>), each
    /// metadata value, the Loom spec among them (<see cref="ReaderLimits.MaxJsonBytes"/>), the input's elements
    /// (<see cref="ReaderLimits.MaxInputElements"/>), and each layer's weights before it is built. Nesting is fixed:
    /// the reader descends model → graph → node → attribute → tensor and never into a subgraph.
    /// </remarks>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not an ONNX model Loom reads, within <paramref name="limits"/>.</exception>
    public static ModelFile.Loaded Load(string path, ReaderLimits? limits)
    {
        ArgumentNullException.ThrowIfNull(path);
        // Messages from deeper down quote file content; the entry point lets out only clean, bounded ones.
        try { return LoadCore(path, limits ?? ReaderLimits.Default); }
        catch (InvalidDataException e) when (!IO.ErrorText.IsClean(e.Message)) { throw IO.ErrorText.Bounded(e); }
    }

    private static ModelFile.Loaded LoadCore(string path, ReaderLimits limits)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"Model file '{path}' does not exist.", path);
        long maxBytes = 8 * limits.MaxTotalParameters + limits.MaxJsonBytes;
        if (info.Length > maxBytes)
            throw new InvalidDataException($"'{path}' is {info.Length} bytes, more than an ONNX model within the limits can be (8 bytes per parameter of ReaderLimits.MaxTotalParameters = {limits.MaxTotalParameters}, plus ReaderLimits.MaxJsonBytes = {limits.MaxJsonBytes}; raise them to read such files).");
        OnnxModelProto proto;
        try
        {
            proto = OnnxModelProto.Parse(File.ReadAllBytes(path));
            CheckLimits(proto, limits);
        }
        catch (InvalidDataException e) { throw new InvalidDataException($"'{path}' is not a readable ONNX model: {e.Message}"); }
        try
        {
            var (model, spec) = proto.MetadataValue(OnnxExport.SpecKey) is { } specJson
                ? FromSpec(proto.Graph, ModelSpec.Parse(specJson, $"in '{path}'", limits), limits)
                : new GraphReader(proto.Graph, Path.GetFileNameWithoutExtension(path), limits).Read();
            var metadata = proto.Metadata.GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.First().Value);
            return new ModelFile.Loaded(model, spec, metadata, null, []);
        }
        catch (InvalidDataException e) { throw new InvalidDataException($"'{path}': {e.Message}"); }
    }

    /// <summary>
    /// What the parsed file claims, against <paramref name="limits"/>, before any tensor's values are decoded or any
    /// layer is built: counts of initializers and nodes, each tensor's rank, elements and bytes, all elements together,
    /// metadata and shapes of the graph's inputs and outputs.
    /// </summary>
    private static void CheckLimits(OnnxModelProto proto, ReaderLimits limits)
    {
        var g = proto.Graph;
        ReaderLimits.Check(g.Initializers.Count, limits.MaxTensors, "the number of initializers", nameof(ReaderLimits.MaxTensors), "the graph");
        ReaderLimits.Check(g.Nodes.Count, limits.MaxLayers, "the number of nodes", nameof(ReaderLimits.MaxLayers), "the graph");
        long total = 0;
        void Tensor(OnnxTensor t, string where)
        {
            string what = $"{where} '{IO.ErrorText.Clean(t.Name, 80)}'";
            ReaderLimits.Check(t.Dims.Length, limits.MaxRank, $"the rank of {what}", nameof(ReaderLimits.MaxRank), "the graph");
            long n = t.ElementCountUpTo(limits.MaxElementsPerTensor)
                ?? throw new InvalidDataException($"the graph: {what} of shape {t.ShapeText} has more than {limits.MaxElementsPerTensor} elements (ReaderLimits.MaxElementsPerTensor; raise it to read such files).");
            int size = t.ElementSize;
            if (size > 0 && t.Raw.Length != n * size)
                throw new InvalidDataException($"the graph: {what} of shape {t.ShapeText} holds {t.Raw.Length} bytes; {n} elements of type {t.DataType} need {n * size}.");
            total += n;
            if (total > limits.MaxTotalParameters)
                throw new InvalidDataException($"the graph: its tensors hold more than {limits.MaxTotalParameters} elements together (ReaderLimits.MaxTotalParameters; raise it to read such files).");
        }
        foreach (var t in g.Initializers) Tensor(t, "initializer");
        foreach (var node in g.Nodes)
            foreach (var a in node.Attributes)
                if (a.T is { } t) Tensor(t, $"the tensor of node '{IO.ErrorText.Clean(node.Name, 80)}'");
        foreach (var v in g.Inputs.Concat(g.Outputs))
            if (v.Shape is { } shape)
                ReaderLimits.Check(shape.Length, limits.MaxRank, $"the rank of graph value '{IO.ErrorText.Clean(v.Name, 80)}'", nameof(ReaderLimits.MaxRank), "the graph");
        foreach (var (key, value) in proto.Metadata)
            ReaderLimits.Check(value.Length, limits.MaxJsonBytes, $"the length of metadata value '{IO.ErrorText.Clean(key, 80)}'", nameof(ReaderLimits.MaxJsonBytes), "the model");
    }

    /// <summary>A Loom export: the spec's model, its state read from the initializers (the inverse of the exporter's naming).</summary>
    private static (Sequential, ModelSpec) FromSpec(OnnxGraph graph, ModelSpec spec, ReaderLimits limits)
    {
        var model = spec.Build(limits);
        var init = new Dictionary<string, OnnxTensor>();
        foreach (var t in graph.Initializers)
            if (!init.TryAdd(t.Name, t)) throw new InvalidDataException($"the graph has two initializers named '{IO.ErrorText.Clean(t.Name, 80)}'.");
        float[] Take(string name, int size)
        {
            if (!init.TryGetValue(name, out var t)) throw new InvalidDataException($"the graph has no initializer '{IO.ErrorText.Clean(name, 80)}', which its Loom spec needs.");
            long n = t.ElementCountUpTo(long.MaxValue) ?? -1;
            if (n != size) throw new InvalidDataException($"initializer '{IO.ErrorText.Clean(name, 80)}' of shape {t.ShapeText} holds {n} values, the model expects {size}.");
            return t.ToFloats();
        }
        foreach (var (path, m) in model.NamedModules())
        {
            string Name(string n) => path.Length == 0 ? n : $"{path}.{n}";
            switch (m)
            {
                case RecurrentLayer r:
                    for (int l = 0; l < r.NumLayers; l++)
                    {
                        var weights = Enumerable.Range(0, r.NumDirections).Select(d => r.WeightsOf(l, d == 1)).ToArray();
                        int gates = weights[0].WeightIh.Shape[0], input = weights[0].WeightIh.Shape[1];
                        var w = Take(Name($"W_l{l}"), r.NumDirections * gates * input);
                        var rw = Take(Name($"R_l{l}"), r.NumDirections * gates * r.HiddenSize);
                        var b = r.HasBias ? Take(Name($"B_l{l}"), r.NumDirections * 2 * gates) : null;
                        for (int d = 0; d < weights.Length; d++) SetRecurrent(r.Cell, weights[d], r.HiddenSize, w, rw, b, d);
                    }
                    break;
                case Linear lin when !init.ContainsKey(Name("weight")):
                    var wt = Take(Name("weight_t"), lin.Weight.Size);
                    for (int o = 0; o < lin.OutFeatures; o++)
                        for (int i = 0; i < lin.InFeatures; i++) lin.Weight.Data[o * lin.InFeatures + i] = wt[i * lin.OutFeatures + o];
                    if (lin.Bias is not null) Take(Name("bias"), lin.Bias.Size).CopyTo(lin.Bias.Data, 0);
                    break;
                case RecurrentLayer or Sequential or Residual or Concat:
                    break;
                default:
                    foreach (var (n, t) in m.StateDict())
                        if (!n.Contains('.', StringComparison.Ordinal) && !n.EndsWith("num_batches_tracked", StringComparison.Ordinal))
                            Take(Name(n), t.Size).CopyTo(t.Data, 0);
                    break;
            }
        }
        return (model, spec);
    }

    /// <summary>ONNX gate blocks (LSTM i,o,f,c; GRU z,r,h) of direction <paramref name="d"/> into Loom's (i,f,g,o; r,z,n).</summary>
    private static void SetRecurrent(RecurrentCellKind cell, RecurrentWeights target, int hidden, float[] w, float[] r, float[]? b, int d)
    {
        // Loom gate g sits at ONNX block position[g].
        int[] position = cell switch { RecurrentCellKind.Lstm => [0, 2, 3, 1], RecurrentCellKind.Gru => [1, 0, 2], _ => [0] };
        int gates = position.Length, input = target.WeightIh.Shape[1];
        for (int g = 0; g < gates; g++)
        {
            int src = position[g];
            Array.Copy(w, (d * gates + src) * hidden * input, target.WeightIh.Data, g * hidden * input, hidden * input);
            Array.Copy(r, (d * gates + src) * hidden * hidden, target.WeightHh.Data, g * hidden * hidden, hidden * hidden);
            if (b is null) continue;
            int dirBase = d * 2 * gates * hidden;
            Array.Copy(b, dirBase + src * hidden, target.BiasIh!.Data, g * hidden, hidden);
            Array.Copy(b, dirBase + (gates + src) * hidden, target.BiasHh!.Data, g * hidden, hidden);
        }
    }

    /// <summary>What an ONNX value is, as far as building a chain of layers goes.</summary>
    private abstract record Val;
    private sealed record Const(OnnxTensor T) : Val;
    /// <summary>The main activation, batch-first, of this rank.</summary>
    private sealed record Main(int Rank, int Pos) : Val;

    /// <summary>
    /// The output of a finished branch: the layers a node after it cut off when it read the value the branch started
    /// from (<c>Fork</c>, a count of layers). Only a Concat of the branches of that fork may read it.
    /// </summary>
    private sealed record BranchOut(int Fork, int Index, int Rank) : Val;

    /// <summary>A value inside a finished branch, other than its output: a DAG Loom's containers cannot hold.</summary>
    private sealed record Stale : Val;
    /// <summary>The main (N, T, F) activation transposed to (T, N, F), before a recurrent node reads it.</summary>
    private sealed record TimeMajor : Val;
    /// <summary>Numbers derived from the activation's shape (the batch size), for building zero states.</summary>
    private sealed record ShapeDerived : Val;
    private sealed record Zeros : Val;
    /// <summary>A graph input that is a recurrent layer's initial state (a stateful layer).</summary>
    private sealed record StateInput : Val;
    /// <summary>Y of recurrent group g: (T, D, N, H); Joined: (T, N, D, H); Seq: (T, N, D·H).</summary>
    private sealed record RecY(Group G, int Stage) : Val;
    /// <summary>Y_h / Y_c of recurrent group g (D, N, H); Transposed: (N, D, H).</summary>
    private sealed record RecH(Group G, bool Transposed) : Val;
    /// <summary>An output nothing in the model reads (a final cell state, a state output).</summary>
    private sealed record Unused : Val;

    /// <summary>Stacked recurrent nodes that become one Loom layer.</summary>
    private sealed class Group(RecurrentCellKind cell, int input, int hidden, bool bidirectional, bool bias, bool stateful)
    {
        public RecurrentCellKind Cell { get; } = cell;
        public int Input { get; } = input;
        public int Hidden { get; } = hidden;
        public bool Bidirectional { get; } = bidirectional;
        public bool Bias { get; } = bias;
        public bool Stateful { get; set; } = stateful;
        public List<(float[] W, float[] R, float[]? B)> Layers { get; } = [];
        public bool Emitted { get; set; }
    }

    private sealed class GraphReader(OnnxGraph graph, string name, ReaderLimits limits)
    {
        private readonly Dictionary<string, Val> _values = [];
        private readonly List<Module> _layers = [];

        /// <summary>Finished branches by the layer count they started at (their fork), in the order they were read.</summary>
        private readonly Dictionary<int, List<List<Module>>> _branches = [];
        private float[]? _mean, _std;
        private string _output = "";
        private OnnxNode _node = new();

        public (Sequential, ModelSpec) Read()
        {
            foreach (var t in graph.Initializers) _values[t.Name] = new Const(t);
            var inputs = graph.Inputs.Where(i => !_values.ContainsKey(i.Name)).ToList();
            if (inputs.Count == 0) throw new InvalidDataException("the graph has no input.");
            var main = inputs[0];
            int rank = main.Shape?.Length ?? throw new InvalidDataException($"graph input '{main.Name}' has no shape.");
            _values[main.Name] = new Main(rank, 0);
            foreach (var extra in inputs.Skip(1)) _values[extra.Name] = new StateInput();
            if (graph.Outputs.Count == 0) throw new InvalidDataException("the graph has no output.");
            _output = graph.Outputs[0].Name;
            foreach (var node in graph.Nodes)
            {
                _node = node;
                // A layer's constructor refuses sizes, strides and axes no layer can have (ArgumentException): the
                // node's values are at fault, so it is the node's error.
                try { Step(node); }
                catch (ArgumentException e) { throw Unsupported($"its attributes or weights make no valid layer ({IO.ErrorText.Clean(e.Message)})"); }
            }
            if (_branches.Count > 0)
                throw new InvalidDataException($"the graph branches after layer {_branches.Keys.Min()} and the branches are never joined by a Concat.");
            if (!_values.TryGetValue(_output, out var y) || y is not Main) throw new InvalidDataException($"the graph's output '{_output}' is not computed from its input by the layers Loom reads.");
            var model = new Sequential(_layers.ToArray());
            var outShape = graph.Outputs[0].Shape ?? [];
            int classes = outShape.Length > 0 && outShape[^1].Value is long c ? (c is >= 1 and <= int.MaxValue ? (int)c : throw new InvalidDataException($"output '{IO.ErrorText.Clean(_output, 80)}' has {c} classes; expected 1 or more."))
                : throw new InvalidDataException($"output '{IO.ErrorText.Clean(_output, 80)}' has no fixed class count.");
            bool perStep = outShape.Length == 3;
            bool stateful = model.Layers.OfType<RecurrentLayer>().Any(r => r.Stateful);
            var sample = main.Shape!.Skip(1).Select(d => d.Value is long v ? (v is >= 1 and <= int.MaxValue ? (int)v
                : throw new InvalidDataException($"graph input '{IO.ErrorText.Clean(main.Name, 80)}' has dimension {v}; expected 1 or more.")) : 16).ToArray();
            ReaderLimits.Check(sample.Aggregate(1L, (a, d) => Math.Min(a * d, long.MaxValue / int.MaxValue)), limits.MaxInputElements,
                $"the element count of one sample of graph input '{IO.ErrorText.Clean(main.Name, 80)}'", nameof(ReaderLimits.MaxInputElements), "the graph");
            var spec = new ModelSpec
            {
                Name = string.IsNullOrEmpty(graph.Name) || graph.Name.StartsWith("torch", StringComparison.Ordinal) || graph.Name == "main_graph" ? name : graph.Name,
                Task = perStep ? (stateful ? TaskKind.LanguageModel : TaskKind.Tag) : TaskKind.Classify,
                InputShape = sample,
                Classes = classes,
                NormalizeMean = _mean,
                NormalizeStd = _std,
            };
            // A layer the graph gives that a spec cannot state (a Conv2d with a 3×1 stride, say) is the file's limit, not a bug.
            try { spec = spec with { Layers = LayerRegistry.DescribeLayers(model) }; }
            catch (ArgumentException e) { throw new InvalidDataException($"the layers read from the graph cannot be written as a Loom spec: {IO.ErrorText.Clean(e.Message)}"); }
            // The check pass allocates the activations of one sample: estimated against the limits first.
            SpecBudget.Check(spec, limits);
            try { spec.Check(model); }
            catch (InvalidDataException e) { throw new InvalidDataException($"the layers read from the graph do not fit together: {e.Message}"); }
            return (model, spec);
        }

        private InvalidDataException Unsupported(string what) => new(
            $"node '{_node.Name}' ({_node.OpType}): {what}. Loom reads {string.Join(", ", SupportedOperators)} (see docs/interop.md).");

        private Val In(int i)
        {
            if (i >= _node.Inputs.Count || _node.Inputs[i].Length == 0) return new Unused();
            return _values.TryGetValue(_node.Inputs[i], out var v) ? v : throw Unsupported($"input '{_node.Inputs[i]}' is not computed before it is used");
        }

        private bool Has(int i) => i < _node.Inputs.Count && _node.Inputs[i].Length > 0;

        /// <summary>A 64-bit value of the file where a layer takes a 32-bit one: outside that range it is the node's error, not a wrapped number.</summary>
        private int I32(long v, string what) => v is >= int.MinValue and <= int.MaxValue ? (int)v : throw Unsupported($"{what} is {v}, outside the 32-bit range");

        /// <summary>A constant of one of the <paramref name="ranks"/>, before its dimensions are read.</summary>
        private OnnxTensor Ranked(OnnxTensor t, string what, params int[] ranks) =>
            ranks.Contains(t.Dims.Length) ? t : throw Unsupported($"{what} has shape {t.ShapeText}; expected rank {string.Join(" or ", ranks)}");

        /// <summary>An attribute list of exactly <paramref name="length"/> entries.</summary>
        private long[] Sized(long[] values, int length, string attr) =>
            values.Length == length ? values : throw Unsupported($"attribute '{attr}' has {values.Length} entries; expected {length}");

        private long _parameters;

        /// <summary>
        /// Counts a layer's weights against the limits before it is built: a file may use one initializer in many
        /// nodes, so the initializers' total alone does not bound the model.
        /// </summary>
        private void Reserve(double weights)
        {
            if (weights > limits.MaxElementsPerTensor * 4.0)
                throw Unsupported($"its layer would hold about {weights:G3} weights, above the limit of ReaderLimits.MaxElementsPerTensor = {limits.MaxElementsPerTensor} per tensor");
            _parameters += (long)weights;
            if (_parameters > limits.MaxTotalParameters)
                throw Unsupported($"the layers read so far would hold {_parameters} weights, above the limit of ReaderLimits.MaxTotalParameters = {limits.MaxTotalParameters}");
        }

        private OnnxTensor ConstIn(int i, string what) => In(i) is Const c ? c.T : throw Unsupported($"{what} must be a constant (an initializer)");

        private long Int(string attr, long fallback) => _node.Attribute(attr) is { } a ? a.I : fallback;

        private float Float(string attr, float fallback) => _node.Attribute(attr) is { } a ? a.F : fallback;

        private long[] Ints(string attr, long[] fallback) => _node.Attribute(attr) is { } a ? [.. a.Ints] : fallback;

        private void Set(Val v, int output = 0) { if (output < _node.Outputs.Count && _node.Outputs[output].Length > 0) _values[_node.Outputs[output]] = v; }

        /// <summary>A value computed by all the layers read so far.</summary>
        private Main Here(int rank) => new(rank, _layers.Count);

        private void Emit(Module m, int rank)
        {
            _layers.Add(m);
            Set(Here(rank));
        }

        private void Allow(params string[] attributes)
        {
            foreach (var a in _node.Attributes)
                if (!attributes.Contains(a.Name)) throw Unsupported($"attribute '{a.Name}' is not supported (supported here: {(attributes.Length == 0 ? "none" : string.Join(", ", attributes))})");
        }

        private void Step(OnnxNode node)
        {
            var inputs = Enumerable.Range(0, node.Inputs.Count).Select(In).ToArray();
            bool anyMain = inputs.Any(v => v is Main or TimeMajor or RecY or RecH);
            switch (node.OpType)
            {
                case "Constant":
                    Set(node.Attribute("value")?.T is { } t ? new Const(t) : throw Unsupported("only a tensor 'value' is supported"));
                    return;
                case "Identity":
                case "Dropout":
                    Set(inputs.Length > 0 ? inputs[0] : new Unused());
                    return;
            }
            // Shape arithmetic and zero states: PyTorch builds h0 = zeros(L·D, N, H) from the input's batch size.
            if (inputs.Any(v => v is ShapeDerived) || node.OpType == "Shape")
            {
                Set(node.OpType is "ConstantOfShape" or "Expand" ? new Zeros() : new ShapeDerived());
                return;
            }
            if (inputs.Length > 0 && inputs[0] is Zeros or StateInput && node.OpType is "Slice" or "Gather" or "Squeeze" or "Unsqueeze")
            {
                Set(inputs[0]);
                return;
            }
            if (!anyMain)
            {
                if (inputs.All(v => v is Const) && node.OpType is "Unsqueeze" or "Concat" or "Cast" or "Squeeze" or "Reshape" or "Gather")
                {
                    Set(new ShapeDerived());
                    return;
                }
                if (node.Outputs.All(o => graph.Outputs.Any(g => g.Name == o) && o != _output) || inputs.All(v => v is Unused)) { Set(new Unused()); return; }
                throw Unsupported("it computes something Loom does not read outside the layers");
            }
            if (inputs.Any(v => v is Stale)) throw Unsupported("it reads a value inside a branch that another branch has left behind; Loom reads Residual (x + body(x)) and Concat of branches that start at one value");
            if (node.OpType == "Add" && inputs.Length == 2 && inputs.All(v => v is Main or BranchOut)) { AddResidual(inputs); return; }
            if (node.OpType == "Concat" && inputs.Any(v => v is BranchOut)) { ConcatBranches(inputs); return; }
            if (inputs.OfType<Main>().FirstOrDefault(m => m.Pos < _layers.Count) is { } fork) inputs = Fork(fork, inputs);
            // An input a node leaves out reads as unused (a file may leave out any, and a node below reads up to the seventh).
            if (inputs.Length < 8) inputs = [.. inputs, .. Enumerable.Repeat<Val>(new Unused(), 8 - inputs.Length)];
            switch (node.OpType)
            {
                case "Sub" or "Div" when _layers.Count == 0 && inputs[0] is Main { Rank: 4 } && inputs[1] is Const c:
                    // Normalisation at the start of the graph (as Loom exports it): it goes back into the spec.
                    if (node.OpType == "Sub") _mean = c.T.ToFloats(); else _std = c.T.ToFloats();
                    Set(inputs[0]);
                    return;
                case "Conv": Conv(inputs); return;
                case "Relu": Allow(); Emit(new Relu(), Rank(inputs[0])); return;
                case "LeakyRelu": Allow("alpha"); Emit(new LeakyRelu(Float("alpha", 0.01f)), Rank(inputs[0])); return;
                case "Tanh": Allow(); Emit(new Tanh(), Rank(inputs[0])); return;
                case "Sigmoid": Allow(); Emit(new Sigmoid(), Rank(inputs[0])); return;
                case "Softmax": Allow("axis"); Emit(new Softmax(I32(Int("axis", -1), "axis")), Rank(inputs[0])); return;
                case "LogSoftmax": Allow("axis"); Emit(new LogSoftmax(I32(Int("axis", -1), "axis")), Rank(inputs[0])); return;
                case "MaxPool" or "AveragePool": Pool(inputs[0]); return;
                case "GlobalAveragePool": Allow(); Emit(Rank(inputs[0]) == 4 ? new AdaptiveAvgPool2d(1) : new AdaptiveAvgPool1d(1), Rank(inputs[0])); return;
                case "GlobalMaxPool" when Rank(inputs[0]) == 3: Allow(); Emit(new AdaptiveMaxPool1d(1), 3); return;
                case "BatchNormalization": BatchNorm(inputs[0]); return;
                case "Flatten":
                    Allow("axis");
                    if (Int("axis", 1) != 1) throw Unsupported("only axis=1 is supported");
                    Emit(new Flatten(), 2);
                    return;
                case "Gemm": Gemm(inputs); return;
                case "MatMul": MatMul(inputs); return;
                case "Add": AddBias(inputs); return;
                case "Gather" when inputs[0] is Const w && inputs[1] is Main { Rank: 2 }:
                    Allow("axis");
                    if (w.T.Dims.Length != 2 || Int("axis", 0) != 0) throw Unsupported("an embedding is a Gather along axis 0 of a 2-D table");
                    Reserve(w.T.Dims[0] * (double)w.T.Dims[1]);
                    var e = new Embedding(I32(w.T.Dims[0], "the table's rows"), I32(w.T.Dims[1], "the table's width"));
                    w.T.ToFloats().CopyTo(e.Weight.Data, 0);
                    Emit(e, 3);
                    return;
                case "Gather" when inputs[0] is RecH h && !h.Transposed:
                    // h_n[-1]: the last layer's final state (one direction).
                    long[] indices = ConstIn(1, "the state index").ToInt64s();
                    if (indices.Length != 1) throw Unsupported($"the state index holds {indices.Length} values; expected one");
                    long index = indices[0];
                    if (h.G.Bidirectional || (index != -1 && index != h.G.Layers.Count - 1)) throw Unsupported("only h_n[-1] of a one-direction layer is read");
                    Finish(h.G, returnSequences: false);
                    return;
                case "Transpose": Transpose(inputs[0]); return;
                case "Squeeze" when inputs[0] is RecY { Stage: 0 } y && !y.G.Bidirectional:
                    Set(new RecY(y.G, 2));
                    return;
                case "Reshape": Reshape(inputs); return;
                case "LSTM" or "GRU" or "RNN": Recurrent(inputs); return;
            }
            throw Unsupported("this operator (or this use of it) is not supported");
        }

        private int Rank(Val v) => v is Main m ? m.Rank : throw Unsupported("it reads a recurrent layer's raw output");

        /// <summary>
        /// A node reads a value from before the last layers: those layers were a branch from that value. They are cut off
        /// and kept as a finished branch; its output becomes a <see cref="BranchOut"/> and the values inside it stale.
        /// </summary>
        private Val[] Fork(Main from, Val[] inputs)
        {
            int start = from.Pos, end = _layers.Count;
            if (!_branches.TryGetValue(start, out var list)) _branches[start] = list = [];
            if (_branches.Keys.Any(k => k > start))
                throw Unsupported("it starts a branch from before a branch that is not joined yet; Loom reads Residual and Concat blocks one inside another, not crossing");
            list.Add(_layers.GetRange(start, end - start));
            _layers.RemoveRange(start, end - start);
            foreach (var key in _values.Keys.ToList())
                if (_values[key] is Main m && m.Pos > start)
                    _values[key] = m.Pos == end ? new BranchOut(start, list.Count - 1, m.Rank) : new Stale();
            return [.. inputs.Select(v => v is Main m && m.Pos > start ? (m.Pos == end ? new BranchOut(start, list.Count - 1, m.Rank) : new Stale()) : v)];
        }

        /// <summary>
        /// <c>Add(x, body(x))</c> (either order): the layers read since <c>x</c> become a <see cref="Residual"/>. Anything
        /// else that adds two computed values (a shortcut with layers of its own) has no Loom container and is refused.
        /// </summary>
        private void AddResidual(Val[] inputs)
        {
            Allow();
            if (inputs[0] is not Main a || inputs[1] is not Main b || a.Pos == b.Pos)
                throw Unsupported("it adds two branches that each have layers (a shortcut with a projection, say); Loom's Residual adds a block's input to its body, x + body(x)");
            var (x, body) = a.Pos < b.Pos ? (a, b) : (b, a);
            if (body.Pos != _layers.Count || _branches.Keys.Any(k => k >= x.Pos))
                throw Unsupported("it adds values that are not a block's input and the block's last output; Loom's Residual is x + body(x)");
            var layers = _layers.GetRange(x.Pos, body.Pos - x.Pos);
            _layers.RemoveRange(x.Pos, layers.Count);
            Emit(new Residual([.. layers]), body.Rank);
        }

        /// <summary>
        /// <c>Concat</c> of branches that all start at one value: the finished branches of that fork and the one being
        /// read become a <see cref="Loom.Nn.Concat"/> of one Sequential each, in the node's input order.
        /// </summary>
        private void ConcatBranches(Val[] inputs)
        {
            Allow("axis");
            int fork = inputs.OfType<BranchOut>().First().Fork;
            var finished = _branches[fork];
            var current = inputs.OfType<Main>().ToList();
            bool fits = inputs.All(v => v is BranchOut o ? o.Fork == fork : v is Main m && m.Pos == _layers.Count && m.Pos > fork)
                && current.Count <= 1 && inputs.OfType<BranchOut>().Select(o => o.Index).Distinct().Count() + current.Count == inputs.Length
                && inputs.Length == finished.Count + current.Count;
            if (!fits || _branches.Keys.Any(k => k > fork))
                throw Unsupported("it concatenates values that are not the branches of one value, each once; Loom's Concat runs branches side by side on one input");
            var tail = _layers.GetRange(fork, _layers.Count - fork);
            _layers.RemoveRange(fork, tail.Count);
            _branches.Remove(fork);
            var branches = inputs.Select(v => (Module)new Sequential(v is BranchOut o ? [.. finished[o.Index]] : [.. tail])).ToArray();
            int rank = inputs[0] is BranchOut first ? first.Rank : ((Main)inputs[0]).Rank;
            Emit(new Concat(I32(Int("axis", 1), "axis"), branches), rank);
        }

        private void Conv(Val[] inputs)
        {
            Allow("kernel_shape", "strides", "pads", "dilations", "group", "auto_pad");
            if (_node.Attribute("auto_pad") is { } ap && ap.S != "NOTSET") throw Unsupported($"auto_pad={ap.S} is not supported (only explicit pads)");
            var w = Ranked(ConstIn(1, "the weight"), "the weight", 3, 4);
            int rank = Rank(inputs[0]), spatial = w.Dims.Length - 2;
            long[] strides = Sized(Ints("strides", [.. Enumerable.Repeat(1L, spatial)]), spatial, "strides"), dil = Sized(Ints("dilations", [.. Enumerable.Repeat(1L, spatial)]), spatial, "dilations");
            long[] pads = Sized(Ints("pads", new long[2 * spatial]), 2 * spatial, "pads");
            int groups = I32(Int("group", 1), "group"), outC = I32(w.Dims[0], "the output channels"), inC = I32(w.Dims[1] * (long)Math.Max(groups, 0), "the input channels");
            foreach (long v in strides.Concat(dil).Concat(pads)) I32(v, "a stride, dilation or pad");
            foreach (long v in w.Dims.Skip(2)) I32(v, "the kernel size");
            bool bias = Has(2);
            Reserve(w.ElementCount + (double)outC);
            Module m;
            Tensor weight; Tensor? b;
            if (spatial == 2)
            {
                if (pads[0] != pads[2] || pads[1] != pads[3]) throw Unsupported("asymmetric 2-D pads are not supported");
                var conv = new Conv2d(inC, outC, ((int)w.Dims[2], (int)w.Dims[3]), ((int)strides[0], (int)strides[1]), ((int)pads[0], (int)pads[1]), ((int)dil[0], (int)dil[1]), groups, bias);
                (m, weight, b) = (conv, conv.Weight, conv.Bias);
            }
            else if (spatial == 1 && pads[0] == pads[1])
            {
                var conv = new Conv1d(inC, outC, (int)w.Dims[2], (int)strides[0], (int)pads[0], (int)dil[0], groups, bias);
                (m, weight, b) = (conv, conv.Weight, conv.Bias);
            }
            else if (spatial == 1 && pads[1] == 0 && pads[0] == dil[0] * (w.Dims[2] - 1))
            {
                var conv = new CausalConv1d(inC, outC, (int)w.Dims[2], (int)strides[0], (int)dil[0], groups, bias);
                (m, weight, b) = (conv, conv.Weight, conv.Bias);
            }
            else throw Unsupported($"a {spatial}-D convolution with pads [{string.Join(", ", pads)}] is not supported (1-D or 2-D, symmetric or causal pads)");
            w.ToFloats().CopyTo(weight.Data, 0);
            if (b is not null)
            {
                var values = ConstIn(2, "the bias").ToFloats();
                if (values.Length != b.Size) throw Unsupported($"the bias holds {values.Length} values for {b.Size} output channels");
                values.CopyTo(b.Data, 0);
            }
            Emit(m, rank);
        }

        private void Pool(Val x)
        {
            bool max = _node.OpType == "MaxPool";
            Allow(max ? ["kernel_shape", "strides", "pads", "dilations", "ceil_mode", "auto_pad", "storage_order"] : ["kernel_shape", "strides", "pads", "ceil_mode", "auto_pad", "count_include_pad"]);
            if (Int("ceil_mode", 0) != 0) throw Unsupported("ceil_mode=1 is not supported");
            var k = Ints("kernel_shape", []);
            var s = Ints("strides", k.Select(_ => 1L).ToArray());
            var p = Ints("pads", new long[2 * k.Length]);
            var d = Ints("dilations", k.Select(_ => 1L).ToArray());
            if (k.Distinct().Count() != 1 || s.Distinct().Count() != 1 || p.Distinct().Count() != 1 || d.Distinct().Count() != 1)
                throw Unsupported("only square kernels, strides, pads and dilations are supported");
            int kk = I32(k[0], "kernel_shape"), ss = I32(s[0], "strides"), pp = I32(p[0], "pads"), dd = I32(d[0], "dilations");
            bool include = Int("count_include_pad", 0) != 0;
            Module m = (k.Length, max) switch
            {
                (2, true) => new MaxPool2d(kk, ss, pp, dd),
                (2, false) => new AvgPool2d(kk, ss, pp, include),
                (1, true) => new MaxPool1d(kk, ss, pp, dd),
                (1, false) => new AvgPool1d(kk, ss, pp, include),
                _ => throw Unsupported("only 1-D and 2-D pooling is supported"),
            };
            Emit(m, Rank(x));
        }

        private void BatchNorm(Val x)
        {
            Allow("epsilon", "momentum", "training_mode");
            if (Int("training_mode", 0) != 0) throw Unsupported("training_mode=1 is not supported");
            var scale = ConstIn(1, "the scale").ToFloats();
            int rank = Rank(x);
            var rest = new[] { (2, "the bias"), (3, "the mean"), (4, "the variance") }.Select(p => ConstIn(p.Item1, p.Item2).ToFloats()).ToArray();
            if (rest.Any(v => v.Length != scale.Length))
                throw Unsupported($"the scale, bias, mean and variance hold {scale.Length}, {string.Join(", ", rest.Select(v => v.Length))} values; expected one per channel each");
            Reserve(4.0 * scale.Length);
            BatchNorm bn = rank == 4 ? new BatchNorm2d(scale.Length, Float("epsilon", 1e-5f)) : new BatchNorm1d(scale.Length, Float("epsilon", 1e-5f));
            scale.CopyTo(bn.Weight!.Data, 0);
            rest[0].CopyTo(bn.Bias!.Data, 0);
            rest[1].CopyTo(bn.RunningMean.Data, 0);
            rest[2].CopyTo(bn.RunningVar.Data, 0);
            Emit(bn, rank);
        }

        private void Gemm(Val[] inputs)
        {
            Allow("alpha", "beta", "transA", "transB");
            if (Float("alpha", 1) != 1 || Float("beta", 1) != 1 || Int("transA", 0) != 0) throw Unsupported("only alpha=1, beta=1, transA=0 is supported");
            var w = Ranked(ConstIn(1, "the weight"), "the weight", 2);
            bool transB = Int("transB", 0) != 0;
            int outF = I32(transB ? w.Dims[0] : w.Dims[1], "the output features"), inF = I32(transB ? w.Dims[1] : w.Dims[0], "the input features");
            Reserve(w.ElementCount + (double)outF);
            var lin = new Linear(inF, outF, Has(2));
            SetWeight(lin, w.ToFloats(), transposed: !transB);
            if (lin.Bias is not null)
            {
                var values = ConstIn(2, "the bias").ToFloats();
                if (values.Length != outF) throw Unsupported($"the bias holds {values.Length} values for {outF} outputs");
                values.CopyTo(lin.Bias.Data, 0);
            }
            Emit(lin, 2);
        }

        private void SetWeight(Linear lin, float[] w, bool transposed)
        {
            if (!transposed) { w.CopyTo(lin.Weight.Data, 0); return; }
            for (int o = 0; o < lin.OutFeatures; o++)
                for (int i = 0; i < lin.InFeatures; i++) lin.Weight.Data[o * lin.InFeatures + i] = w[i * lin.OutFeatures + o];
        }

        private Linear? _matmul;

        /// <summary>x · W (W: (in, out)) is a Linear without bias until an Add of a constant gives it one.</summary>
        private void MatMul(Val[] inputs)
        {
            Allow();
            var w = ConstIn(1, "the weight");
            if (w.Dims.Length != 2) throw Unsupported("only a 2-D constant right-hand side is supported");
            Reserve(w.ElementCount + (double)w.Dims[1]);
            var lin = new Linear(I32(w.Dims[0], "the input features"), I32(w.Dims[1], "the output features"), bias: true);
            SetWeight(lin, w.ToFloats(), transposed: true);
            Array.Clear(lin.Bias!.Data);
            _matmul = lin;
            Emit(lin, Rank(inputs[0]));
        }

        private void AddBias(Val[] inputs)
        {
            Allow();
            int c = inputs[0] is Const ? 0 : 1;
            if (inputs[c] is not Const bias || inputs[1 - c] is not Main m || _matmul is null || _layers[^1] != _matmul)
                throw Unsupported("only a constant bias after a MatMul is supported");
            var values = bias.T.ToFloats();
            if (values.Length != _matmul.OutFeatures) throw Unsupported($"the bias has {values.Length} values for {_matmul.OutFeatures} outputs");
            values.CopyTo(_matmul.Bias!.Data, 0);
            _matmul = null;
            Set(Here(m.Rank));
        }

        private void Transpose(Val x)
        {
            Allow("perm");
            var perm = Ints("perm", []);
            switch (x)
            {
                case Main { Rank: 3 } when perm.SequenceEqual([1L, 0, 2]): Set(new TimeMajor()); return;
                case RecY { Stage: 0 } y when perm.SequenceEqual([0L, 2, 1, 3]): Set(new RecY(y.G, 1)); return;
                case RecY { Stage: 2 } y when perm.SequenceEqual([1L, 0, 2]): Finish(y.G, returnSequences: true); return;
                case RecH { Transposed: false } h when perm.SequenceEqual([1L, 0, 2]): Set(new RecH(h.G, true)); return;
                case TimeMajor when perm.SequenceEqual([1L, 0, 2]): Set(Here(3)); return;
                case Main m when perm.Length == m.Rank:
                    var swapped = Enumerable.Range(0, m.Rank).Where(i => perm[i] != i).ToArray();
                    Emit(swapped.Length == 2 ? new Nn.Transpose(swapped[0], swapped[1]) : new Permute([.. perm.Select(p => I32(p, "perm"))]), m.Rank);
                    return;
            }
            throw Unsupported($"a transpose with perm [{string.Join(", ", perm)}] of this value is not supported");
        }

        private void Reshape(Val[] inputs)
        {
            Allow("allowzero");
            var shape = inputs[1] is Const c ? c.T.ToInt64s() : null;
            switch (inputs[0])
            {
                case RecY { Stage: 1 } y when shape is { Length: 3 }:
                    Set(new RecY(y.G, 2));
                    return;
                case RecH { Transposed: true } h when shape is { Length: 2 }:
                    Finish(h.G, returnSequences: false);
                    return;
                case Main m when shape is { Length: 2 } && (shape[1] == -1 || shape[0] is 0 or -1):
                    Emit(new Flatten(), 2);
                    return;
            }
            throw Unsupported("only the reshapes of a flatten and of a recurrent layer's output are supported");
        }

        private void Recurrent(Val[] inputs)
        {
            Allow("hidden_size", "direction", "linear_before_reset", "activations", "layout");
            if (Int("layout", 0) != 0) throw Unsupported("layout=1 is not supported");
            string direction = _node.Attribute("direction")?.S ?? "forward";
            if (direction is not ("forward" or "bidirectional")) throw Unsupported($"direction={IO.ErrorText.Clean(direction, 40)} is not supported (forward or bidirectional)");
            var cell = _node.OpType switch
            {
                "LSTM" => RecurrentCellKind.Lstm,
                "GRU" => RecurrentCellKind.Gru,
                _ => _node.Attribute("activations") is { } act && act.Strings.All(s => s.Equals("Relu", StringComparison.OrdinalIgnoreCase)) ? RecurrentCellKind.RnnRelu : RecurrentCellKind.RnnTanh,
            };
            if (cell == RecurrentCellKind.Gru && Int("linear_before_reset", 0) != 1) throw Unsupported("a GRU needs linear_before_reset=1 (PyTorch's and Loom's cell)");
            if (_node.Attribute("activations") is not null && (cell == RecurrentCellKind.Lstm || cell == RecurrentCellKind.Gru)) throw Unsupported("custom activations are not supported");
            if (Has(4) && inputs[4] is not Unused) throw Unsupported("sequence_lens from the graph is not read (Loom derives lengths from a padding index)");
            var w = Ranked(ConstIn(1, "W"), "W", 3);
            var r = Ranked(ConstIn(2, "R"), "R", 3);
            int gates = cell switch { RecurrentCellKind.Lstm => 4, RecurrentCellKind.Gru => 3, _ => 1 };
            int dirs = direction == "bidirectional" ? 2 : 1, hidden = I32(Int("hidden_size", r.Dims[2]), "hidden_size"), input = I32(w.Dims[2], "the input size");
            // W (D, G·H, I), R (D, G·H, H), B (D, 2·G·H), as the operator defines them: checked before a weight is read.
            if (hidden < 1 || input < 1 || w.Dims[0] != dirs || w.Dims[1] != gates * (long)hidden || r.Dims[0] != dirs || r.Dims[1] != gates * (long)hidden || r.Dims[2] != hidden)
                throw Unsupported($"W has shape {w.ShapeText} and R {r.ShapeText}; a {direction} layer of {gates} gates and hidden_size {hidden} needs ({dirs}, {gates * (long)hidden}, input) and ({dirs}, {gates * (long)hidden}, {hidden})");
            if (Has(3) && ConstIn(3, "B") is var bt && (bt.Dims.Length != 2 || bt.Dims[0] != dirs || bt.Dims[1] != 2L * gates * hidden))
                throw Unsupported($"B has shape {bt.ShapeText}; expected ({dirs}, {2L * gates * hidden})");
            bool stateful = inputs.Skip(5).Any(v => v is StateInput);
            if (inputs.Skip(5).Any(v => v is not (StateInput or Zeros or Unused))) throw Unsupported("an initial state must be zeros or a graph input");
            var layer = (w.ToFloats(), r.ToFloats(), Has(3) ? ConstIn(3, "B").ToFloats() : null);
            Group g;
            if (inputs[0] is RecY { Stage: 2 } prev && prev.G.Cell == cell && prev.G.Hidden == hidden && prev.G.Bidirectional == (dirs == 2) && !prev.G.Emitted
                && input == dirs * hidden && prev.G.Bias == layer.Item3 is not null)
                g = prev.G;
            else if (inputs[0] is TimeMajor)
                g = new Group(cell, input, hidden, dirs == 2, layer.Item3 is not null, stateful);
            else throw Unsupported("a recurrent node must read the (time-major) output of the layers before it");
            g.Stateful |= stateful;
            Reserve(dirs * (gates * (double)hidden * (input + hidden) + (layer.Item3 is null ? 0 : 2.0 * gates * hidden)));
            g.Layers.Add(layer);
            Set(new RecY(g, 0), 0);
            Set(new RecH(g, false), 1);
            Set(new Unused(), 2);
        }

        /// <summary>Turns a recurrent group into one Loom layer (its weights restacked), now that its use is known.</summary>
        private void Finish(Group g, bool returnSequences)
        {
            if (g.Emitted) throw Unsupported("a recurrent layer's output is read twice");
            g.Emitted = true;
            RecurrentLayer layer = g.Cell switch
            {
                RecurrentCellKind.Lstm => new Lstm(g.Input, g.Hidden, g.Layers.Count, g.Bias, batchFirst: true, bidirectional: g.Bidirectional),
                RecurrentCellKind.Gru => new Gru(g.Input, g.Hidden, g.Layers.Count, g.Bias, batchFirst: true, bidirectional: g.Bidirectional),
                RecurrentCellKind.RnnRelu => new Rnn(g.Input, g.Hidden, g.Layers.Count, RnnNonlinearity.Relu, g.Bias, batchFirst: true, bidirectional: g.Bidirectional),
                _ => new Rnn(g.Input, g.Hidden, g.Layers.Count, RnnNonlinearity.Tanh, g.Bias, batchFirst: true, bidirectional: g.Bidirectional),
            };
            layer.ReturnSequences = returnSequences;
            layer.Stateful = g.Stateful;
            for (int l = 0; l < g.Layers.Count; l++)
            {
                var (w, r, b) = g.Layers[l];
                for (int d = 0; d < layer.NumDirections; d++) SetRecurrent(g.Cell, layer.WeightsOf(l, d == 1), g.Hidden, w, r, b, d);
            }
            Emit(layer, returnSequences ? 3 : 2);
        }
    }
}
