using System.Globalization;
using System.Text.Json.Nodes;

namespace Loom.Nn;

/// <summary>
/// The arguments of one layer object of a model spec, read by the layer's factory in <see cref="LayerRegistry"/>.
/// It remembers which keys were read, so that a misspelt key is an error that lists the layer's known arguments
/// rather than silently ignored; every error names the model, the layer's index and its type.
/// </summary>
public sealed class LayerArgs
{
    private readonly JsonObject _layer;
    private readonly int _index;
    private readonly string _type, _model;
    private readonly List<string> _used = ["type"];

    internal LayerArgs(JsonObject layer, int index, string type, string model) => (_layer, _index, _type, _model) = (layer, index, type, model);

    private JsonNode? Get(string key)
    {
        if (!_used.Contains(key)) _used.Add(key);
        return _layer[key];
    }

    public int Int(string key) => OptionalInt(key) ?? throw Error($"needs \"{key}\"");
    public int Int(string key, int fallback) => OptionalInt(key) ?? fallback;

    public int? OptionalInt(string key)
    {
        var n = Get(key);
        if (n is null) return null;
        try { return n.GetValue<int>(); }
        catch (Exception e) when (e is InvalidOperationException or FormatException) { throw Error($"\"{key}\" must be a whole number, got {n.ToJsonString()}"); }
    }

    /// <summary>A size for both sides: one number, or [height, width] as PyTorch's tuples.</summary>
    public (int H, int W) IntPair(string key, int? fallback = null)
    {
        var n = Get(key);
        if (n is null) return fallback is int f ? (f, f) : throw Error($"needs \"{key}\"");
        if (n is not JsonArray) return (Int(key), Int(key));
        var v = IntArray(key);
        return v.Length == 2 ? (v[0], v[1]) : throw Error($"\"{key}\" must be a whole number or a pair [height, width], got {n.ToJsonString()}");
    }

    public int[] IntArray(string key)
    {
        var n = Get(key) ?? throw Error($"needs \"{key}\"");
        try { return n is JsonArray a ? a.Select(v => v!.GetValue<int>()).ToArray() : throw Error($"\"{key}\" must be a list of whole numbers, got {n.ToJsonString()}"); }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException) { throw Error($"\"{key}\" must be a list of whole numbers, got {n.ToJsonString()}"); }
    }

    public float Float(string key, float fallback)
    {
        var n = Get(key);
        if (n is null) return fallback;
        try { return (float)n.GetValue<double>(); }
        catch (Exception e) when (e is InvalidOperationException or FormatException) { throw Error($"\"{key}\" must be a number, got {n.ToJsonString()}"); }
    }

    public bool Bool(string key, bool fallback)
    {
        var n = Get(key);
        if (n is null) return fallback;
        try { return n.GetValue<bool>(); }
        catch (Exception e) when (e is InvalidOperationException or FormatException) { throw Error($"\"{key}\" must be true or false, got {n.ToJsonString()}"); }
    }

    /// <summary>One of <paramref name="choices"/> (the first is the default), by its name in the spec.</summary>
    public T Choice<T>(string key, params (string Name, T Value)[] choices)
    {
        var n = Get(key);
        if (n is null) return choices[0].Value;
        string? name = null;
        try { name = n.GetValue<string>(); }
        catch (Exception e) when (e is InvalidOperationException or FormatException) { throw Error($"\"{key}\" must be a string, got {n.ToJsonString()}"); }
        foreach (var (choice, value) in choices)
            if (choice == name) return value;
        throw Error($"\"{key}\" must be {string.Join(" or ", choices.Select(c => "\"" + c.Name + "\""))}, got \"{name}\"");
    }

    /// <summary>A nested list of layer objects (a <see cref="Residual"/>'s body), built as a <see cref="Sequential"/>.</summary>
    public Sequential LayerList(string key) =>
        LayerList(Get(key), $"\"{key}\"", $"layer {_index.ToString(CultureInfo.InvariantCulture)} ({_type})");

    /// <summary>A non-empty list of layer lists (a <see cref="Concat"/>'s branches), each built as a <see cref="Sequential"/>.</summary>
    public Module[] LayerLists(string key)
    {
        if (Get(key) is not JsonArray lists || lists.Count == 0)
            throw new ArgumentException($"needs \"{key}\": a non-empty list of layer lists");
        var built = new Module[lists.Count];
        for (int b = 0; b < built.Length; b++)
            built[b] = LayerList(lists[b], $"branch {b}", $"layer {_index.ToString(CultureInfo.InvariantCulture)} ({_type}), branch {b}");
        return built;
    }

    /// <summary>Builds a nested list; errors inside it name <paramref name="where"/>.</summary>
    private Sequential LayerList(JsonNode? node, string what, string where)
    {
        if (node is not JsonArray layers || layers.Count == 0) throw new ArgumentException($"{what} must be a non-empty list of layers");
        var list = new Sequential();
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is not JsonObject layer) throw new ArgumentException($"{what}: layer {i} is not a JSON object");
            try { list.Add(LayerRegistry.Create(layer, i, _model)); }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"Model '{_model}': {where}: {e.Message.Replace($"Model '{_model}': ", "", StringComparison.Ordinal)}");
            }
        }
        return list;
    }

    /// <summary>Fails on keys the factory did not read: misspelt or unknown arguments.</summary>
    internal void RejectUnused()
    {
        var extra = _layer.Select(p => p.Key).Where(k => !_used.Contains(k)).ToList();
        if (extra.Count == 0) return;
        var known = _used.Skip(1).ToList();
        throw Error($"has unknown argument{(extra.Count > 1 ? "s" : "")} {string.Join(", ", extra.Select(e => "\"" + e + "\""))}" +
            (known.Count == 0 ? " (it takes none)" : $" (known: {string.Join(", ", known)})"));
    }

    /// <summary>An error about this layer: "Model 'm': layer 3 (Conv2d) <paramref name="what"/>."</summary>
    public InvalidDataException Error(string what) => new($"Model '{_model}': layer {_index.ToString(CultureInfo.InvariantCulture)} ({_type}) {what}.");
}
