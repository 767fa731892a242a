using Loom.Models;
using Loom.Recipes;
using Loom.Serialization;

namespace Loom.Cli;

/// <summary>Resolves a --model that must be a saved model, with the command's hint when it is not.</summary>
internal static class ModelSource
{
    /// <summary>A saved model; a name or spec is refused with a hint, since it has no trained weights.</summary>
    public static ModelFile.Loaded Saved(string value)
    {
        if (!ModelSources.IsSavedModel(value))
        {
            if (ModelZoo.Contains(value))
                throw new UserException($"'{value}' is a built-in architecture without trained weights; train it first (loom train --model {value} --out model.safetensors) and pass the saved file.");
            throw new UserException($"--model must be a saved model file (.safetensors, or .onnx from loom export or torch.onnx.export), got '{value}'.");
        }
        return ModelFile.Load(value);
    }
}
