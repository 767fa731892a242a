using Loom.Data;
using System.Text.Json;
using System.Text.Json.Nodes;
using Loom.Nn;
using Loom.Text;

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
    public string Name { get; init; } = "model";
    public TaskKind Task { get; init; } = TaskKind.Classify;
    /// <summary>How a text model cuts text into tokens ("char" or "word" in the JSON); null for others.</summary>
    public TokenizerKind? Tokenizer { get; init; }
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
                Tokenizer = ParseTokenizer(o["tokenizer"]?.GetValue<string>(), source),
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

    private static TokenizerKind? ParseTokenizer(string? tokenizer, string source) => tokenizer switch
    {
        null => null,
        "char" => TokenizerKind.Char,
        "word" => TokenizerKind.Word,
        _ => throw new InvalidDataException($"Model spec {source}: tokenizer must be \"char\" or \"word\", got \"{tokenizer}\"."),
    };

    /// <summary>A tokenizer's name in the JSON: "char" or "word".</summary>
    public static string TokenizerName(TokenizerKind tokenizer) => tokenizer == TokenizerKind.Char ? "char" : "word";

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
        if (Tokenizer is TokenizerKind tokenizer) o["tokenizer"] = TokenizerName(tokenizer);
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
        for (int i = 0; i < Layers.Count; i++) model.Add(LayerRegistry.Create(Layers[i], i, Name));
        Check(model);
        return model;
    }

    /// <summary>
    /// Checks, by one forward pass on zeros in eval mode (so no random draws), that <paramref name="model"/> takes
    /// this spec's input and gives its output: (N, classes), or (N, T, classes) for taggers and language models.
    /// </summary>
    /// <exception cref="InvalidDataException">A layer does not fit, or the output is not what the task needs.</exception>
    public void Check(Sequential model)
    {
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
        if (Vocabulary is not null && model.Layers.Count > 0 && model[0] is Embedding embedding && embedding.NumEmbeddings != Vocabulary.Length)
            throw new InvalidDataException($"Model '{Name}': its Embedding has {embedding.NumEmbeddings} rows but the vocabulary has {Vocabulary.Length} tokens.");
    }

    private static int[]? IntArray(JsonNode? node, string key, string source) =>
        node is null ? null : node as JsonArray is { } a ? a.Select(v => v!.GetValue<int>()).ToArray()
            : throw new InvalidDataException($"Model spec {source}: \"{key}\" must be an array.");

    private static float[]? FloatArray(JsonNode? node) =>
        node is JsonArray a ? a.Select(v => (float)v!.GetValue<double>()).ToArray() : null;
}
