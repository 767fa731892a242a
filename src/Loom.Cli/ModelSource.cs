using Loom.Models;
using Loom.Serialization;

namespace Loom.Cli;

/// <summary>Resolves --model: a built-in name, a spec .json file, or a saved .safetensors model.</summary>
internal static class ModelSource
{
    public static bool IsSavedModel(string value) => value.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase);

    /// <summary>The spec for a name or spec file (not a saved model).</summary>
    public static ModelSpec Spec(string value)
    {
        if (value.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return ModelSpec.Load(value);
        if (IsSavedModel(value)) return ModelFile.Load(value).Spec;
        if (File.Exists(value)) throw new UserException($"'{value}' is neither a model spec (.json) nor a saved model (.safetensors).");
        try { return ModelZoo.Get(value); }
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
