namespace Loom.Cli.Compare;

/// <summary>Everything one <c>loom compare</c> run measured: the task, how it ran, the baselines and each model's results.</summary>
/// <param name="Task">The task.</param>
/// <param name="DataName">The data set actually used (e.g. fashion-mnist-mini).</param>
/// <param name="TrainCount">Training samples in the data's unit.</param>
/// <param name="TestCount">Held-out samples in the data's unit.</param>
/// <param name="Settings">Budget, seed and data options.</param>
/// <param name="Command">The command line that reproduces the run.</param>
/// <param name="Threads">Kernel threads.</param>
/// <param name="Baselines">Reference figures on the same split.</param>
/// <param name="Results">One per model, in table order.</param>
internal sealed record Comparison(
    CompareTask Task,
    string DataName,
    int TrainCount,
    int TestCount,
    CompareSettings Settings,
    string Command,
    int Threads,
    IReadOnlyList<Baseline> Baselines,
    IReadOnlyList<ModelResult> Results)
{
    /// <summary>When the run finished (UTC), for reports.</summary>
    public DateTime FinishedUtc { get; init; } = DateTime.UtcNow;

    /// <summary>Whether <paramref name="a"/> is better than <paramref name="b"/> in the task's metric.</summary>
    public bool Better(double a, double b) => Task.HigherIsBetter ? a > b : a < b;

    /// <summary>The results ordered best first.</summary>
    public IReadOnlyList<ModelResult> Ranked => Task.HigherIsBetter
        ? Results.OrderByDescending(r => r.Metric(Task.Metric)).ToList()
        : Results.OrderBy(r => r.Metric(Task.Metric)).ToList();
}
