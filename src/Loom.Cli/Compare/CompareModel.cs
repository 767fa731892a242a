namespace Loom.Cli.Compare;

/// <summary>One contestant of a comparison: a built-in model, its family and the learning rate it trains with.</summary>
/// <param name="Name">A <see cref="Models.ModelZoo"/> name.</param>
/// <param name="Family">"CNN", "RNN" or "hybrid" (convolutions feeding a recurrent layer).</param>
/// <param name="LearningRate">Adam's rate: the one each model's own documented run uses, so no model is handicapped by another's setting.</param>
internal sealed record CompareModel(string Name, string Family, float LearningRate);
