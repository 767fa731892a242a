using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Loom.Nn;

namespace Loom.Serialization;

/// <summary>
/// A model described as data: the input shape, the class count, input preprocessing and a list of
/// layers with PyTorch's argument names. It is stored in every saved model so that the file alone
/// rebuilds the model; <c>loom train --model spec.json</c> reads the same format.
/// <para>
/// Text models also carry their <see cref="Task"/>, <see cref="Tokenizer"/> and <see cref="Vocabulary"/>
/// (token strings in id order), so a saved model encodes new text exactly as its training text was; their
/// input_shape is (T): token ids, T the longest sequence (classify, tag) or the training chunk length
/// (language model). Recurrent layers in a spec are always batch-first.
/// </para>
/// </summary>
/// <example>
/// {"name": "tiny", "input_shape": [1, 28, 28], "classes": 10,
///  "normalize": {"mean": [0.286], "std": [0.353]},
///  "layers": [{"type": "Flatten"}, {"type": "Linear", "in_features": 784, "out_features": 10}]}
/// </example>
public sealed record ModelSpec
{
    /// <summary>What the model's output means.</summary>
    public enum TaskKind
    {
        /// <summary>One class per sample: output (N, classes).</summary>
        Classify,
        /// <summary>One class per step (a tagger): output (N, T, classes).</summary>
        Tag,
        /// <summary>The next token at every step: output (N, T, vocabulary size).</summary>
        LanguageModel,
    }

    public string Name { get; init; } = "model";
    public TaskKind Task { get; init; } = TaskKind.Classify;
    /// <summary>"char" or "word" for text models; null for others.</summary>
    public string? Tokenizer { get; init; }
    /// <summary>The tokens of a text model's vocabulary, in id order (0 = padding, 1 = unknown).</summary>
    public string[]? Vocabulary { get; init; }
    public int[] InputShape { get; init; } = [];
    public int Classes { get; init; }
    public float[]? NormalizeMean { get; init; }
    public float[]? NormalizeStd { get; init; }
    /// <summary>Training-time augmentation: zero padding before a random crop back to the input size (0 = off).</summary>
    public int RandomCropPadding { get; init; }
    public bool HorizontalFlip { get; init; }
    /// <summary>Optional names of the classes, for predictions.</summary>
    public string[]? ClassNames { get; init; }
    public IReadOnlyList<JsonObject> Layers { get; init; } = [];

    /// <summary>Parses a spec; <paramref name="source"/> names the file or model in error messages.</summary>
    public static ModelSpec Parse(string json, string source)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(json); }
        catch (JsonException e) { throw new InvalidDataException($"Model spec {source} is not valid JSON: {e.Message}"); }
        if (root is not JsonObject o) throw new InvalidDataException($"Model spec {source} must be a JSON object.");
        try
        {
            var layers = o["layers"] as JsonArray ?? throw new InvalidDataException($"Model spec {source} has no \"layers\" array.");
            var spec = new ModelSpec
            {
                Name = o["name"]?.GetValue<string>() ?? Path.GetFileNameWithoutExtension(source),
                Task = ParseTask(o["task"]?.GetValue<string>(), source),
                Tokenizer = o["tokenizer"]?.GetValue<string>(),
                Vocabulary = (o["vocabulary"] as JsonArray)?.Select(v => v!.GetValue<string>()).ToArray(),
                InputShape = IntArray(o["input_shape"], "input_shape", source) ?? throw new InvalidDataException($"Model spec {source} has no \"input_shape\" (e.g. [1, 28, 28])."),
                Classes = o["classes"]?.GetValue<int>() ?? throw new InvalidDataException($"Model spec {source} has no \"classes\" count."),
                NormalizeMean = FloatArray(o["normalize"]?["mean"]),
                NormalizeStd = FloatArray(o["normalize"]?["std"]),
                RandomCropPadding = o["augment"]?["random_crop_padding"]?.GetValue<int>() ?? 0,
                HorizontalFlip = o["augment"]?["horizontal_flip"]?.GetValue<bool>() ?? false,
                ClassNames = (o["class_names"] as JsonArray)?.Select(v => v!.GetValue<string>()).ToArray(),
                Layers = layers.Select((l, i) => l as JsonObject ?? throw new InvalidDataException($"Model spec {source}: layer {i} is not a JSON object.")).ToList(),
            };
            if (spec.InputShape.Length == 0 || spec.InputShape.Any(d => d <= 0)) throw new InvalidDataException($"Model spec {source}: input_shape must list positive sizes.");
            if (spec.Classes < 2) throw new InvalidDataException($"Model spec {source}: classes must be at least 2, got {spec.Classes}.");
            if (spec.Tokenizer is not null and not ("char" or "word"))
                throw new InvalidDataException($"Model spec {source}: tokenizer must be \"char\" or \"word\", got \"{spec.Tokenizer}\".");
            if (spec.ClassNames is not null && spec.ClassNames.Length != spec.Classes)
                throw new InvalidDataException($"Model spec {source}: {spec.ClassNames.Length} class names for {spec.Classes} classes.");
            return spec;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"Model spec {source} has a value of the wrong type: {e.Message}");
        }
    }

    private static TaskKind ParseTask(string? task, string source) => task switch
    {
        null or "classify" => TaskKind.Classify,
        "tag" => TaskKind.Tag,
        "language-model" => TaskKind.LanguageModel,
        _ => throw new InvalidDataException($"Model spec {source}: task must be \"classify\", \"tag\" or \"language-model\", got \"{task}\"."),
    };

    private static string TaskName(TaskKind task) => task switch
    {
        TaskKind.Tag => "tag",
        TaskKind.LanguageModel => "language-model",
        _ => "classify",
    };

    /// <summary>Whether the output has one prediction per step, (N, T, classes), rather than per sample.</summary>
    public bool PerStep => Task != TaskKind.Classify;

    public static ModelSpec Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model spec file '{path}' does not exist.", path);
        return Parse(File.ReadAllText(path), $"'{path}'");
    }

    public string ToJson()
    {
        var o = new JsonObject
        {
            ["name"] = Name,
            ["task"] = TaskName(Task),
            ["input_shape"] = new JsonArray(InputShape.Select(d => (JsonNode)d).ToArray()),
            ["classes"] = Classes,
        };
        if (NormalizeMean is not null && NormalizeStd is not null)
            o["normalize"] = new JsonObject
            {
                ["mean"] = new JsonArray(NormalizeMean.Select(v => (JsonNode)v).ToArray()),
                ["std"] = new JsonArray(NormalizeStd.Select(v => (JsonNode)v).ToArray()),
            };
        if (RandomCropPadding > 0 || HorizontalFlip)
            o["augment"] = new JsonObject { ["random_crop_padding"] = RandomCropPadding, ["horizontal_flip"] = HorizontalFlip };
        if (ClassNames is not null) o["class_names"] = new JsonArray(ClassNames.Select(n => (JsonNode)n).ToArray());
        if (Tokenizer is not null) o["tokenizer"] = Tokenizer;
        if (Vocabulary is not null) o["vocabulary"] = new JsonArray(Vocabulary.Select(n => (JsonNode)n).ToArray());
        o["layers"] = new JsonArray(Layers.Select(l => l.DeepClone()).ToArray());
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>
    /// Builds the model (freshly initialised from the global <see cref="Rng"/>) and checks, by one
    /// forward pass on zeros, that every layer accepts its input and the output is (N, classes), or
    /// (N, T, classes) for taggers and language models.
    /// </summary>
    public Sequential Build()
    {
        var model = new Sequential();
        for (int i = 0; i < Layers.Count; i++) model.Add(LayerFactory.Create(Layers[i], i, Name));
        ModelSummary summary;
        try { summary = ModelSummary.Create(model, InputShape); }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Model '{Name}' does not fit together for input (N, {string.Join(", ", InputShape)}): {e.Message}");
        }
        model.ResetStates();
        var output = summary.Rows.Count > 0 ? summary.Rows[^1].OutputShape : [1, .. InputShape];
        if (PerStep)
        {
            if (output.Length != 3 || output[1] != InputShape[0] || output[2] != Classes)
                throw new InvalidDataException($"Model '{Name}' ends with output (N, {string.Join(", ", output.Skip(1))}) but must give (N, {InputShape[0]}, {Classes}): scores for every step.");
        }
        else if (output.Length != 2 || output[1] != Classes)
            throw new InvalidDataException($"Model '{Name}' ends with output (N, {string.Join(", ", output.Skip(1))}) but must give (N, {Classes}) class scores.");
        if (Vocabulary is not null && Layers.Count > 0 && model[0] is Embedding embedding && embedding.NumEmbeddings != Vocabulary.Length)
            throw new InvalidDataException($"Model '{Name}': its Embedding has {embedding.NumEmbeddings} rows but the vocabulary has {Vocabulary.Length} tokens.");
        return model;
    }

    private static int[]? IntArray(JsonNode? node, string key, string source) =>
        node is null ? null : node as JsonArray is { } a ? a.Select(v => v!.GetValue<int>()).ToArray()
            : throw new InvalidDataException($"Model spec {source}: \"{key}\" must be an array.");

    private static float[]? FloatArray(JsonNode? node) =>
        node is JsonArray a ? a.Select(v => (float)v!.GetValue<double>()).ToArray() : null;
}

/// <summary>Turns one layer object of a spec into a module, with errors that name the layer and the key.</summary>
internal static class LayerFactory
{
    public static Module Create(JsonObject layer, int index, string model)
    {
        string type = layer["type"] is JsonValue t && t.TryGetValue<string>(out var name) ? name
            : throw new InvalidDataException($"Model '{model}': layer {index} has no \"type\" name.");
        var args = new Args(layer, index, type, model);
        Module m;
        // The layers' constructors reject bad settings (zero channels, p = 1.5) with ArgumentException; in a
        // spec that is bad data, reported with the layer's index like every other spec error.
        try { m = Construct(type, args, index, model); }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Model '{model}': layer {index.ToString(CultureInfo.InvariantCulture)} ({type}) is invalid: {e.Message}");
        }
        args.RejectUnused();
        return m;
    }

    private static Module Construct(string type, Args args, int index, string model) =>
        type.ToLowerInvariant() switch
        {
            "linear" => new Linear(args.Int("in_features"), args.Int("out_features"), args.Bool("bias", true)),
            "conv2d" => new Conv2d(args.Int("in_channels"), args.Int("out_channels"), args.Int("kernel_size"), args.Int("stride", 1),
                args.Int("padding", 0), args.Int("dilation", 1), args.Int("groups", 1), args.Bool("bias", true)),
            "conv1d" when args.Bool("causal", false) => CausalConv(args),
            "conv1d" => new Conv1d(args.Int("in_channels"), args.Int("out_channels"), args.Int("kernel_size"), args.Int("stride", 1),
                args.Int("padding", 0), args.Int("dilation", 1), args.Int("groups", 1), args.Bool("bias", true)),
            "pad1d" => new Pad1d(args.Int("left", 0), args.Int("right", 0), args.Float("value", 0f)),
            "transpose" => new Transpose(args.Int("dim0"), args.Int("dim1")),
            "permute" => new Permute(args.IntArray("dims")),
            "concat" => new Concat(args.Int("dim", 1), Branches(args, index, model)),
            "residual" => new Residual(LayerList(args.Node("layers"), "\"layers\"", $"layer {index.ToString(CultureInfo.InvariantCulture)} (Residual)", model).Layers.ToArray()),
            "maxpool1d" => new MaxPool1d(args.Int("kernel_size"), args.OptionalInt("stride"), args.Int("padding", 0), args.Int("dilation", 1)),
            "avgpool1d" => new AvgPool1d(args.Int("kernel_size"), args.OptionalInt("stride"), args.Int("padding", 0), args.Bool("count_include_pad", true)),
            "adaptiveavgpool1d" => new AdaptiveAvgPool1d(args.Int("output_size")),
            "adaptivemaxpool1d" => new AdaptiveMaxPool1d(args.Int("output_size")),
            "maxpool2d" => new MaxPool2d(args.Int("kernel_size"), args.OptionalInt("stride"), args.Int("padding", 0), args.Int("dilation", 1)),
            "avgpool2d" => new AvgPool2d(args.Int("kernel_size"), args.OptionalInt("stride"), args.Int("padding", 0), args.Bool("count_include_pad", true)),
            "adaptiveavgpool2d" => new AdaptiveAvgPool2d(args.Int("output_size")),
            "flatten" => new Flatten(args.Int("start_dim", 1), args.Int("end_dim", -1)),
            "relu" => new Relu(),
            "leakyrelu" => new LeakyRelu(args.Float("negative_slope", 0.01f)),
            "tanh" => new Tanh(),
            "sigmoid" => new Sigmoid(),
            "gelu" => new Gelu(),
            "softmax" => new Nn.Softmax(args.Int("dim", -1)),
            "logsoftmax" => new LogSoftmax(args.Int("dim", -1)),
            "dropout" => new Dropout(args.Float("p", 0.5f)),
            "batchnorm1d" => new BatchNorm1d(args.Int("num_features"), args.Float("eps", 1e-5f), args.Float("momentum", 0.1f)),
            "batchnorm2d" => new BatchNorm2d(args.Int("num_features"), args.Float("eps", 1e-5f), args.Float("momentum", 0.1f)),
            "embedding" => new Embedding(args.Int("num_embeddings"), args.Int("embedding_dim"), args.OptionalInt("padding_idx")),
            "lstm" => Recurrent(new Lstm(args.Int("input_size"), args.Int("hidden_size"), args.Int("num_layers", 1), args.Bool("bias", true), true,
                args.Float("dropout", 0f), args.Bool("bidirectional", false)), args),
            "gru" => Recurrent(new Gru(args.Int("input_size"), args.Int("hidden_size"), args.Int("num_layers", 1), args.Bool("bias", true), true,
                args.Float("dropout", 0f), args.Bool("bidirectional", false)), args),
            "rnn" => Recurrent(new Rnn(args.Int("input_size"), args.Int("hidden_size"), args.Int("num_layers", 1), args.Nonlinearity(), args.Bool("bias", true), true,
                args.Float("dropout", 0f), args.Bool("bidirectional", false)), args),
            "sequencepool" => new SequencePool(args.PoolMode()),
            _ => throw new InvalidDataException($"Model '{model}': layer {index} has unknown type '{type}' (known: {string.Join(", ", Known)})."),
        };

    public static readonly string[] Known = ["Linear", "Conv1d", "Conv2d", "MaxPool1d", "AvgPool1d", "AdaptiveAvgPool1d", "AdaptiveMaxPool1d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Flatten", "ReLU", "LeakyReLU",
        "Tanh", "Sigmoid", "GELU", "Softmax", "LogSoftmax", "Dropout", "BatchNorm1d", "BatchNorm2d", "Embedding", "LSTM", "GRU", "RNN", "SequencePool",
        "Pad1d", "Transpose", "Permute", "Concat", "Residual"];

    /// <summary>A Conv1d with "causal": true: left padding of dilation·(kernel_size − 1), so no step sees the future.</summary>
    private static CausalConv1d CausalConv(Args args)
    {
        if (args.Int("padding", 0) != 0) throw new ArgumentException("a causal Conv1d pads on the left by itself; leave out \"padding\"");
        return new CausalConv1d(args.Int("in_channels"), args.Int("out_channels"), args.Int("kernel_size"), args.Int("stride", 1),
            args.Int("dilation", 1), args.Int("groups", 1), args.Bool("bias", true));
    }

    /// <summary>
    /// The "branches" of a Concat: a list of layer lists, each built as a <see cref="Sequential"/>. An error in a
    /// branch names the Concat layer and the branch.
    /// </summary>
    private static Module[] Branches(Args args, int index, string model)
    {
        if (args.Node("branches") is not JsonArray branches || branches.Count == 0)
            throw new ArgumentException("needs \"branches\": a non-empty list of layer lists");
        var built = new Module[branches.Count];
        for (int b = 0; b < built.Length; b++)
            built[b] = LayerList(branches[b], $"branch {b}", $"layer {index.ToString(CultureInfo.InvariantCulture)} (Concat), branch {b}", model);
        return built;
    }

    /// <summary>A nested list of layer objects built as a <see cref="Sequential"/>; errors inside name <paramref name="where"/>.</summary>
    private static Sequential LayerList(JsonNode? node, string what, string where, string model)
    {
        if (node is not JsonArray layers || layers.Count == 0) throw new ArgumentException($"{what} must be a non-empty list of layers");
        var list = new Sequential();
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is not JsonObject layer) throw new ArgumentException($"{what}: layer {i} is not a JSON object");
            try { list.Add(Create(layer, i, model)); }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"Model '{model}': {where}: {e.Message.Replace($"Model '{model}': ", "", StringComparison.Ordinal)}");
            }
        }
        return list;
    }

    /// <summary>The Keras-style switches of a recurrent layer in a spec.</summary>
    private static RecurrentLayer Recurrent(RecurrentLayer layer, Args args)
    {
        layer.ReturnSequences = args.Bool("return_sequences", true);
        layer.Stateful = args.Bool("stateful", false);
        return layer;
    }

    /// <summary>Reads arguments and remembers which were used, so that a misspelt key is an error rather than silently ignored.</summary>
    private sealed class Args(JsonObject layer, int index, string type, string model)
    {
        private readonly HashSet<string> _used = ["type"];

        private JsonNode? Get(string key) { _used.Add(key); return layer[key]; }

        public int Int(string key) => OptionalInt(key) ?? throw Error($"needs \"{key}\"");
        public JsonNode? Node(string key) => Get(key);
        public int[] IntArray(string key)
        {
            var n = Get(key) ?? throw Error($"needs \"{key}\"");
            try { return n is JsonArray a ? a.Select(v => v!.GetValue<int>()).ToArray() : throw Error($"\"{key}\" must be a list of whole numbers, got {n.ToJsonString()}"); }
            catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException) { throw Error($"\"{key}\" must be a list of whole numbers, got {n.ToJsonString()}"); }
        }
        public int Int(string key, int fallback) => OptionalInt(key) ?? fallback;
        public int? OptionalInt(string key)
        {
            var n = Get(key);
            if (n is null) return null;
            try { return n.GetValue<int>(); }
            catch (Exception e) when (e is InvalidOperationException or FormatException) { throw Error($"\"{key}\" must be a whole number, got {n.ToJsonString()}"); }
        }
        public float Float(string key, float fallback)
        {
            var n = Get(key);
            if (n is null) return fallback;
            try { return (float)n.GetValue<double>(); }
            catch (Exception e) when (e is InvalidOperationException or FormatException) { throw Error($"\"{key}\" must be a number, got {n.ToJsonString()}"); }
        }
        public bool Bool(string key, bool fallback)
        {
            var n = Get(key);
            if (n is null) return fallback;
            try { return n.GetValue<bool>(); }
            catch (Exception e) when (e is InvalidOperationException or FormatException) { throw Error($"\"{key}\" must be true or false, got {n.ToJsonString()}"); }
        }
        public RnnNonlinearity Nonlinearity() => String("nonlinearity", "tanh") switch
        {
            "tanh" => RnnNonlinearity.Tanh,
            "relu" => RnnNonlinearity.Relu,
            var other => throw Error($"\"nonlinearity\" must be \"tanh\" or \"relu\", got \"{other}\""),
        };
        public SequencePoolMode PoolMode() => String("mode", "max") switch
        {
            "max" => SequencePoolMode.Max,
            "mean" => SequencePoolMode.Mean,
            var other => throw Error($"\"mode\" must be \"max\" or \"mean\", got \"{other}\""),
        };
        private string String(string key, string fallback)
        {
            var n = Get(key);
            if (n is null) return fallback;
            try { return n.GetValue<string>(); }
            catch (Exception e) when (e is InvalidOperationException or FormatException) { throw Error($"\"{key}\" must be a string, got {n.ToJsonString()}"); }
        }
        public void RejectUnused()
        {
            var extra = layer.Select(p => p.Key).Where(k => !_used.Contains(k)).ToList();
            if (extra.Count > 0) throw Error($"has unknown argument{(extra.Count > 1 ? "s" : "")} {string.Join(", ", extra.Select(e => "\"" + e + "\""))}");
        }
        private InvalidDataException Error(string what) => new($"Model '{model}': layer {index.ToString(CultureInfo.InvariantCulture)} ({type}) {what}.");
    }
}
