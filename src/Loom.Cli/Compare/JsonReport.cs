using Loom.Training;
using Loom.IO;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Loom.Cli.Compare;

/// <summary>
/// compare-TASK.json: the settings, baselines and, per model, the final figures and the per-epoch history the
/// charts are drawn from (held-out figures under test_*, and the task metric per epoch).
/// </summary>
internal static class JsonReport
{
    public static JsonObject ToNode(Comparison c) => new()
    {
        ["task"] = c.Task.Name,
        ["title"] = c.Task.Title,
        ["data"] = c.DataName,
        ["train_samples"] = c.TrainCount,
        ["test_samples"] = c.TestCount,
        ["metric"] = c.Task.Metric switch { CompareMetric.Accuracy => "accuracy", CompareMetric.WordErrorRate => "wer", _ => "bits_per_char" },
        ["higher_is_better"] = c.Task.HigherIsBetter,
        ["seed"] = c.Settings.Seed,
        ["epochs"] = c.Settings.Epochs,
        ["budget_minutes"] = c.Settings.BudgetMinutes,
        ["mini"] = c.Settings.Mini,
        ["batch_size"] = c.Task.BatchSize,
        ["clip_grad"] = c.Task.ClipGrad,
        ["threads"] = c.Threads,
        ["command"] = c.Command,
        ["finished_utc"] = c.FinishedUtc.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        ["baselines"] = new JsonArray(c.Baselines.Select(b => (JsonNode)new JsonObject { ["name"] = b.Name, ["value"] = JsonOutput.Number(b.Value) }).ToArray()),
        ["models"] = new JsonArray(c.Results.Select(r => (JsonNode)Model(c, r)).ToArray()),
        ["reading"] = Reading.Of(c),
    };

    private static JsonObject Model(Comparison c, ModelResult r)
    {
        var history = HistoryJson.ToNode(r.History);
        for (int i = 0; i < history.Count; i++)
            history[i]!["metric"] = JsonOutput.Number(ModelResult.MetricOf(r.History[i], c.Task.Metric));
        return new JsonObject
        {
            ["name"] = r.Model.Name,
            ["family"] = r.Model.Family,
            ["parameters"] = r.Parameters,
            ["learning_rate"] = JsonOutput.Number(r.Model.LearningRate),
            ["epochs"] = r.History.Count,
            ["metric"] = JsonOutput.Number(r.Metric(c.Task.Metric)),
            ["test_accuracy"] = JsonOutput.Number(r.Accuracy),
            ["test_loss"] = JsonOutput.Number(r.Final.ValidationLoss),
            ["bits_per_char"] = c.Task.Metric == CompareMetric.BitsPerChar ? JsonOutput.Number(r.Bits) : null,
            ["cer"] = r.Speech is null ? null : JsonOutput.Number(r.Final.ValidationCer),
            ["wer"] = r.Speech is null ? null : JsonOutput.Number(r.Final.ValidationWer),
            ["beam_width"] = r.Speech?.BeamWidth,
            ["beam_cer"] = r.Speech is null ? null : JsonOutput.Number(r.Speech.Beam.Cer),
            ["beam_wer"] = r.Speech is null ? null : JsonOutput.Number(r.Speech.Beam.Wer),
            ["real_time_factor_one_core"] = r.Speech is null ? null : JsonOutput.Number(r.Speech.RealTimeFactor),
            ["real_time_factor_clips"] = r.Speech?.RealTimeClips,
            ["train_seconds"] = JsonOutput.Number(r.TrainSeconds),
            ["inference_per_second"] = JsonOutput.Number(r.InferencePerSecond),
            ["held_out_predictions"] = r.HeldOutPredictions,
            ["history"] = history,
        };
    }

    public static void Write(Comparison c, string path) =>
        AtomicFile.WriteAllText(path, ToNode(c).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
}
