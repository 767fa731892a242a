namespace Loom.Training;

/// <summary>Thrown when the loss or the gradients stop being finite numbers.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
