namespace Loom.Cli.Bench;

/// <summary>One measured number: its JSON key, what it measures, its value and unit.</summary>
internal sealed record Figure(string Key, string Label, double Value, string Unit);

/// <summary>The figures of one <c>loom bench</c> run, in the order measured, and where progress goes.</summary>
internal sealed class BenchRun(BenchPlan plan, TextWriter progress)
{
    private readonly List<Figure> _figures = [];

    public BenchPlan Plan { get; } = plan;
    public IReadOnlyList<Figure> Figures => _figures;

    public void Add(string key, string label, double value, string unit)
    {
        _figures.Add(new Figure(key, label, value, unit));
        progress.WriteLine($"  {label}: {Format(value)} {unit}");
    }

    public void Progress(string line) => progress.WriteLine(line);

    public static string Format(double v) => Math.Abs(v) >= 100 ? v.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)
        : v.ToString("0.0#", System.Globalization.CultureInfo.InvariantCulture);
}
