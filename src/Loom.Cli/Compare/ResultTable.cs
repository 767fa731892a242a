using System.Globalization;
using System.Text;

namespace Loom.Cli.Compare;

/// <summary>The comparison as a table: one row per model, the metric, size, training time and inference throughput.</summary>
internal static class ResultTable
{
    public static string[] Header(Comparison c)
    {
        string[] common = ["model", "family", c.Task.MetricName, "parameters", "epochs", "train time", $"inference ({c.Task.Unit}/s)"];
        if (!c.Results.Any(r => r.Speech is not null)) return common;
        int beam = c.Results.First(r => r.Speech is not null).Speech!.BeamWidth;
        return [.. common[..3], $"WER (beam {beam})", "CER (greedy)", $"CER (beam {beam})", .. common[3..], "real-time factor (1 core)"];
    }

    public static List<string[]> Rows(Comparison c) => c.Results.Select(r =>
    {
        string[] common =
        [
            r.Model.Name,
            r.Model.Family,
            CompareRunner.Format(c.Task, r.Metric(c.Task.Metric)),
            r.Parameters.ToString("N0", CultureInfo.InvariantCulture),
            r.History.Count.ToString(CultureInfo.InvariantCulture),
            r.TrainSeconds.ToString("F1", CultureInfo.InvariantCulture) + " s",
            double.IsFinite(r.InferencePerSecond) ? r.InferencePerSecond.ToString("N0", CultureInfo.InvariantCulture) : "–",
        ];
        if (r.Speech is not { } s) return common;
        return [.. common[..3], CompareRunner.Format(c.Task, s.Beam.Wer), CompareRunner.Format(c.Task, r.Final.ValidationCer), CompareRunner.Format(c.Task, s.Beam.Cer),
            .. common[3..], s.RealTimeFactor.ToString("F3", CultureInfo.InvariantCulture)];
    }).ToList();

    /// <summary>A plain-text table for the terminal, numbers right-aligned.</summary>
    public static string Text(Comparison c)
    {
        var header = Header(c);
        var rows = Rows(c);
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        var sb = new StringBuilder();
        void Line(string[] cells) =>
            sb.AppendLine(string.Join("  ", cells.Select((cell, i) => i < 2 ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i]))).TrimEnd());
        Line(header);
        sb.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var r in rows) Line(r);
        foreach (var b in c.Baselines)
            sb.AppendLine($"baseline: {b.Name}: {CompareRunner.Format(c.Task, b.Value)}");
        return sb.ToString();
    }

    /// <summary>A Markdown table.</summary>
    public static string Markdown(Comparison c)
    {
        var sb = new StringBuilder();
        var header = Header(c);
        sb.AppendLine("| " + string.Join(" | ", header) + " |");
        sb.AppendLine("| " + string.Join(" | ", header.Select((_, i) => i < 2 ? "---" : "---:")) + " |");
        foreach (var r in Rows(c)) sb.AppendLine("| " + string.Join(" | ", r.Select((cell, i) => i == 0 ? $"`{cell}`" : cell)) + " |");
        return sb.ToString();
    }
}
