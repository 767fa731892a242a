using Loom.Data;
using Loom.Serialization;

namespace Loom.Models;

/// <summary>
/// One entry of the <see cref="ModelZoo"/>: the model's name, its task, whether it reads text (then its builder
/// needs <see cref="TextModelInputs"/>) and the builder, typed C# that constructs the module.
/// </summary>
public sealed record ZooModel(string Name, TaskKind Task, bool ReadsText, Func<TextModelInputs?, BuiltModel> Builder)
{
    /// <summary>Builds the model (consuming the global generator as its layers draw their initial weights).</summary>
    public BuiltModel Build(TextModelInputs? text = null) => Builder(ReadsText
        ? text ?? throw new ArgumentException($"Model '{Name}' reads text: train it on a text data set (moby-dick, brown, spam-assassin, langid or their -mini samples).")
        : null);
}
