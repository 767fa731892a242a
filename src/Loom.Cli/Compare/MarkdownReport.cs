using Loom.IO;
using System.Globalization;
using System.Text;

namespace Loom.Cli.Compare;

/// <summary>compare-TASK.md: the command, the settings, the table, the baselines, the reading, the charts and the per-epoch history.</summary>
internal static class MarkdownReport
{
    public static string Text(Comparison c, IReadOnlyList<string> charts)
    {
        var t = c.Task;
        var sb = new StringBuilder();
        sb.AppendLine($"# CNN vs RNN: {t.Title}");
        sb.AppendLine();
        sb.AppendLine("```sh");
        sb.AppendLine(c.Command);
        sb.AppendLine("```");
        sb.AppendLine();
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Data `{c.DataName}`: {c.TrainCount:N0} training and {c.TestCount:N0} held-out samples; every model trains on the same split " +
            $"for {c.Settings.Describe()}, Adam, batch {t.BatchSize}{(t.ClipGrad is float clip ? $", gradients clipped to norm {clip}" : "")}, seed {c.Settings.Seed}, " +
            $"{c.Threads} kernel threads; finished {c.FinishedUtc:yyyy-MM-dd HH:mm} UTC. The held-out figure is the test split's after the last epoch " +
            $"(no model selection on it). Training time excludes evaluation; inference is held-out {t.Unit} per second in evaluation mode."));
        sb.AppendLine();
        sb.Append(ResultTable.Markdown(c));
        sb.AppendLine();
        if (c.Baselines.Count > 0)
        {
            sb.AppendLine("| baseline (same split) | " + t.MetricName + " |");
            sb.AppendLine("| --- | ---: |");
            foreach (var b in c.Baselines) sb.AppendLine($"| {b.Name} | {CompareRunner.Format(t, b.Value)} |");
            sb.AppendLine();
        }
        sb.AppendLine(Reading.Of(c));
        sb.AppendLine();
        foreach (var chart in charts) sb.AppendLine($"![{Path.GetFileNameWithoutExtension(chart)}]({Path.GetFileName(chart)})").AppendLine();
        sb.AppendLine($"## Held-out {t.MetricName} after each epoch");
        sb.AppendLine();
        int epochs = c.Results.Max(r => r.History.Count);
        sb.AppendLine("| epoch | " + string.Join(" | ", c.Results.Select(r => $"`{r.Model.Name}`")) + " |");
        sb.AppendLine("| ---: | " + string.Join(" | ", c.Results.Select(_ => "---:")) + " |");
        for (int e = 0; e < epochs; e++)
            sb.AppendLine($"| {e + 1} | " + string.Join(" | ", c.Results.Select(r => e < r.History.Count ? CompareRunner.Format(t, ModelResult.MetricOf(r.History[e], t.Metric)) : "")) + " |");
        return sb.ToString();
    }

    public static void Write(Comparison c, string path, IReadOnlyList<string> charts) => AtomicFile.WriteAllText(path, Text(c, charts));
}
