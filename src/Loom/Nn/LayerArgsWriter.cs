using System.Globalization;
using System.Text.Json.Nodes;

namespace Loom.Nn;

/// <summary>
/// Writes one layer's arguments into its spec object, for <see cref="LayerRegistry.Describe(Module)"/>: an
/// argument equal to its default is left out, so a spec lists only what differs from PyTorch's defaults.
/// </summary>
public sealed class LayerArgsWriter
{
    internal LayerArgsWriter(JsonObject layer) => Layer = layer;

    internal JsonObject Layer { get; }

    public LayerArgsWriter Int(string key, int value) { Layer[key] = value; return this; }

    public LayerArgsWriter Int(string key, int value, int fallback) => value == fallback ? this : Int(key, value);

    /// <summary>A size for both sides: one number when they are equal, else [height, width].</summary>
    public LayerArgsWriter IntPair(string key, (int H, int W) value, int fallback)
    {
        if (value.H == value.W) return Int(key, value.H, fallback);
        return IntArray(key, [value.H, value.W]);
    }

    public LayerArgsWriter IntArray(string key, IEnumerable<int> values)
    {
        Layer[key] = new JsonArray(values.Select(v => (JsonNode)v).ToArray());
        return this;
    }

    /// <summary>
    /// Writes the float's shortest decimal form as a double (0.3f as 0.3, not 0.30000001192…), the value a spec
    /// file would hold and the one the reader turns back into the same float.
    /// </summary>
    public LayerArgsWriter Float(string key, float value, float fallback)
    {
        if (value.Equals(fallback)) return this;
        Layer[key] = double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return this;
    }

    public LayerArgsWriter Bool(string key, bool value, bool fallback)
    {
        if (value != fallback) Layer[key] = value;
        return this;
    }

    public LayerArgsWriter String(string key, string value, string fallback)
    {
        if (value != fallback) Layer[key] = value;
        return this;
    }

    /// <summary>A nested list of layers (a <see cref="Residual"/>'s body).</summary>
    public LayerArgsWriter LayerList(string key, IReadOnlyList<Module> layers)
    {
        Layer[key] = List(layers);
        return this;
    }

    /// <summary>A list of layer lists (a <see cref="Concat"/>'s branches); a branch that is not a <see cref="Sequential"/> is a list of one.</summary>
    public LayerArgsWriter LayerLists(string key, IReadOnlyList<Module> branches)
    {
        Layer[key] = new JsonArray(branches.Select(b => (JsonNode)List(b is Sequential s ? s.Layers : [b])).ToArray());
        return this;
    }

    private static JsonArray List(IReadOnlyList<Module> layers) => new(layers.Select(l => (JsonNode)LayerRegistry.Describe(l)).ToArray());
}
