using System.Text.Json;
using System.Text.Json.Nodes;

namespace Loom.Cli;

/// <summary>Writes one JSON object to stdout for --json.</summary>
internal static class JsonOutput
{
    public static void Write(JsonObject o) => Console.Out.WriteLine(o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>A double as JSON, with NaN (not representable) as null.</summary>
    public static JsonNode? Number(double v) => Training.HistoryJson.Number(v);
}
