using Loom.Data;
using Loom.IO;
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
    /// <summary>A speech model's features (the spec's <c>"audio"</c>): how a clip becomes its (frames, n_mels) input; null for others.</summary>
    public Audio.SpeechFrontEnd? Audio { get; init; }

    /// <summary>Parses a spec; <paramref name="source"/> names the file or model in error messages.</summary>
    /// <exception cref="InvalidDataException">
    /// The JSON is malformed, nests deeper or is larger than <paramref name="limits"/> allow, repeats a key, or a field is
    /// missing, null where a value is needed, of the wrong type or out of range; the message names the source and the field.
    /// </exception>
    public static ModelSpec Parse(string json, string source, ReaderLimits? limits = null)
    {
        // Messages from deeper down quote file content; the entry point lets out only clean, bounded ones (ErrorText.Bounded).
        try { return ParseCore(json, source, limits); }
        catch (InvalidDataException e) when (!Loom.IO.ErrorText.IsClean(e.Message)) { throw Loom.IO.ErrorText.Bounded(e); }
    }

    private static ModelSpec ParseCore(string json, string source, ReaderLimits? limits)
    {
        ArgumentNullException.ThrowIfNull(json);
        limits ??= ReaderLimits.Default;
        if (json.Length > limits.MaxJsonBytes)
            throw new InvalidDataException($"Model spec {source} has {json.Length} characters, above the limit of {limits.MaxJsonBytes} (ReaderLimits.MaxJsonBytes).");
        JsonNode? root;
        // Repeated keys are an error (parsers differ on which one wins), reported by the parser with the key's path.
        var options = new JsonDocumentOptions { MaxDepth = limits.MaxJsonDepth, AllowDuplicateProperties = false };
        try { root = JsonNode.Parse(json, documentOptions: options); }
        catch (JsonException e) { throw new InvalidDataException($"Model spec {source} is not valid JSON: {ErrorText.Clean(e.Message)}"); }
        if (root is not JsonObject o) throw new InvalidDataException($"Model spec {source} must be a JSON object.");
        try
        {
            var layers = o["layers"] as JsonArray ?? throw new InvalidDataException($"Model spec {source} has no \"layers\" array.");
            var normalize = OptionalObject(o, "normalize", source);
            var augment = OptionalObject(o, "augment", source);
            var audio = OptionalObject(o, "audio", source);
            var spec = new ModelSpec
            {
                Name = OptionalString(o, "name", source) ?? Path.GetFileNameWithoutExtension(source),
                Task = ParseTask(OptionalString(o, "task", source), source),
                Tokenizer = ParseTokenizer(OptionalString(o, "tokenizer", source), source),
                Vocabulary = StringArray(o["vocabulary"], "vocabulary", source, limits.MaxVocabulary),
                InputShape = IntArray(o["input_shape"], "input_shape", source, limits.MaxRank) ?? throw new InvalidDataException($"Model spec {source} has no \"input_shape\" (e.g. [1, 28, 28])."),
                Classes = o["classes"] is JsonNode classes ? Int(classes, "classes", source) : throw new InvalidDataException($"Model spec {source} has no \"classes\" count."),
                NormalizeMean = FloatArray(normalize?["mean"], "normalize.mean", source, limits.MaxInputElements),
                NormalizeStd = FloatArray(normalize?["std"], "normalize.std", source, limits.MaxInputElements),
                RandomCropPadding = augment?["random_crop_padding"] is JsonNode pad ? Int(pad, "augment.random_crop_padding", source) : 0,
                HorizontalFlip = augment?["horizontal_flip"] is JsonNode flip ? Bool(flip, "augment.horizontal_flip", source) : false,
                ClassNames = StringArray(o["class_names"], "class_names", source, int.MaxValue),
                Audio = audio is null ? null : Loom.Audio.SpeechFrontEnd.FromJson(audio, source),
                Layers = layers.Select((l, i) => l as JsonObject ?? throw new InvalidDataException($"Model spec {source}: layer {i} is not a JSON object.")).ToList(),
            };
            if (spec.InputShape.Length == 0 || spec.InputShape.Any(d => d <= 0)) throw new InvalidDataException($"Model spec {source}: input_shape must list positive sizes.");
            ReaderLimits.Check(ShapeUtil.SizeOf(spec.InputShape), limits.MaxInputElements, $"the element count of input_shape {ShapeUtil.Format(spec.InputShape)}", nameof(ReaderLimits.MaxInputElements), $"Model spec {source}");
            if (spec.Classes < 2) throw new InvalidDataException($"Model spec {source}: classes must be at least 2, got {spec.Classes}.");
            if (spec.ClassNames is not null && spec.ClassNames.Length != spec.Classes)
                throw new InvalidDataException($"Model spec {source}: {spec.ClassNames.Length} class names for {spec.Classes} classes.");
            if (spec.Task == TaskKind.Transcribe && (spec.Audio is null || spec.InputShape.Length != 2 || spec.InputShape[1] != spec.Audio.NMels))
                throw new InvalidDataException($"Model spec {source}: a transcribe model needs an \"audio\" object and input_shape [frames, n_mels].");
            if (spec.RandomCropPadding < 0) throw new InvalidDataException($"Model spec {source}: augment.random_crop_padding is {spec.RandomCropPadding}; expected 0 or more.");
            return spec;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"Model spec {source} has a value of the wrong type: {ErrorText.Clean(e.Message)}");
        }
    }

    private static JsonObject? OptionalObject(JsonObject o, string key, string source) => o[key] switch
    {
        null => null,
        JsonObject inner => inner,
        var other => throw new InvalidDataException($"Model spec {source} has a value of the wrong type: \"{key}\" must be an object, found {Describe(other)}."),
    };

    private static string? OptionalString(JsonObject o, string key, string source) => o[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out string? text) => text,
        var other => throw new InvalidDataException($"Model spec {source} has a value of the wrong type: \"{key}\" must be a string, found {Describe(other)}."),
    };

    private static int Int(JsonNode node, string key, string source) =>
        node is JsonValue v && v.TryGetValue(out int i) ? i
            : throw new InvalidDataException($"Model spec {source} has a value of the wrong type: \"{key}\" must be a 32-bit integer, found {Describe(node)}.");

    private static bool Bool(JsonNode node, string key, string source) =>
        node is JsonValue v && v.TryGetValue(out bool b) ? b
            : throw new InvalidDataException($"Model spec {source} has a value of the wrong type: \"{key}\" must be true or false, found {Describe(node)}.");

    private static string[]? StringArray(JsonNode? node, string key, string source, int maxCount)
    {
        if (node is null) return null;
        if (node is not JsonArray a) throw new InvalidDataException($"Model spec {source} has a value of the wrong type: \"{key}\" must be an array of strings, found {Describe(node)}.");
        if (a.Count > maxCount) throw new InvalidDataException($"Model spec {source}: \"{key}\" has {a.Count} entries, above the limit of {maxCount} (ReaderLimits.MaxVocabulary).");
        var result = new string[a.Count];
        for (int i = 0; i < result.Length; i++)
            result[i] = a[i] is JsonValue v && v.TryGetValue(out string? text) ? text
                : throw new InvalidDataException($"Model spec {source} has a value of the wrong type: \"{key}\"[{i}] must be a string, found {Describe(a[i])}.");
        return result;
    }

    /// <summary>Describes a JSON value in an error message: its kind and (cut, cleaned) text.</summary>
    private static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        _ => node.GetValueKind().ToString().ToLowerInvariant() + " " + ErrorText.Clean(node.ToJsonString(), 40),
    };

    private static TaskKind ParseTask(string? task, string source) => task switch
    {
        null or "classify" => TaskKind.Classify,
        "tag" => TaskKind.Tag,
        "language-model" => TaskKind.LanguageModel,
        "transcribe" => TaskKind.Transcribe,
        _ => throw new InvalidDataException($"Model spec {source}: task must be \"classify\", \"tag\", \"language-model\" or \"transcribe\", got \"{task}\"."),
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
        TaskKind.Transcribe => "transcribe",
        _ => "classify",
    };

    /// <summary>Whether the output has one prediction per step, (N, T, classes), rather than per sample.</summary>
    public bool PerStep => Task != TaskKind.Classify;

    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">See <see cref="Parse"/>; a file larger than <see cref="ReaderLimits.MaxJsonBytes"/> is not read.</exception>
    public static ModelSpec Load(string path, ReaderLimits? limits = null)
    {
        limits ??= ReaderLimits.Default;
        if (!File.Exists(path)) throw new FileNotFoundException($"Model spec file '{path}' does not exist.", path);
        ReaderLimits.Check(new FileInfo(path).Length, limits.MaxJsonBytes, "the file size in bytes", nameof(ReaderLimits.MaxJsonBytes), $"Model spec '{path}'");
        return Parse(File.ReadAllText(path), $"'{path}'", limits);
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
        if (Audio is not null) o["audio"] = Audio.ToJson();
        o["layers"] = new JsonArray(Layers.Select(l => l.DeepClone()).ToArray());
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>
    /// Builds the model (freshly initialised from the global <see cref="Rng"/>) and checks, by one
    /// forward pass on zeros, that every layer accepts its input and the output is (N, classes), or
    /// (N, T, classes) for taggers and language models.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// A layer is invalid or does not fit, or the model is larger than <paramref name="limits"/> allow: checked from
    /// the layers' arguments before any layer is built (<see cref="SpecBudget"/>), since a 200-byte spec could ask for
    /// 7 GB of weights or activations.
    /// </exception>
    public Sequential Build(ReaderLimits? limits = null)
    {
        SpecBudget.Check(this, limits ?? ReaderLimits.Default);
        var model = new Sequential();
        try
        {
            for (int i = 0; i < Layers.Count; i++) model.Add(LayerRegistry.Create(Layers[i], i, Name));
            Check(model);
        }
        // The layers' messages quote the spec's own values (names, unknown keys), which a hostile spec makes
        // kilobytes long or fills with control characters; the message keeps one bounded, printable line.
        catch (InvalidDataException e) when (ErrorText.Clean(e.Message, ErrorText.MaxMessageLength) is var clean && clean != e.Message)
        {
            throw new InvalidDataException(clean, e);
        }
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
        if (Task == TaskKind.Transcribe)
        {
            int frames = model.OutputLengths([InputShape[0]])[0];
            if (output.Length != 3 || output[1] != frames || output[2] != Classes)
                throw new InvalidDataException($"Model '{Name}' ends with output (N, {string.Join(", ", output.Skip(1))}) but must give (N, {frames}, {Classes}): character scores for every output frame.");
        }
        else if (PerStep)
        {
            if (output.Length != 3 || output[1] != InputShape[0] || output[2] != Classes)
                throw new InvalidDataException($"Model '{Name}' ends with output (N, {string.Join(", ", output.Skip(1))}) but must give (N, {InputShape[0]}, {Classes}): scores for every step.");
        }
        else if (output.Length != 2 || output[1] != Classes)
            throw new InvalidDataException($"Model '{Name}' ends with output (N, {string.Join(", ", output.Skip(1))}) but must give (N, {Classes}) class scores.");
        if (Vocabulary is not null && model.Layers.Count > 0 && model[0] is Embedding embedding && embedding.NumEmbeddings != Vocabulary.Length)
            throw new InvalidDataException($"Model '{Name}': its Embedding has {embedding.NumEmbeddings} rows but the vocabulary has {Vocabulary.Length} tokens.");
    }

    private static int[]? IntArray(JsonNode? node, string key, string source, int maxCount)
    {
        if (node is null) return null;
        if (node is not JsonArray a) throw new InvalidDataException($"Model spec {source} has a value of the wrong type: \"{key}\" must be an array.");
        if (a.Count > maxCount) throw new InvalidDataException($"Model spec {source}: \"{key}\" has {a.Count} entries, above the limit of {maxCount} (ReaderLimits.MaxRank).");
        var result = new int[a.Count];
        for (int i = 0; i < result.Length; i++) result[i] = a[i] is JsonNode item ? Int(item, $"{key}[{i}]", source)
            : throw new InvalidDataException($"Model spec {source} has a value of the wrong type: \"{key}\"[{i}] must be a 32-bit integer, found null.");
        return result;
    }

    /// <summary>
    /// A float array; every value must be finite as float32 (1e39 parses as a double but is +Inf as a float, and
    /// such a spec loaded but could not be written back).
    /// </summary>
    private static float[]? FloatArray(JsonNode? node, string key, string source, long maxCount)
    {
        if (node is null) return null;
        if (node is not JsonArray a) throw new InvalidDataException($"Model spec {source} has a value of the wrong type: \"{key}\" must be an array of numbers, found {Describe(node)}.");
        if (a.Count > maxCount) throw new InvalidDataException($"Model spec {source}: \"{key}\" has {a.Count} entries, above the limit of {maxCount}.");
        var result = new float[a.Count];
        for (int i = 0; i < result.Length; i++)
        {
            if (a[i] is not JsonValue v || !v.TryGetValue(out double d))
                throw new InvalidDataException($"Model spec {source} has a value of the wrong type: \"{key}\"[{i}] must be a number, found {Describe(a[i])}.");
            float f = (float)d;
            if (!float.IsFinite(f)) throw new InvalidDataException($"Model spec {source}: \"{key}\"[{i}] is {ErrorText.Clean(v.ToJsonString(), 40)}, outside the float32 range.");
            result[i] = f;
        }
        return result;
    }
}
