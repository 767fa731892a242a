using Loom.Nn;

namespace Loom.Inspect;

/// <summary>
/// Every module's output for one batch, by its path in the model ("0", "2.1", "" for the model itself), in the
/// order the modules finished.
/// </summary>
public sealed class LayerOutputs
{
    private readonly Dictionary<string, Tensor> _byPath;

    internal LayerOutputs(Tensor input, Tensor output, List<(string Path, Module Module, Tensor Output)> layers)
    {
        (Input, Output, Layers) = (input, output, layers);
        _byPath = [];
        foreach (var (path, _, y) in layers) _byPath.TryAdd(path, y);
    }

    public Tensor Input { get; }

    /// <summary>The model's output.</summary>
    public Tensor Output { get; }

    public IReadOnlyList<(string Path, Module Module, Tensor Output)> Layers { get; }

    /// <summary>The output of the module at <paramref name="path"/> (its first call, if it ran more than once).</summary>
    /// <exception cref="KeyNotFoundException">No module of the model has that path; the message lists the paths.</exception>
    public Tensor this[string path] => _byPath.TryGetValue(path, out var y) ? y
        : throw new KeyNotFoundException($"No layer '{path}' ran; the model's layers are {string.Join(", ", _byPath.Keys.Select(k => $"'{k}'"))}.");
}
