using Loom.Models;
using Loom.Serialization;

namespace Loom.Recipes;

/// <summary>A model named the way a run names it: a built-in name, a spec .json file or a saved model (.safetensors, or .onnx).</summary>
public static class ModelSources
{
    public static bool IsSavedModel(string value) =>
        value.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || value.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);

    public static bool IsSpecFile(string value) => value.EndsWith(".json", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The model and spec of <paramref name="value"/>, built once (a new model draws its weights from the global
    /// generator; a saved one keeps its own). A built-in text model needs <paramref name="text"/>.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name (the known ones are listed) or a file of another kind.</exception>
    public static BuiltModel Build(string value, TextModelInputs? text = null)
    {
        if (IsSpecFile(value)) { var spec = ModelSpec.Load(value); return new BuiltModel(spec, spec.Build()); }
        if (IsSavedModel(value)) { var saved = ModelFile.Load(value); return new BuiltModel(saved.Spec, saved.Model); }
        if (File.Exists(value)) throw new ArgumentException($"'{value}' is neither a model spec (.json) nor a saved model (.safetensors or .onnx).");
        return ModelZoo.Build(value, text);
    }
}
