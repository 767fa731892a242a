using System.Globalization;
using System.Text.Json.Nodes;
using Loom.Training;

namespace Loom.Cli;

/// <summary>Per-epoch history as JSON, for --json output and checkpoints.</summary>
internal static class HistoryJson
{
    /// <param name="history">The epochs.</param>
    /// <param name="heldOut">What the per-epoch held-out figures were measured on: "test", or "val" for a validation split.</param>
    public static JsonArray ToNode(IEnumerable<EpochResult> history, string heldOut = "test") => new(history.Select(r => (JsonNode)new JsonObject
    {
        ["epoch"] = r.Epoch,
        ["loss"] = JsonOutput.Number(r.TrainLoss),
        ["accuracy"] = JsonOutput.Number(r.TrainAccuracy),
        [heldOut + "_loss"] = JsonOutput.Number(r.ValidationLoss),
        [heldOut + "_accuracy"] = JsonOutput.Number(r.ValidationAccuracy),
        ["lr"] = JsonOutput.Number(r.LearningRate),
        ["seconds"] = JsonOutput.Number(r.Seconds),
        ["samples_per_second"] = JsonOutput.Number(r.SamplesPerSecond),
    }).ToArray());

    public static string Write(IEnumerable<EpochResult> history) => ToNode(history).ToJsonString();

    public static List<EpochResult> Parse(string json)
    {
        var list = new List<EpochResult>();
        if (JsonNode.Parse(json) is not JsonArray array) return list;
        foreach (var node in array)
        {
            double D(string key) => node?[key] is JsonValue v ? v.GetValue<double>() : double.NaN;
            list.Add(new EpochResult((int)D("epoch"), D("loss"), D("accuracy"), D("test_loss"), D("test_accuracy"), (float)D("lr"), D("seconds"), D("samples_per_second")));
        }
        return list;
    }
}
