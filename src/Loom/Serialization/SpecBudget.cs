using System.Text.Json.Nodes;
using Loom.IO;

namespace Loom.Serialization;

/// <summary>
/// What a <see cref="ModelSpec"/> will cost, estimated from the layers' JSON arguments alone so that an absurd spec
/// is rejected before a layer allocates its weights (a 192-byte spec asked for a 30000×30000 Linear, 3.6 GB) or the
/// check pass its activations (input (1, 30000, 30000), 3.5 GB). The estimate is an upper bound and deliberately
/// rough — every model Loom ships is thousands of times below the limits — and arithmetic is in double, so a
/// kernel_size of 10^6 is a large number, not an overflow.
/// </summary>
internal static class SpecBudget
{
    // Arguments that set a layer's width (its channels, features or state), and those that grow a spatial size.
    private static readonly string[] WidthKeys = ["in_features", "out_features", "in_channels", "out_channels", "num_features",
        "embedding_dim", "input_size", "hidden_size"];
    private static readonly string[] GrowthKeys = ["padding", "left", "right"];

    public static void Check(ModelSpec spec, ReaderLimits limits)
    {
        string source = $"Model '{ErrorText.Clean(spec.Name, 80)}'";
        double parameters = 0, width = 1, growth = 0, outputs = 1;
        int layers = 0;
        Walk(spec.Layers, ref parameters, ref width, ref growth, ref outputs, ref layers, limits, source);
        ReaderLimits.Check(layers, limits.MaxLayers, "the number of layers", nameof(ReaderLimits.MaxLayers), source);
        if (parameters > limits.MaxTotalParameters)
            throw new InvalidDataException($"{source}: its layers would hold about {parameters:G3} parameters, above the limit of {limits.MaxTotalParameters} (ReaderLimits.MaxTotalParameters).");
        double input = 1;
        foreach (int d in spec.InputShape) input *= d + 2 * growth;
        double activation = input * Math.Max(width, outputs);
        if (activation > limits.MaxActivationElements)
            throw new InvalidDataException($"{source}: for input {ShapeUtil.Format(spec.InputShape)} a layer output may reach about {activation:G3} elements per sample, above the limit of {limits.MaxActivationElements} (ReaderLimits.MaxActivationElements).");
    }

    private static void Walk(IEnumerable<JsonNode?> layers, ref double parameters, ref double width, ref double growth, ref double outputs,
        ref int count, ReaderLimits limits, string source)
    {
        foreach (var node in layers)
        {
            // A count past the limit stops the walk at once, so a spec of a million layers costs no more than the limit.
            if (++count > limits.MaxLayers)
                throw new InvalidDataException($"{source}: more than {limits.MaxLayers} layers (ReaderLimits.MaxLayers).");
            if (node is not JsonObject layer) continue;
            string type = layer["type"] is JsonValue t && t.TryGetValue(out string? name) ? name : "";
            parameters += Parameters(type, layer);
            foreach (string key in WidthKeys) width = Math.Max(width, Number(layer, key, 1) * (key == "hidden_size" ? 8 : 1));
            foreach (string key in GrowthKeys) growth = Math.Max(growth, Number(layer, key, 0));
            if (type.StartsWith("Adaptive", StringComparison.OrdinalIgnoreCase)) outputs = Math.Max(outputs, Math.Pow(Number(layer, "output_size", 1), 2) * width);
            if (layer["layers"] is JsonArray inner) Walk(inner, ref parameters, ref width, ref growth, ref outputs, ref count, limits, source);
            if (layer["branches"] is JsonArray branches)
                foreach (var branch in branches)
                    if (branch is JsonArray list) Walk(list, ref parameters, ref width, ref growth, ref outputs, ref count, limits, source);
        }
    }

    /// <summary>Weights of one layer as PyTorch lays them out (biases included), from its arguments.</summary>
    private static double Parameters(string type, JsonObject a)
    {
        double N(string key, double fallback = 0) => Number(a, key, fallback);
        switch (type.ToUpperInvariant())
        {
            case "LINEAR": return N("in_features") * N("out_features") + N("out_features");
            case "CONV1D": return N("out_channels") * N("in_channels") / Math.Max(1, N("groups", 1)) * N("kernel_size") + N("out_channels");
            case "CONV2D": return N("out_channels") * N("in_channels") / Math.Max(1, N("groups", 1)) * N("kernel_size") * N("kernel_size") + N("out_channels");
            case "EMBEDDING": return N("num_embeddings") * N("embedding_dim");
            case "BATCHNORM1D" or "BATCHNORM2D": return 4 * N("num_features");
            case "LSTM" or "GRU" or "RNN":
                double gates = type.Equals("LSTM", StringComparison.OrdinalIgnoreCase) ? 4 : type.Equals("GRU", StringComparison.OrdinalIgnoreCase) ? 3 : 1;
                double h = N("hidden_size"), layers = N("num_layers", 1), directions = a["bidirectional"] is JsonValue b && b.TryGetValue(out bool bi) && bi ? 2 : 1;
                double inputs = Math.Max(N("input_size"), h * directions);
                return layers * directions * gates * h * (inputs + h + 2);
            default: return 0;
        }
    }

    /// <summary>A numeric argument (any magnitude; negative ones count as 0, the layer rejects them), or <paramref name="fallback"/>.</summary>
    private static double Number(JsonObject layer, string key, double fallback) =>
        layer[key] is JsonValue v && v.TryGetValue(out double d) && double.IsFinite(d) ? Math.Max(0, d) : fallback;
}
