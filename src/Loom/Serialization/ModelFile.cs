using System.Globalization;
using System.Text.Json;
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

    /// <summary>Loads a model (and checkpoint state if present); errors name the file and the problem.</summary>
    public static Loaded Load(string path)
    {
        if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)) return Onnx.OnnxImport.Load(path);
        var contents = Safetensors.Load(path);
        if (!contents.Metadata.TryGetValue(SpecKey, out var specJson))
            throw new InvalidDataException($"'{path}' holds weights but no Loom model spec in its metadata, so the model cannot be rebuilt from it; build the model in code and call LoadStateDict.");
        var spec = ModelSpec.Parse(specJson, $"in '{path}'");
        var model = spec.Build();
        var weights = new Dictionary<string, Tensor>();
        var optimizerState = new List<(string, Tensor)>();
        foreach (var (name, value) in contents.Tensors)
        {
            if (name.StartsWith(OptimizerPrefix, StringComparison.Ordinal)) optimizerState.Add((name[OptimizerPrefix.Length..], value));
            else weights[name] = value;
        }
        try { model.LoadStateDict(weights); }
        catch (InvalidDataException e) { throw new InvalidDataException($"'{path}': {e.Message}"); }
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
                    ParseOptions(m["loom.options"]), m["loom.history"]);
            }
            catch (Exception e) when (e is KeyNotFoundException or FormatException or OverflowException or JsonException)
            {
                throw new InvalidDataException($"'{path}' is marked as a checkpoint but its training state is incomplete or malformed ({e.Message}).");
            }
        }
        return new Loaded(model, spec, contents.Metadata, state, optimizerState);
    }

    private static Dictionary<string, string> ParseOptions(string json) =>
        (System.Text.Json.Nodes.JsonNode.Parse(json) as System.Text.Json.Nodes.JsonObject ?? throw new FormatException("options are not a JSON object"))
            .ToDictionary(kv => kv.Key, kv => kv.Value?.GetValue<string>() ?? "");
}
