using Loom.Models;
using Loom.Serialization;

namespace Loom.Cli;

/// <summary>Resolves --model: a built-in name, a spec .json file, or a saved .safetensors model.</summary>
internal static class ModelSource
{
    public static bool IsSavedModel(string value) => value.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase);

    /// <summary>The model and spec of a name, a spec file or a saved model (built once: it draws from the global generator).</summary>
    public static BuiltModel Build(string value)
    {
        if (value.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) { var spec = ModelSpec.Load(value); return new BuiltModel(spec, spec.Build()); }
        if (IsSavedModel(value)) { var saved = ModelFile.Load(value); return new BuiltModel(saved.Spec, saved.Model); }
        if (File.Exists(value)) throw new UserException($"'{value}' is neither a model spec (.json) nor a saved model (.safetensors).");
        try { return ModelZoo.Build(value); }
        catch (ArgumentException e) { throw new UserException(e.Message); }
    }

    /// <summary>A saved model; a name or spec is refused with a hint, since it has no trained weights.</summary>
    public static ModelFile.Loaded Saved(string value)
    {
        if (!IsSavedModel(value))
        {
            if (ModelZoo.Names.Contains(value))
                throw new UserException($"'{value}' is a built-in architecture without trained weights; train it first (loom train --model {value} --out model.safetensors) and pass the saved file.");
            throw new UserException($"--model must be a saved model file (.safetensors), got '{value}'.");
        }
        return ModelFile.Load(value);
    }
}
