namespace Loom.Cli.Compare;

/// <summary>How every contestant of one comparison is trained.</summary>
/// <param name="Epochs">Epochs per model (a cosine schedule over them), or null with a budget.</param>
/// <param name="BudgetMinutes">Training wall time per model: epochs run at a constant rate until the next one would not fit (at least one).</param>
/// <param name="Seed">Seed of initialisation, shuffling and dropout, reset before each model.</param>
/// <param name="Mini">Whether the embedded samples are used.</param>
/// <param name="TrainSamples">Only this many training samples, or null for all.</param>
internal sealed record CompareSettings(int? Epochs, double? BudgetMinutes, int Seed, bool Mini, int? TrainSamples)
{
    /// <summary>Describes the budget for reports: "3 epochs each" or "2 minutes of training each".</summary>
    public string Describe() => Epochs is int e
        ? $"{e} epoch{(e == 1 ? "" : "s")} each (cosine schedule)"
        : $"{BudgetMinutes!.Value.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)} minutes of training each (constant rate)";
}
