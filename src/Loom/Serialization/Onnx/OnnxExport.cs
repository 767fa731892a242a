using System.Globalization;
using Module = Loom.Nn.Module;
using System.Reflection;
using Loom.Data;
using Loom.IO;
using Loom.Kernels;
using Loom.Nn;

namespace Loom.Serialization.Onnx;

/// <summary>
/// Writes a Loom model as an ONNX model (IR 8, opset 17, the versions Debian's python3-onnx 1.12 checks), for ONNX
/// Runtime, ML.NET's ONNX scoring or any other ONNX consumer.
/// <para>
/// The graph takes <c>input</c> (N, …input_shape) float for image models or <c>tokens</c> (N, T) int64 for text
/// models, with N (and T) symbolic, and gives <c>logits</c>: (N, classes), or (N, T, classes) for taggers and
/// language models. The spec's normalisation is folded into the graph (Sub, Div at its start), so the input is
/// what Loom's data holds before preprocessing: pixels scaled to [0, 1]. A stateful recurrent layer (a language
/// model trained by truncated BPTT) takes its state as extra inputs <c>h0</c> (and <c>c0</c>), each
/// (numLayers·D, N, H), and gives the final state as <c>hn</c> (and <c>cn</c>), to feed back for the next chunk.
/// Sequence lengths follow Loom's rule: an Embedding with a padding index reads each row's length off its tokens
/// (one past the last non-padding token) inside the graph, and recurrent layers get them as <c>sequence_lens</c>.
/// </para>
/// <para>
/// The metadata holds the model's spec (<c>loom.spec</c>: task, vocabulary, class names) and says how the input is
/// preprocessed (<c>loom.preprocessing</c>). Weights keep their state-dict names where ONNX takes them as they are;
/// recurrent weights are restacked into ONNX's layout and gate order (LSTM i,o,f,c from i,f,g,o; GRU z,r,h from
/// r,z,n, with <c>linear_before_reset=1</c>, which is PyTorch's and Loom's GRU).
/// </para>
/// </summary>
public static class OnnxExport
{
    public const int IrVersion = 8;
    public const int OpsetVersion = 17;

    /// <summary>Metadata keys written into every exported model.</summary>
    public const string SpecKey = "loom.spec", PreprocessingKey = "loom.preprocessing";

    /// <summary>The layer types the exporter writes, as Loom names them.</summary>
    public static IReadOnlyList<string> SupportedLayers { get; } =
    [
        "Sequential", "Residual", "Concat", "Linear", "Conv1d", "CausalConv1d", "Conv2d", "MaxPool1d", "AvgPool1d", "AdaptiveAvgPool1d",
        "AdaptiveMaxPool1d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm1d", "BatchNorm2d", "Flatten", "Permute", "Transpose", "Unsqueeze",
        "Pad1d", "Dropout", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "GELU", "Softmax", "LogSoftmax", "Embedding", "SequencePool", "LSTM", "GRU", "RNN",
    ];

    /// <summary>Writes <paramref name="model"/> (described by <paramref name="spec"/>) to <paramref name="path"/> atomically.</summary>
    /// <exception cref="ArgumentException">A layer the exporter does not know (the message names it and lists the known ones).</exception>
    public static void Save(Module model, ModelSpec spec, string path)
    {
        var bytes = ToBytes(model, spec);
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    /// <summary>The ONNX model as bytes (what <see cref="Save"/> writes).</summary>
    public static byte[] ToBytes(Module model, ModelSpec spec) => Build(model, spec).ToBytes();

    internal static OnnxModelProto Build(Module model, ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(spec);
        var exporter = new Exporter(spec);
        var graph = exporter.Run(model);
        var proto = new OnnxModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Loom",
            ProducerVersion = typeof(OnnxExport).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0",
            DocString = $"Loom model '{spec.Name}'",
            Graph = graph,
        };
        proto.Opsets.Add(("", OpsetVersion));
        proto.Metadata.Add(new(SpecKey, spec.ToJson()));
        proto.Metadata.Add(new(PreprocessingKey, spec.NormalizeMean is not null
            ? "normalisation folded into the graph: feed pixel values scaled to [0, 1], as Loom's data holds them before its Normalize"
            : "none: feed the model's input as it is"));
        return proto;
    }

    /// <summary>A value in the graph being built: its name, rank and element type.</summary>
    private readonly record struct Value(string Name, int Rank, OnnxDataType Type = OnnxDataType.Float);

    /// <summary>The sequence lengths known at a point of the graph: (N) int32, and the same as int64.</summary>
    private sealed record Lengths(string Int32, string Int64);

    private sealed class Exporter(ModelSpec spec)
    {
        private readonly OnnxGraphBuilder _b = new();
        private readonly List<RecurrentLayer> _stateful = [];

        public OnnxGraph Run(Module model)
        {
            model.Eval();
            bool tokens = FirstLeaf(model) is Embedding;
            var g = _b.Graph;
            g.Name = spec.Name;
            int[] sample = spec.InputShape;
            Value x;
            if (tokens)
            {
                x = new Value(_b.Exact("tokens"), 2, OnnxDataType.Int64);
                g.Inputs.Add(new OnnxValueInfo { Name = x.Name, ElemType = OnnxDataType.Int64, Shape = ["N", "T"] });
            }
            else
            {
                x = new Value(_b.Exact("input"), sample.Length + 1);
                g.Inputs.Add(new OnnxValueInfo { Name = x.Name, Shape = [(OnnxDim)"N", .. sample.Select(d => (OnnxDim)(long)d)] });
                x = Normalise(x);
            }
            _b.Exact("logits");
            var y = Export(model, "", x, null);
            _b.NodeTo("Identity", [y.Name], ["logits"]);
            g.Outputs.Add(new OnnxValueInfo
            {
                Name = "logits",
                Shape = spec.PerStep ? ["N", tokens ? "T" : (long)sample[0], (long)spec.Classes] : ["N", (long)spec.Classes],
            });
            return g;
        }

        private static Module FirstLeaf(Module m) => m switch
        {
            Sequential s when s.Layers.Count > 0 => FirstLeaf(s.Layers[0]),
            Residual r => FirstLeaf(r.Layers[0]),
            Concat c => FirstLeaf(c.Branches[0]),
            _ => m,
        };

        /// <summary>(x − mean) / std per channel, as <see cref="Normalize"/>: subtract, then divide, for the same rounding.</summary>
        private Value Normalise(Value x)
        {
            if (spec.NormalizeMean is not { } mean || spec.NormalizeStd is not { } std) return x;
            // Statistics broadcast over (C, H, W) image samples; other layouts take one value for all.
            long[] dims = x.Rank == 4 ? [mean.Length, 1, 1] : mean.Length == 1 ? [1] : [mean.Length];
            string m = _b.Initializer("normalize.mean", mean, dims);
            string s = _b.Initializer("normalize.std", std, dims);
            var sub = _b.Node("Sub", "normalize", [x.Name, m]);
            return x with { Name = _b.Node("Div", "normalize", [sub, s]) };
        }

        private Value Export(Module m, string path, Value x, Lengths? lengths) => m switch
        {
            Sequential s => Chain(s.Layers, path, x, lengths),
            Residual r => ResidualBlock(r, path, x, lengths),
            Concat c => Join(c, path, x, lengths),
            Linear l => LinearLayer(l, path, x),
            Conv2d c => Conv(path, x, c.Weight, c.Bias, [c.KernelSize.H, c.KernelSize.W], [c.Stride.H, c.Stride.W],
                [c.Padding.H, c.Padding.W, c.Padding.H, c.Padding.W], [c.Dilation.H, c.Dilation.W], c.Groups),
            Conv1d c => Conv(path, x, c.Weight, c.Bias, [c.KernelSize], [c.Stride], [c.Padding, c.Padding], [c.Dilation], c.Groups),
            // Causal: dilation·(k − 1) zeros on the left only, which Conv's begin/end pads state directly.
            CausalConv1d c => Conv(path, x, c.Weight, c.Bias, [c.KernelSize], [c.Stride], [c.LeftPadding, 0], [c.Dilation], c.Groups),
            MaxPool2d p => Unary("MaxPool", path, x, Ints("kernel_shape", p.KernelSize, p.KernelSize), Ints("strides", p.Stride, p.Stride),
                Ints("pads", p.Padding, p.Padding, p.Padding, p.Padding), Ints("dilations", p.Dilation, p.Dilation)),
            AvgPool2d p => Unary("AveragePool", path, x, Ints("kernel_shape", p.KernelSize, p.KernelSize), Ints("strides", p.Stride, p.Stride),
                Ints("pads", p.Padding, p.Padding, p.Padding, p.Padding), OnnxAttribute.Int("count_include_pad", p.CountIncludePad ? 1 : 0)),
            MaxPool1d p => Unary("MaxPool", path, x, Ints("kernel_shape", p.KernelSize), Ints("strides", p.Stride),
                Ints("pads", p.Padding, p.Padding), Ints("dilations", p.Dilation)),
            AvgPool1d p => Unary("AveragePool", path, x, Ints("kernel_shape", p.KernelSize), Ints("strides", p.Stride),
                Ints("pads", p.Padding, p.Padding), OnnxAttribute.Int("count_include_pad", p.CountIncludePad ? 1 : 0)),
            AdaptiveAvgPool2d { OutputSize: (1, 1) } => Unary("GlobalAveragePool", path, x),
            AdaptiveAvgPool2d p => Adaptive(path, Adaptive(path, x, 2, p.OutputSize.H, mean: true), 3, p.OutputSize.W, mean: true),
            AdaptiveAvgPool1d p => Adaptive(path, x, 2, p.OutputSize, mean: true),
            AdaptiveMaxPool1d p => Adaptive(path, x, 2, p.OutputSize, mean: false),
            BatchNorm bn => BatchNormalization(bn, path, x),
            Flatten f => FlattenLayer(f, path, x),
            Permute p => Unary("Transpose", path, x, Ints("perm", [.. p.Dims.Select(d => (long)Dim(d, x.Rank, m))])),
            Transpose t => TransposeLayer(t, path, x),
            Unsqueeze u => new Value(_b.Node("Unsqueeze", Hint(path), [x.Name, _b.Ints(Dim(u.Dim, x.Rank + 1, u))]), x.Rank + 1),
            Pad1d p => PadLayer(p, path, x),
            Dropout => x, // identity at inference
            Relu => Unary("Relu", path, x),
            LeakyRelu l => Unary("LeakyRelu", path, x, OnnxAttribute.Float("alpha", l.NegativeSlope)),
            Tanh => Unary("Tanh", path, x),
            Sigmoid => Unary("Sigmoid", path, x),
            Gelu => GeluLayer(path, x),
            Softmax s => Unary("Softmax", path, x, OnnxAttribute.Int("axis", s.Dim)),
            LogSoftmax s => Unary("LogSoftmax", path, x, OnnxAttribute.Int("axis", s.Dim)),
            Embedding e => EmbeddingLayer(e, path, x),
            SequencePool p => SequencePoolLayer(p, path, x, lengths),
            RecurrentLayer r => Recurrent(r, path, x, lengths),
            _ => throw new ArgumentException(
                $"ONNX export: layer '{(path.Length == 0 ? "(root)" : path)}' is a {m.GetType().Name} ({m.Describe()}), which the exporter does not know. It writes: {string.Join(", ", SupportedLayers)}."),
        };

        private static string Child(string path, int i) => path.Length == 0 ? i.ToString(CultureInfo.InvariantCulture) : $"{path}.{i}";

        private static string Hint(string path) => path.Length == 0 ? "model" : path;

        private static OnnxAttribute Ints(string name, params long[] v) => OnnxAttribute.IntList(name, v);

        private static int Dim(int d, int rank, Module m) =>
            d >= -rank && d < rank ? (d < 0 ? d + rank : d) : throw new ArgumentException($"ONNX export: {m.Describe()} names dimension {d} of a {rank}-dimensional input.");

        private Value Unary(string op, string path, Value x, params OnnxAttribute[] attributes) =>
            x with { Name = _b.Node(op, Hint(path), [x.Name], attributes) };

        /// <summary>
        /// Layers in order, the lengths found by the first layer able to and mapped by each layer's window
        /// (Loom's <c>LayerChain</c> rule); they do not leave the chain.
        /// </summary>
        private Value Chain(IReadOnlyList<Module> layers, string path, Value x, Lengths? lengths)
        {
            for (int i = 0; i < layers.Count; i++)
            {
                if (lengths is null && layers[i] is Embedding { PaddingIdx: int pad }) lengths = LengthsFromTokens(x, pad, Child(path, i));
                x = Export(layers[i], Child(path, i), x, lengths);
                lengths = Through(layers[i], Child(path, i), lengths);
            }
            return x;
        }

        /// <summary>
        /// The lengths after <paramref name="m"/>, as its <see cref="Module.OutputLengths"/>: for a window over the steps
        /// max(⌊(L + 2·padding − reach) / stride⌋ + 1, 1) (the division truncates, and every negative numerator ends at 1
        /// anyway), left + L + right for a padding; unchanged by every other layer.
        /// </summary>
        private Lengths? Through(Module m, string path, Lengths? lengths)
        {
            if (lengths is null) return null;
            (int Kernel, int Stride, int Padding, int Dilation)? window = m switch
            {
                Conv1d c => (c.KernelSize, c.Stride, c.Padding, c.Dilation),
                CausalConv1d c => (1, c.Stride, 0, 1),
                Conv2d c => (c.KernelSize.H, c.Stride.H, c.Padding.H, c.Dilation.H),
                MaxPool1d p => (p.KernelSize, p.Stride, p.Padding, p.Dilation),
                AvgPool1d p => (p.KernelSize, p.Stride, p.Padding, 1),
                MaxPool2d p => (p.KernelSize, p.Stride, p.Padding, p.Dilation),
                AvgPool2d p => (p.KernelSize, p.Stride, p.Padding, 1),
                _ => null,
            };
            string h = path + ".lengths";
            string? mapped = null;
            if (m is Pad1d pad && pad.Left + pad.Right > 0) mapped = _b.Node("Add", h, [lengths.Int64, _b.Ints(pad.Left + pad.Right)]);
            else if (window is var (k, s, p2, d) && (k, s, p2) != (1, 1, 0))
            {
                string shifted = _b.Node("Add", h, [lengths.Int64, _b.Ints(2L * p2 - (d * (k - 1L) + 1))]);
                string steps = _b.Node("Add", h, [_b.Node("Div", h, [shifted, _b.Ints(s)]), _b.Ints(1)]);
                mapped = _b.Node("Max", h, [steps, _b.Ints(1)]);
            }
            else if (m is Sequential seq)
            {
                for (int i = 0; i < seq.Layers.Count; i++) lengths = Through(seq.Layers[i], Child(path, i), lengths);
                return lengths;
            }
            else if (m is Concat { Branches.Count: > 0 } concat) return Through(concat.Branches[0], Child(path, 0), lengths);
            if (mapped is null) return lengths;
            return new Lengths(_b.Node("Cast", h, [mapped], OnnxAttribute.Int("to", (long)OnnxDataType.Int32)), mapped);
        }

        private Value ResidualBlock(Residual r, string path, Value x, Lengths? lengths)
        {
            var y = Chain(r.Layers, path, x, lengths);
            return x with { Name = _b.Node("Add", Hint(path), [x.Name, y.Name]) };
        }

        private Value Join(Concat c, string path, Value x, Lengths? lengths)
        {
            var outputs = c.Branches.Select((branch, i) => Export(branch, Child(path, i), x, lengths)).ToArray();
            if (outputs.Length == 1) return outputs[0];
            return outputs[0] with { Name = _b.Node("Concat", Hint(path), [.. outputs.Select(o => o.Name)], OnnxAttribute.Int("axis", c.Dim)) };
        }

        private string Param(string path, string name, Tensor t) =>
            _b.Initializer(path.Length == 0 ? name : $"{path}.{name}", (float[])t.Data.Clone(), [.. t.Shape.Select(d => (long)d)]);

        private Value LinearLayer(Linear l, string path, Value x)
        {
            if (x.Rank == 2)
            {
                string[] inputs = l.Bias is null ? [x.Name, Param(path, "weight", l.Weight)] : [x.Name, Param(path, "weight", l.Weight), Param(path, "bias", l.Bias)];
                return x with { Name = _b.Node("Gemm", Hint(path), inputs, OnnxAttribute.Int("transB", 1)) };
            }
            // (…, in) · Wᵀ: MatMul broadcasts over the leading dimensions, Gemm does not (PyTorch exports the same pair).
            int o = l.OutFeatures, i = l.InFeatures;
            var wt = new float[o * i];
            var w = l.Weight.Data;
            for (int r = 0; r < o; r++)
                for (int c = 0; c < i; c++) wt[c * o + r] = w[r * i + c];
            string y = _b.Node("MatMul", Hint(path), [x.Name, _b.Initializer($"{Hint(path)}.weight_t", wt, i, o)]);
            if (l.Bias is not null) y = _b.Node("Add", Hint(path), [y, Param(path, "bias", l.Bias)]);
            return x with { Name = y };
        }

        private Value Conv(string path, Value x, Tensor weight, Tensor? bias, long[] kernel, long[] strides, long[] pads, long[] dilations, int groups)
        {
            string[] inputs = bias is null ? [x.Name, Param(path, "weight", weight)] : [x.Name, Param(path, "weight", weight), Param(path, "bias", bias)];
            return x with
            {
                Name = _b.Node("Conv", Hint(path), inputs, Ints("kernel_shape", kernel), Ints("strides", strides), Ints("pads", pads),
                    Ints("dilations", dilations), OnnxAttribute.Int("group", groups)),
            };
        }

        private Value BatchNormalization(BatchNorm bn, string path, Value x)
        {
            int c = bn.NumFeatures;
            string scale = bn.Weight is null ? _b.Initializer($"{Hint(path)}.scale", Enumerable.Repeat(1f, c).ToArray(), c) : Param(path, "weight", bn.Weight);
            string shift = bn.Bias is null ? _b.Initializer($"{Hint(path)}.shift", new float[c], c) : Param(path, "bias", bn.Bias);
            return x with
            {
                Name = _b.Node("BatchNormalization", Hint(path),
                    [x.Name, scale, shift, Param(path, "running_mean", bn.RunningMean), Param(path, "running_var", bn.RunningVar)],
                    OnnxAttribute.Float("epsilon", bn.Eps)),
            };
        }

        private Value FlattenLayer(Flatten f, string path, Value x)
        {
            int start = Dim(f.StartDim, x.Rank, f), end = Dim(f.EndDim, x.Rank, f);
            if (end < start) throw new ArgumentException($"ONNX export: {f.Describe()} has end before start for a {x.Rank}-dimensional input.");
            if (start == 1 && end == x.Rank - 1) return x with { Name = _b.Node("Flatten", Hint(path), [x.Name], OnnxAttribute.Int("axis", 1)), Rank = 2 };
            // Any other range: the kept dimensions read off the input's shape (they may be symbolic), −1 for the merged ones.
            var parts = new List<string>();
            if (start > 0) parts.Add(_b.Node("Shape", Hint(path), [x.Name], OnnxAttribute.Int("start", 0), OnnxAttribute.Int("end", start)));
            parts.Add(_b.Ints(-1));
            if (end < x.Rank - 1) parts.Add(_b.Node("Shape", Hint(path), [x.Name], OnnxAttribute.Int("start", end + 1)));
            string shape = parts.Count == 1 ? parts[0] : _b.Node("Concat", Hint(path), [.. parts], OnnxAttribute.Int("axis", 0));
            return new Value(_b.Node("Reshape", Hint(path), [x.Name, shape]), x.Rank - (end - start));
        }

        private Value TransposeLayer(Transpose t, string path, Value x)
        {
            var perm = Enumerable.Range(0, x.Rank).Select(i => (long)i).ToArray();
            int a = Dim(t.Dim0, x.Rank, t), b = Dim(t.Dim1, x.Rank, t);
            (perm[a], perm[b]) = (perm[b], perm[a]);
            return Unary("Transpose", path, x, Ints("perm", perm));
        }

        private Value PadLayer(Pad1d p, string path, Value x)
        {
            var pads = new long[2 * x.Rank];
            pads[x.Rank - 1] = p.Left;
            pads[2 * x.Rank - 1] = p.Right;
            return x with { Name = _b.Node("Pad", Hint(path), [x.Name, _b.Ints(pads), _b.FloatScalar(p.Value)], OnnxAttribute.String("mode", "constant")) };
        }

        /// <summary>Exact GELU, 0.5·x·(1 + erf(x/√2)): opset 17 has no Gelu (it came in 20), but has Erf.</summary>
        private Value GeluLayer(string path, Value x)
        {
            string h = Hint(path);
            string e = _b.Node("Erf", h, [_b.Node("Div", h, [x.Name, _b.FloatScalar(MathF.Sqrt(2f))])]);
            string y = _b.Node("Mul", h, [x.Name, _b.Node("Add", h, [e, _b.FloatScalar(1f)])]);
            return x with { Name = _b.Node("Mul", h, [y, _b.FloatScalar(0.5f)]) };
        }

        /// <summary>
        /// Adaptive pooling along one axis, as PyTorch bins it: output i reduces steps ⌊i·L/out⌋ to ⌈(i+1)·L/out⌉.
        /// An output of 1 is a global pool; otherwise the bin edges are computed from the (possibly symbolic) length L,
        /// one Slice and reduction per output, joined. A 2-D average is one such pass per axis (a rectangle's mean is the
        /// mean of its rows' means).
        /// </summary>
        private Value Adaptive(string path, Value x, int axis, int outputs, bool mean)
        {
            string h = Hint(path);
            if (outputs == 1 && axis == x.Rank - 1 && x.Rank == 3)
                return x with { Name = _b.Node(mean ? "GlobalAveragePool" : "GlobalMaxPool", h, [x.Name]) };
            string reduce = mean ? "ReduceMean" : "ReduceMax";
            if (outputs == 1) return x with { Name = _b.Node(reduce, h, [x.Name], Ints("axes", axis), OnnxAttribute.Int("keepdims", 1)) };
            string length = _b.Node("Shape", h, [x.Name], OnnxAttribute.Int("start", axis), OnnxAttribute.Int("end", axis + 1));
            var pieces = new string[outputs];
            string axes = _b.Ints(axis);
            for (int i = 0; i < outputs; i++)
            {
                string start = _b.Node("Div", h, [_b.Node("Mul", h, [length, _b.Ints(i)]), _b.Ints(outputs)]);
                string end = _b.Node("Div", h, [_b.Node("Add", h, [_b.Node("Mul", h, [length, _b.Ints(i + 1)]), _b.Ints(outputs - 1)]), _b.Ints(outputs)]);
                string slice = _b.Node("Slice", h, [x.Name, start, end, axes]);
                pieces[i] = _b.Node(reduce, h, [slice], Ints("axes", axis), OnnxAttribute.Int("keepdims", 1));
            }
            return x with { Name = _b.Node("Concat", h, pieces, OnnxAttribute.Int("axis", axis)) };
        }

        private Value EmbeddingLayer(Embedding e, string path, Value x)
        {
            string ids = x.Type == OnnxDataType.Int64 ? x.Name : _b.Node("Cast", Hint(path), [x.Name], OnnxAttribute.Int("to", (long)OnnxDataType.Int64));
            return new Value(_b.Node("Gather", Hint(path), [Param(path, "weight", e.Weight), ids], OnnxAttribute.Int("axis", 0)), x.Rank + 1);
        }

        /// <summary>
        /// Each row's length, as <see cref="Embedding.PaddedLengths"/>: one past its last non-padding token, at least 1;
        /// max over t of (t + 1)·[token_t ≠ pad].
        /// </summary>
        private Lengths LengthsFromTokens(Value tokens, int pad, string path)
        {
            string h = path + ".lengths";
            string ids = tokens.Type == OnnxDataType.Int64 ? tokens.Name : _b.Node("Cast", h, [tokens.Name], OnnxAttribute.Int("to", (long)OnnxDataType.Int64));
            string notPad = _b.Node("Cast", h, [_b.Node("Not", h, [_b.Node("Equal", h, [ids, _b.Ints(pad)])])], OnnxAttribute.Int("to", (long)OnnxDataType.Int64));
            string steps = StepCount(ids, h);
            string positions = _b.Node("Range", h, [_b.IntScalar(1), _b.Node("Add", h, [steps, _b.IntScalar(1)]), _b.IntScalar(1)]);
            string last = _b.Node("ReduceMax", h, [_b.Node("Mul", h, [notPad, positions])], Ints("axes", 1), OnnxAttribute.Int("keepdims", 0));
            string int64 = _b.Node("Max", h, [last, _b.Ints(1)]);
            return new Lengths(_b.Node("Cast", h, [int64], OnnxAttribute.Int("to", (long)OnnxDataType.Int32)), int64);
        }

        /// <summary>T of a batch-first (N, T, …) value, as an int64 scalar.</summary>
        private string StepCount(string x, string hint) =>
            _b.Node("Squeeze", hint, [_b.Node("Shape", hint, [x], OnnxAttribute.Int("start", 1), OnnxAttribute.Int("end", 2)), _b.Ints(0)]);

        private Value SequencePoolLayer(SequencePool p, string path, Value x, Lengths? lengths)
        {
            string h = Hint(path);
            bool max = p.Mode == SequencePoolMode.Max;
            if (lengths is null)
                return new Value(_b.Node(max ? "ReduceMax" : "ReduceMean", h, [x.Name], Ints("axes", 1), OnnxAttribute.Int("keepdims", 0)), 2);
            // Steps at or past a sequence's length are left out: −∞ for the max, 0 for the sum that is divided by the length.
            string steps = _b.Node("Range", h, [_b.IntScalar(0), StepCount(x.Name, h), _b.IntScalar(1)]);
            string valid = _b.Node("Less", h, [_b.Node("Unsqueeze", h, [steps, _b.Ints(0)]), _b.Node("Unsqueeze", h, [lengths.Int64, _b.Ints(1)])]);
            string mask = _b.Node("Unsqueeze", h, [valid, _b.Ints(2)]);
            string kept = _b.Node("Where", h, [mask, x.Name, _b.FloatScalar(max ? float.NegativeInfinity : 0f)]);
            if (max) return new Value(_b.Node("ReduceMax", h, [kept], Ints("axes", 1), OnnxAttribute.Int("keepdims", 0)), 2);
            string sum = _b.Node("ReduceSum", h, [kept, _b.Ints(1)], OnnxAttribute.Int("keepdims", 0));
            string count = _b.Node("Unsqueeze", h, [_b.Node("Cast", h, [lengths.Int64], OnnxAttribute.Int("to", (long)OnnxDataType.Float)), _b.Ints(1)]);
            return new Value(_b.Node("Div", h, [sum, count]), 2);
        }

        /// <summary>
        /// One ONNX LSTM/GRU/RNN node per stacked layer (both directions in one node), on time-major (T, N, F) input
        /// (ONNX Runtime runs only layout 0); Y (T, D, N, H) becomes (T, N, D·H) for the next layer.
        /// </summary>
        private Value Recurrent(RecurrentLayer r, string path, Value x, Lengths? lengths)
        {
            if (!r.BatchFirst) throw new ArgumentException($"ONNX export: {r.Describe()} (layer '{path}') is time-major; Loom models are batch-first.");
            if (x.Rank != 3) throw new ArgumentException($"ONNX export: {r.Describe()} (layer '{path}') gets a {x.Rank}-dimensional input; export batched (N, T, F) sequences.");
            string h = Hint(path);
            int dirs = r.NumDirections, hidden = r.HiddenSize;
            string op = r.Cell switch { RecurrentCellKind.Lstm => "LSTM", RecurrentCellKind.Gru => "GRU", _ => "RNN" };
            // Gate blocks of ONNX in Loom's (PyTorch's) order: LSTM i,o,f,c ← i,f,g,o; GRU z,r,h ← r,z,n.
            int[] order = r.Cell switch { RecurrentCellKind.Lstm => [0, 3, 1, 2], RecurrentCellKind.Gru => [1, 0, 2], _ => [0] };
            string? h0 = null, c0 = null;
            if (r.Stateful) (h0, c0) = StateInputs(r);
            string seq = _b.Node("Transpose", h, [x.Name], Ints("perm", 1, 0, 2));
            var finalH = new List<string>();
            var finalC = new List<string>();
            for (int l = 0; l < r.NumLayers; l++)
            {
                var weights = Enumerable.Range(0, dirs).Select(d => r.WeightsOf(l, d == 1)).ToArray();
                int input = weights[0].WeightIh.Shape[1];
                string w = _b.Initializer($"{h}.W_l{l}", Stack(weights.Select(wt => Reorder(wt.WeightIh.Data, order, hidden * input))), dirs, order.Length * hidden, input);
                string rw = _b.Initializer($"{h}.R_l{l}", Stack(weights.Select(wt => Reorder(wt.WeightHh.Data, order, hidden * hidden))), dirs, order.Length * hidden, hidden);
                string bias = r.HasBias
                    ? _b.Initializer($"{h}.B_l{l}", Stack(weights.Select(wt => Stack([Reorder(wt.BiasIh!.Data, order, hidden), Reorder(wt.BiasHh!.Data, order, hidden)]))), dirs, 2 * order.Length * hidden)
                    : "";
                var inputs = new List<string> { seq, w, rw, bias, lengths?.Int32 ?? "" };
                if (h0 is not null) inputs.Add(LayerState(h0, l, dirs, r.NumLayers, h));
                if (c0 is not null) { inputs.Add(LayerState(c0, l, dirs, r.NumLayers, h)); }
                while (inputs[^1].Length == 0) inputs.RemoveAt(inputs.Count - 1);
                var attributes = new List<OnnxAttribute> { OnnxAttribute.Int("hidden_size", hidden), OnnxAttribute.String("direction", dirs == 2 ? "bidirectional" : "forward") };
                if (r.Cell == RecurrentCellKind.Gru) attributes.Add(OnnxAttribute.Int("linear_before_reset", 1));
                if (r.Cell == RecurrentCellKind.RnnRelu) attributes.Add(OnnxAttribute.StringList("activations", [.. Enumerable.Repeat("Relu", dirs)]));
                var outs = _b.NodeN(op, $"{h}.l{l}", [.. inputs], r.Cell == RecurrentCellKind.Lstm ? 3 : 2, [.. attributes]);
                finalH.Add(outs[1]);
                if (r.Cell == RecurrentCellKind.Lstm) finalC.Add(outs[2]);
                string joined = _b.Node("Transpose", h, [outs[0]], Ints("perm", 0, 2, 1, 3));
                seq = _b.Node("Reshape", h, [joined, _b.Ints(0, 0, -1)]);
            }
            if (r.Stateful)
            {
                _b.NodeTo(finalH.Count == 1 ? "Identity" : "Concat", [.. finalH], [StateName("hn", r)], finalH.Count == 1 ? [] : [OnnxAttribute.Int("axis", 0)]);
                AddStateOutput(StateName("hn", r), r);
                if (finalC.Count > 0)
                {
                    _b.NodeTo(finalC.Count == 1 ? "Identity" : "Concat", [.. finalC], [StateName("cn", r)], finalC.Count == 1 ? [] : [OnnxAttribute.Int("axis", 0)]);
                    AddStateOutput(StateName("cn", r), r);
                }
            }
            if (r.ReturnSequences) return new Value(_b.Node("Transpose", h, [seq], Ints("perm", 1, 0, 2)), 3);
            // The last layer's final state, (D, N, H) → (N, D·H), forward direction first.
            string last = _b.Node("Transpose", h, [finalH[^1]], Ints("perm", 1, 0, 2));
            return new Value(_b.Node("Reshape", h, [last, _b.Ints(0, -1)]), 2);
        }

        private static float[] Reorder(float[] data, int[] order, int block)
        {
            var result = new float[data.Length];
            for (int i = 0; i < order.Length; i++) Array.Copy(data, order[i] * block, result, i * block, block);
            return result;
        }

        private static float[] Stack(IEnumerable<float[]> parts) => [.. parts.SelectMany(p => p)];

        /// <summary>Layer l's rows of a (numLayers·D, N, H) state.</summary>
        private string LayerState(string state, int layer, int dirs, int layers, string hint) => layers == 1 ? state
            : _b.Node("Slice", hint, [state, _b.Ints(layer * dirs), _b.Ints((layer + 1) * dirs), _b.Ints(0)]);

        private (string H, string? C) StateInputs(RecurrentLayer r)
        {
            _stateful.Add(r);
            string h = _b.Exact(StateName("h0", r));
            AddStateInput(h, r);
            string? c = null;
            if (r.Cell == RecurrentCellKind.Lstm)
            {
                c = _b.Exact(StateName("c0", r));
                AddStateInput(c, r);
            }
            return (h, c);
        }

        /// <summary>h0/c0/hn/cn for a model's single stateful layer; with several, each suffixed by its layer's name.</summary>
        private string StateName(string baseName, RecurrentLayer r) => _stateful.IndexOf(r) == 0 ? baseName : $"{baseName}.{_stateful.IndexOf(r)}";

        private void AddStateInput(string name, RecurrentLayer r) =>
            _b.Graph.Inputs.Add(new OnnxValueInfo { Name = name, Shape = [(long)(r.NumLayers * r.NumDirections), "N", (long)r.HiddenSize] });

        private void AddStateOutput(string name, RecurrentLayer r)
        {
            _b.Exact(name);
            _b.Graph.Outputs.Add(new OnnxValueInfo { Name = name, Shape = [(long)(r.NumLayers * r.NumDirections), "N", (long)r.HiddenSize] });
        }
    }
}
