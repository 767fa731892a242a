namespace Loom.Cli.Compare;

/// <summary>A trivial or classical reference figure, measured on the same split as the models.</summary>
/// <param name="Name">What it is, e.g. "majority class (ham)".</param>
/// <param name="Value">In the task's metric: accuracy in [0, 1], or bits per character.</param>
internal sealed record Baseline(string Name, double Value);
