using System.Globalization;
using System.Text.Json;
using Loom.IO;
using Loom.Nn;
using Loom.Optim;

namespace Loom.Serialization;

/// <summary>
/// A model in one <c>.safetensors</c> file: the weights under PyTorch state-dict names (<c>0.weight</c>,
/// <c>3.bias</c>), the <see cref="ModelSpec"/> in the metadata so the file alone rebuilds the model,
/// and — in a checkpoint — the optimizer state (<c>optimizer.state.exp_avg.0</c>, …) and everything
/// needed to resume exactly: epoch, step, learning rate, generator state and training options.
/// </summary>
public static class ModelFile
{
    private const string SpecKey = "loom.spec";
    private const string KindKey = "loom.kind";
    private const string OptimizerPrefix = "optimizer.";

    /// <summary>Training state saved beside the weights in a checkpoint.</summary>
    public sealed record TrainingState(string OptimizerKind, long OptimizerStep, float LearningRate, int CompletedEpochs,
        int SchedulerStep, uint[] RngState, IReadOnlyDictionary<string, string> Options, string HistoryJson);

    /// <summary>A loaded model file.</summary>
    public sealed record Loaded(Sequential Model, ModelSpec Spec, IReadOnlyDictionary<string, string> Metadata,
        TrainingState? Training, IReadOnlyList<(string Name, Tensor Value)> OptimizerState);

    /// <summary>Saves weights and spec (and optional extra metadata) atomically.</summary>
    public static void Save(string path, Module model, ModelSpec spec, IReadOnlyDictionary<string, string>? metadata = null)
        => Write(path, model, spec, metadata, null, null);

    /// <summary>Saves a resumable checkpoint: weights, spec, optimizer state and training state.</summary>
    public static void SaveCheckpoint(string path, Module model, ModelSpec spec, Optimizer optimizer, TrainingState state,
        IReadOnlyDictionary<string, string>? metadata = null) => Write(path, model, spec, metadata, optimizer, state);

    private static void Write(string path, Module model, ModelSpec spec, IReadOnlyDictionary<string, string>? extra, Optimizer? optimizer, TrainingState? state)
    {
        var meta = new Dictionary<string, string>(extra ?? new Dictionary<string, string>())
        {
            ["format"] = "pt",
            [SpecKey] = spec.ToJson(),
            [KindKey] = state is null ? "model" : "checkpoint",
        };
        var tensors = model.StateDict().ToList();
        var integers = tensors.Where(t => t.Name.EndsWith("num_batches_tracked", StringComparison.Ordinal)).Select(t => t.Name).ToHashSet();
        if (optimizer is not null && state is not null)
        {
            tensors.AddRange(optimizer.StateTensors().Select(t => (OptimizerPrefix + t.Name, t.Value)));
            meta["loom.optimizer"] = state.OptimizerKind;
            meta["loom.optimizer.step"] = state.OptimizerStep.ToString(CultureInfo.InvariantCulture);
            meta["loom.optimizer.lr"] = state.LearningRate.ToString("R", CultureInfo.InvariantCulture);
            meta["loom.epoch"] = state.CompletedEpochs.ToString(CultureInfo.InvariantCulture);
            meta["loom.scheduler.step"] = state.SchedulerStep.ToString(CultureInfo.InvariantCulture);
            meta["loom.rng"] = string.Join(",", state.RngState);
            meta["loom.options"] = new System.Text.Json.Nodes.JsonObject(state.Options.Select(kv => KeyValuePair.Create(kv.Key, (System.Text.Json.Nodes.JsonNode?)kv.Value))).ToJsonString();
            meta["loom.history"] = state.HistoryJson;
        }
        Safetensors.Save(path, tensors, meta, integers);
    }

    /// <summary>
    /// Loads a model (and checkpoint state if present); errors name the file and the problem. The model comes back
    /// in evaluation mode: a loaded model is for inference unless a trainer takes it (<see cref="Training.Trainer"/>
    /// switches to training mode at every epoch), and inference in eval mode never writes to the model, so one
    /// loaded model may serve many threads at once.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not a valid model or checkpoint within <paramref name="limits"/>: a malformed safetensors layout,
    /// spec or weights; weights or optimizer state holding NaN or ±Inf (unless
    /// <see cref="ReaderLimits.RejectNonFiniteWeights"/> is off); a training state no run can have reached.
    /// </exception>
    public static Loaded Load(string path, ReaderLimits? limits = null)
    {
        // Messages from deeper down quote file content; the entry point lets out only clean, bounded ones (ErrorText.Bounded).
        try { return LoadCore(path, limits); }
        catch (InvalidDataException e) when (!Loom.IO.ErrorText.IsClean(e.Message)) { throw Loom.IO.ErrorText.Bounded(e); }
    }

    private static Loaded LoadCore(string path, ReaderLimits? limits)
    {
        if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)) return Onnx.OnnxImport.Load(path, limits);
        limits ??= ReaderLimits.Default;
        var contents = Safetensors.Load(path, limits);
        if (!contents.Metadata.TryGetValue(SpecKey, out var specJson))
            throw new InvalidDataException($"'{path}' holds weights but no Loom model spec in its metadata, so the model cannot be rebuilt from it; build the model in code and call LoadStateDict.");
        var spec = ModelSpec.Parse(specJson, $"in '{path}'", limits);
        var model = spec.Build(limits);
        var weights = new Dictionary<string, Tensor>();
        var optimizerState = new List<(string, Tensor)>();
        foreach (var (name, value) in contents.Tensors)
        {
            // An error, not a warning: a NaN weight makes every answer NaN (loom eval printed "loss NaN" and exited
            // 0), and a library has no one to warn. Safetensors.Load still reads such a file for inspection.
            if (limits.RejectNonFiniteWeights && FirstNonFinite(value.Data) is int bad)
                throw new InvalidDataException($"'{path}': tensor '{ErrorText.Clean(name, 80)}' holds {value.Data[bad]} at element {bad} ({CountNonFinite(value.Data)} of {value.Size} values are not finite); a model with NaN or infinite weights cannot give meaningful outputs. Pass ReaderLimits with RejectNonFiniteWeights = false to load it anyway.");
            if (name.StartsWith(OptimizerPrefix, StringComparison.Ordinal)) optimizerState.Add((name[OptimizerPrefix.Length..], value));
            else weights[name] = value;
        }
        try { model.LoadStateDict(weights); }
        catch (InvalidDataException e) { throw new InvalidDataException($"'{path}': {e.Message}"); }
        model.Eval();
        TrainingState? state = null;
        var m = contents.Metadata;
        if (m.TryGetValue(KindKey, out var kind) && kind == "checkpoint")
        {
            try
            {
                state = new TrainingState(m["loom.optimizer"], long.Parse(m["loom.optimizer.step"], CultureInfo.InvariantCulture),
                    float.Parse(m["loom.optimizer.lr"], CultureInfo.InvariantCulture), int.Parse(m["loom.epoch"], CultureInfo.InvariantCulture),
                    int.Parse(m["loom.scheduler.step"], CultureInfo.InvariantCulture),
                    m["loom.rng"].Split(',').Select(s => uint.Parse(s, CultureInfo.InvariantCulture)).ToArray(),
                    ParseOptions(m["loom.options"], limits), m["loom.history"]);
            }
            catch (Exception e) when (e is KeyNotFoundException or FormatException or OverflowException or JsonException)
            {
                throw new InvalidDataException($"'{path}' is marked as a checkpoint but its training state is incomplete or malformed ({ErrorText.Clean(e.Message)}).");
            }
            CheckTrainingState(state, path);
        }
        return new Loaded(model, spec, contents.Metadata, state, optimizerState);
    }

    /// <summary>
    /// Rejects a training state that no run can have saved, at load rather than at resume (where a NaN rate was
    /// silently replaced and a wrong-length generator state failed with a parameter-style message). An error, not a
    /// warning: resuming from it cannot reproduce the interrupted run, which is the point of a checkpoint.
    /// </summary>
    private static void CheckTrainingState(TrainingState state, string path)
    {
        string? problem =
            state.CompletedEpochs < 0 ? $"epoch is {state.CompletedEpochs}; expected a count of completed epochs, 0 or more"
            : state.OptimizerStep < 0 ? $"optimizer step is {state.OptimizerStep}; expected 0 or more"
            : state.SchedulerStep < 0 ? $"scheduler step is {state.SchedulerStep}; expected 0 or more"
            : !float.IsFinite(state.LearningRate) || state.LearningRate < 0 ? $"learning rate is {state.LearningRate}; expected a finite rate, 0 or more"
            : state.RngState.Length != RngStateWords ? $"generator state has {state.RngState.Length} words; expected {RngStateWords}"
            : state.RngState.All(w => w == 0) ? "generator state is all zeros, which the generator never reaches"
            : null;
        if (problem is not null)
            throw new InvalidDataException($"'{path}' is a checkpoint with an impossible training state: {problem}.");
    }

    /// <summary>Words of <see cref="Rng.GetState"/> (xoshiro128**).</summary>
    private const int RngStateWords = 4;

    private static int? FirstNonFinite(float[] data)
    {
        for (int i = 0; i < data.Length; i++) if (!float.IsFinite(data[i])) return i;
        return null;
    }

    private static int CountNonFinite(float[] data)
    {
        int n = 0;
        foreach (float v in data) if (!float.IsFinite(v)) n++;
        return n;
    }

    private static Dictionary<string, string> ParseOptions(string json, ReaderLimits limits)
    {
        var root = System.Text.Json.Nodes.JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = limits.MaxJsonDepth, AllowDuplicateProperties = false })
            as System.Text.Json.Nodes.JsonObject ?? throw new FormatException("options are not a JSON object");
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in root)
        {
            // Written as strings by SaveCheckpoint; anything else (a number, an object) is a damaged or forged file.
            if (value is null) options[key] = "";
            else if (value is System.Text.Json.Nodes.JsonValue v && v.TryGetValue(out string? text)) options[key] = text;
            else throw new FormatException($"option '{ErrorText.Clean(key, 80)}' is {value.GetValueKind().ToString().ToLowerInvariant()}, expected a string");
        }
        return options;
    }
}
