using System.Text.Json.Nodes;

namespace Loom.Training;

/// <summary>Per-epoch history as JSON: the <c>history</c> of <c>loom train --json</c>, and what a checkpoint keeps of the epochs behind it.</summary>
public static class HistoryJson
{
    /// <param name="history">The epochs.</param>
    /// <param name="heldOut">What the per-epoch held-out figures were measured on: "test", or "val" for a validation split.</param>
    public static JsonArray ToNode(IEnumerable<EpochResult> history, string heldOut = "test") => new(history.Select(r =>
    {
        var o = new JsonObject
        {
            ["epoch"] = r.Epoch,
            ["loss"] = Number(r.TrainLoss),
            ["accuracy"] = Number(r.TrainAccuracy),
            [heldOut + "_loss"] = Number(r.ValidationLoss),
            [heldOut + "_accuracy"] = Number(r.ValidationAccuracy),
            ["lr"] = Number(r.LearningRate),
            ["seconds"] = Number(r.Seconds),
            ["samples_per_second"] = Number(r.SamplesPerSecond),
        };
        // A transcriber's error rates; other tasks have none, and their history stays as it was.
        if (double.IsFinite(r.ValidationCer) || double.IsFinite(r.TrainCer))
        {
            o["cer"] = Number(r.TrainCer);
            o[heldOut + "_cer"] = Number(r.ValidationCer);
            o[heldOut + "_wer"] = Number(r.ValidationWer);
        }
        return (JsonNode)o;
    }).ToArray());

    public static string Write(IEnumerable<EpochResult> history) => ToNode(history).ToJsonString();

    public static List<EpochResult> Parse(string json)
    {
        var list = new List<EpochResult>();
        if (JsonNode.Parse(json) is not JsonArray array) return list;
        foreach (var node in array)
        {
            double D(string key) => node?[key] is JsonValue v ? v.GetValue<double>() : double.NaN;
            list.Add(new EpochResult((int)D("epoch"), D("loss"), D("accuracy"), D("test_loss"), D("test_accuracy"), (float)D("lr"), D("seconds"), D("samples_per_second"))
            {
                TrainCer = D("cer"),
                ValidationCer = D("test_cer"),
                ValidationWer = D("test_wer"),
            });
        }
        return list;
    }

    /// <summary>A finite figure rounded to 6 decimals; null (JSON null) for NaN or infinity.</summary>
    public static JsonNode? Number(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 6)) : null;
}
