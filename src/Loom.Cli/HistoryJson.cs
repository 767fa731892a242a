using System.Globalization;
using System.Text.Json.Nodes;
using Loom.Training;

namespace Loom.Cli;

/// <summary>Per-epoch history as JSON, for --json output and checkpoints.</summary>
internal static class HistoryJson
{
    public static JsonArray ToNode(IEnumerable<EpochResult> history) => new(history.Select(r => (JsonNode)new JsonObject
    {
        ["epoch"] = r.Epoch,
        ["loss"] = JsonOutput.Number(r.TrainLoss),
        ["accuracy"] = JsonOutput.Number(r.TrainAccuracy),
        ["test_loss"] = JsonOutput.Number(r.ValidationLoss),
        ["test_accuracy"] = JsonOutput.Number(r.ValidationAccuracy),
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
