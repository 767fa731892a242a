using System.Globalization;
using System.Text.Json.Nodes;

namespace Loom.Nn;

/// <summary>
/// Every layer a model spec can name, in one table: the type name (PyTorch's spelling: "Linear", "Conv2d", "ReLU",
/// "LSTM"), a factory that builds the module from the layer object's arguments, and a writer that turns a module
/// back into that object, leaving out arguments at their defaults. <see cref="Serialization.ModelSpec.Build"/>
/// reads specs through it and the model zoo derives its specs from typed modules through it, so a layer type is
/// added by writing its file and one registration line here.
/// </summary>
/// <remarks>
/// Recurrent layers in a spec are always batch-first and carry Keras' switches <c>return_sequences</c> and
/// <c>stateful</c>; a Concat's branches and a Residual's body are nested layer lists, built as <see cref="Sequential"/>s.
/// </remarks>
public static class LayerRegistry
{
    /// <summary>One registered layer type. <see cref="Create"/> is null for a second module type written under an existing name.</summary>
    public sealed record Entry(string Name, Type ModuleType, Func<LayerArgs, Module>? Create, Action<Module, LayerArgsWriter> Write);

    private static Entry Layer<T>(string name, Func<LayerArgs, Module> create, Action<T, LayerArgsWriter> write) where T : Module =>
        new(name, typeof(T), create, (m, w) => write((T)m, w));

    /// <summary>A module type that is written under <paramref name="name"/> but built by that name's factory (a causal Conv1d).</summary>
    private static Entry WrittenAs<T>(string name, Action<T, LayerArgsWriter> write) where T : Module =>
        new(name, typeof(T), null, (m, w) => write((T)m, w));

    private static readonly Entry[] Table =
    [
        Layer<Linear>("Linear", a => new Linear(a.Int("in_features"), a.Int("out_features"), a.Bool("bias", true)),
            (m, w) => w.Int("in_features", m.InFeatures).Int("out_features", m.OutFeatures).Bool("bias", m.Bias is not null, true)),
        Layer<Conv1d>("Conv1d", a => a.Bool("causal", false) ? CausalConv(a)
                : new Conv1d(a.Int("in_channels"), a.Int("out_channels"), a.Int("kernel_size"), a.Int("stride", 1), a.Int("padding", 0), a.Int("dilation", 1), a.Int("groups", 1), a.Bool("bias", true)),
            (m, w) => w.Int("in_channels", m.InChannels).Int("out_channels", m.OutChannels).Int("kernel_size", m.KernelSize).Int("stride", m.Stride, 1)
                .Int("padding", m.Padding, 0).Int("dilation", m.Dilation, 1).Int("groups", m.Groups, 1).Bool("bias", m.Bias is not null, true)),
        WrittenAs<CausalConv1d>("Conv1d",
            (m, w) => w.Int("in_channels", m.InChannels).Int("out_channels", m.OutChannels).Int("kernel_size", m.KernelSize).Int("stride", m.Stride, 1)
                .Int("dilation", m.Dilation, 1).Int("groups", m.Groups, 1).Bool("bias", m.Bias is not null, true).Bool("causal", true, false)),
        Layer<Conv2d>("Conv2d", a => new Conv2d(a.Int("in_channels"), a.Int("out_channels"), a.IntPair("kernel_size"), a.IntPair("stride", 1), a.IntPair("padding", 0), a.IntPair("dilation", 1), a.Int("groups", 1), a.Bool("bias", true)),
            (m, w) => w.Int("in_channels", m.InChannels).Int("out_channels", m.OutChannels).IntPair("kernel_size", m.KernelSize, -1).IntPair("stride", m.Stride, 1)
                .IntPair("padding", m.Padding, 0).IntPair("dilation", m.Dilation, 1).Int("groups", m.Groups, 1).Bool("bias", m.Bias is not null, true)),
        Layer<MaxPool1d>("MaxPool1d", a => new MaxPool1d(a.Int("kernel_size"), a.OptionalInt("stride"), a.Int("padding", 0), a.Int("dilation", 1)),
            (m, w) => w.Int("kernel_size", m.KernelSize).Int("stride", m.Stride, m.KernelSize).Int("padding", m.Padding, 0).Int("dilation", m.Dilation, 1)),
        Layer<AvgPool1d>("AvgPool1d", a => new AvgPool1d(a.Int("kernel_size"), a.OptionalInt("stride"), a.Int("padding", 0), a.Bool("count_include_pad", true)),
            (m, w) => w.Int("kernel_size", m.KernelSize).Int("stride", m.Stride, m.KernelSize).Int("padding", m.Padding, 0).Bool("count_include_pad", m.CountIncludePad, true)),
        Layer<AdaptiveAvgPool1d>("AdaptiveAvgPool1d", a => new AdaptiveAvgPool1d(a.Int("output_size")), (m, w) => w.Int("output_size", m.OutputSize)),
        Layer<AdaptiveMaxPool1d>("AdaptiveMaxPool1d", a => new AdaptiveMaxPool1d(a.Int("output_size")), (m, w) => w.Int("output_size", m.OutputSize)),
        Layer<MaxPool2d>("MaxPool2d", a => new MaxPool2d(a.Int("kernel_size"), a.OptionalInt("stride"), a.Int("padding", 0), a.Int("dilation", 1)),
            (m, w) => w.Int("kernel_size", m.KernelSize).Int("stride", m.Stride, m.KernelSize).Int("padding", m.Padding, 0).Int("dilation", m.Dilation, 1)),
        Layer<AvgPool2d>("AvgPool2d", a => new AvgPool2d(a.Int("kernel_size"), a.OptionalInt("stride"), a.Int("padding", 0), a.Bool("count_include_pad", true)),
            (m, w) => w.Int("kernel_size", m.KernelSize).Int("stride", m.Stride, m.KernelSize).Int("padding", m.Padding, 0).Bool("count_include_pad", m.CountIncludePad, true)),
        Layer<AdaptiveAvgPool2d>("AdaptiveAvgPool2d", a => new AdaptiveAvgPool2d(a.Int("output_size")), (m, w) => w.Int("output_size", Square(m.OutputSize, m))),
        Layer<Flatten>("Flatten", a => new Flatten(a.Int("start_dim", 1), a.Int("end_dim", -1)),
            (m, w) => w.Int("start_dim", m.StartDim, 1).Int("end_dim", m.EndDim, -1)),
        Layer<Relu>("ReLU", _ => new Relu(), (_, _) => { }),
        Layer<LeakyRelu>("LeakyReLU", a => new LeakyRelu(a.Float("negative_slope", 0.01f)), (m, w) => w.Float("negative_slope", m.NegativeSlope, 0.01f)),
        Layer<Tanh>("Tanh", _ => new Tanh(), (_, _) => { }),
        Layer<Sigmoid>("Sigmoid", _ => new Sigmoid(), (_, _) => { }),
        Layer<Gelu>("GELU", _ => new Gelu(), (_, _) => { }),
        Layer<Softmax>("Softmax", a => new Softmax(a.Int("dim", -1)), (m, w) => w.Int("dim", m.Dim, -1)),
        Layer<LogSoftmax>("LogSoftmax", a => new LogSoftmax(a.Int("dim", -1)), (m, w) => w.Int("dim", m.Dim, -1)),
        Layer<Dropout>("Dropout", a => new Dropout(a.Float("p", 0.5f)), (m, w) => w.Float("p", m.P, 0.5f)),
        Layer<BatchNorm1d>("BatchNorm1d", a => new BatchNorm1d(a.Int("num_features"), a.Float("eps", 1e-5f), a.Float("momentum", 0.1f), a.Bool("affine", true)), WriteBatchNorm),
        Layer<BatchNorm2d>("BatchNorm2d", a => new BatchNorm2d(a.Int("num_features"), a.Float("eps", 1e-5f), a.Float("momentum", 0.1f), a.Bool("affine", true)), WriteBatchNorm),
        Layer<Embedding>("Embedding", a => new Embedding(a.Int("num_embeddings"), a.Int("embedding_dim"), a.OptionalInt("padding_idx")),
            (m, w) => { w.Int("num_embeddings", m.NumEmbeddings).Int("embedding_dim", m.EmbeddingDim); if (m.PaddingIdx is int p) w.Int("padding_idx", p); }),
        Layer<Lstm>("LSTM", a => Recurrent(new Lstm(a.Int("input_size"), a.Int("hidden_size"), a.Int("num_layers", 1), a.Bool("bias", true), true,
            a.Float("dropout", 0f), a.Bool("bidirectional", false)), a), WriteRecurrent),
        Layer<Gru>("GRU", a => Recurrent(new Gru(a.Int("input_size"), a.Int("hidden_size"), a.Int("num_layers", 1), a.Bool("bias", true), true,
            a.Float("dropout", 0f), a.Bool("bidirectional", false)), a), WriteRecurrent),
        Layer<Rnn>("RNN", a => Recurrent(new Rnn(a.Int("input_size"), a.Int("hidden_size"), a.Int("num_layers", 1),
                a.Choice("nonlinearity", ("tanh", RnnNonlinearity.Tanh), ("relu", RnnNonlinearity.Relu)), a.Bool("bias", true), true,
                a.Float("dropout", 0f), a.Bool("bidirectional", false)), a),
            (m, w) =>
            {
                w.String("nonlinearity", m.Nonlinearity == RnnNonlinearity.Relu ? "relu" : "tanh", "tanh");
                WriteRecurrent(m, w);
            }),
        Layer<SequencePool>("SequencePool", a => new SequencePool(a.Choice("mode", ("max", SequencePoolMode.Max), ("mean", SequencePoolMode.Mean))),
            (m, w) => w.String("mode", m.Mode == SequencePoolMode.Mean ? "mean" : "max", "max")),
        Layer<Pad1d>("Pad1d", a => new Pad1d(a.Int("left", 0), a.Int("right", 0), a.Float("value", 0f)),
            (m, w) => w.Int("left", m.Left, 0).Int("right", m.Right, 0).Float("value", m.Value, 0f)),
        Layer<Unsqueeze>("Unsqueeze", a => new Unsqueeze(a.Int("dim")), (m, w) => w.Int("dim", m.Dim)),
        Layer<Transpose>("Transpose", a => new Transpose(a.Int("dim0"), a.Int("dim1")), (m, w) => w.Int("dim0", m.Dim0).Int("dim1", m.Dim1)),
        Layer<Permute>("Permute", a => new Permute(a.IntArray("dims")), (m, w) => w.IntArray("dims", m.Dims)),
        Layer<Concat>("Concat", a => new Concat(a.Int("dim", 1), a.LayerLists("branches")), (m, w) => w.Int("dim", m.Dim, 1).LayerLists("branches", m.Branches)),
        Layer<Residual>("Residual", a => new Residual([.. a.LayerList("layers").Layers]), (m, w) => w.LayerList("layers", m.Layers)),
    ];

    private static readonly Dictionary<string, Entry> ByName = Table.Where(e => e.Create is not null).ToDictionary(e => e.Name, StringComparer.OrdinalIgnoreCase);
    private static readonly Dictionary<Type, Entry> ByModule = Table.ToDictionary(e => e.ModuleType);

    /// <summary>The layer types a spec can name, in PyTorch's spelling.</summary>
    public static IReadOnlyList<string> Known { get; } = [.. ByName.Values.Select(e => e.Name)];

    /// <summary>
    /// Builds the module one layer object describes (freshly initialised from the global <see cref="Rng"/>). Errors
    /// name the model, the layer's <paramref name="index"/> and the key at fault.
    /// </summary>
    public static Module Create(JsonObject layer, int index, string model)
    {
        string type = layer["type"] is JsonValue t && t.TryGetValue<string>(out var name) ? name
            : throw new InvalidDataException($"Model '{model}': layer {index} has no \"type\" name.");
        if (!ByName.TryGetValue(type, out var entry))
            throw new InvalidDataException($"Model '{model}': layer {index} has unknown type '{type}' (known: {string.Join(", ", Known)}).");
        var args = new LayerArgs(layer, index, type, model);
        Module m;
        // The layers' constructors reject bad settings (zero channels, p = 1.5) with ArgumentException; in a
        // spec that is bad data, reported with the layer's index like every other spec error.
        try { m = entry.Create!(args); }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Model '{model}': layer {index.ToString(CultureInfo.InvariantCulture)} ({type}) is invalid: {e.Message}");
        }
        args.RejectUnused();
        return m;
    }

    /// <summary>The spec object of <paramref name="layer"/>: its type name and the arguments that differ from their defaults.</summary>
    /// <exception cref="ArgumentException">The module's type is not registered, or it has a setting a spec cannot state.</exception>
    public static JsonObject Describe(Module layer)
    {
        if (!ByModule.TryGetValue(layer.GetType(), out var entry))
            throw new ArgumentException($"{layer.GetType().Name} is not a registered layer type, so it cannot be written to a model spec (known: {string.Join(", ", Known)}).");
        var o = new JsonObject { ["type"] = entry.Name };
        entry.Write(layer, new LayerArgsWriter(o));
        return o;
    }

    /// <summary>The spec objects of a model's layers, in order.</summary>
    public static List<JsonObject> DescribeLayers(Sequential model) => [.. model.Layers.Select(Describe)];

    /// <summary>A Conv1d with "causal": true: left padding of dilation·(kernel_size − 1), so no step sees the future.</summary>
    private static CausalConv1d CausalConv(LayerArgs a)
    {
        if (a.Int("padding", 0) != 0) throw new ArgumentException("a causal Conv1d pads on the left by itself; leave out \"padding\"");
        return new CausalConv1d(a.Int("in_channels"), a.Int("out_channels"), a.Int("kernel_size"), a.Int("stride", 1), a.Int("dilation", 1), a.Int("groups", 1), a.Bool("bias", true));
    }

    /// <summary>The Keras-style switches of a recurrent layer in a spec.</summary>
    private static RecurrentLayer Recurrent(RecurrentLayer layer, LayerArgs a)
    {
        layer.ReturnSequences = a.Bool("return_sequences", true);
        layer.Stateful = a.Bool("stateful", false);
        return layer;
    }

    private static void WriteRecurrent(RecurrentLayer m, LayerArgsWriter w)
    {
        if (!m.BatchFirst) throw new ArgumentException($"{m.Describe()}: a recurrent layer in a model spec is batch-first; construct it with batchFirst: true.");
        w.Int("input_size", m.InputSize).Int("hidden_size", m.HiddenSize).Int("num_layers", m.NumLayers, 1).Bool("bias", m.HasBias, true)
            .Float("dropout", m.Dropout, 0f).Bool("bidirectional", m.Bidirectional, false)
            .Bool("return_sequences", m.ReturnSequences, true).Bool("stateful", m.Stateful, false);
    }

    private static void WriteBatchNorm(BatchNorm m, LayerArgsWriter w) =>
        w.Int("num_features", m.NumFeatures).Float("eps", m.Eps, 1e-5f).Float("momentum", m.Momentum, 0.1f).Bool("affine", m.Weight is not null, true);

    /// <summary>A spec states square sizes only (one number for both sides).</summary>
    private static int Square((int H, int W) size, Module m) =>
        size.H == size.W ? size.H : throw new ArgumentException($"{m.Describe()}: a model spec states square sizes only, got {size.H}×{size.W}.");
}
