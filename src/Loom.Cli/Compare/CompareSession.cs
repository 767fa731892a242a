using System.Globalization;

namespace Loom.Cli.Compare;

/// <summary>
/// One comparison from start to end, shared by <c>loom compare</c> and <c>loom demo</c>: load the data once,
/// measure the baselines, train every contestant, print the table and its reading, and write the reports.
/// </summary>
internal static class CompareSession
{
    /// <summary>Loads the task's data and prints its baselines, training nothing.</summary>
    public static void PrintBaselines(CompareTask task, bool mini, string? dataDir, int? trainSamples, int seed)
    {
        var data = TaskData.Load(task, mini, dataDir, trainSamples, seed);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{task.Title}. Data {data.Name}: {data.TrainCount:N0} training / {data.TestCount:N0} held-out samples."));
        foreach (var b in Baselines.Measure(data))
            Console.WriteLine($"baseline: {b.Name}: {CompareRunner.Format(task, b.Value)}");
    }

    /// <summary>Runs the comparison; with <paramref name="outDir"/> writes compare-TASK.md, .json and the charts there.</summary>
    public static Comparison Run(CompareTask task, IReadOnlyList<CompareModel> models, CompareSettings settings, string? dataDir, string? outDir, string command)
    {
        var output = Console.Out;
        var data = TaskData.Load(task, settings.Mini, dataDir, settings.TrainSamples, settings.Seed);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{task.Title}. Data {data.Name}: {data.TrainCount:N0} training / {data.TestCount:N0} held-out samples; {models.Count} model{(models.Count == 1 ? "" : "s")}, {settings.Describe()}, seed {settings.Seed}, {Kernels.Threading.Threads} threads."));
        var baselines = Baselines.Measure(data);
        var results = new CompareRunner(output, !Console.IsOutputRedirected).RunAll(data, settings, models);
        var comparison = new Comparison(task, data.Name, data.TrainCount, data.TestCount, settings, command, Kernels.Threading.Threads, baselines, results);
        output.WriteLine();
        output.Write(ResultTable.Text(comparison));
        output.WriteLine();
        output.WriteLine(Reading.Of(comparison));
        if (outDir is not null)
        {
            Directory.CreateDirectory(outDir);
            string json = Path.Combine(outDir, $"compare-{task.Name}.json"), md = Path.Combine(outDir, $"compare-{task.Name}.md");
            JsonReport.Write(comparison, json);
            var charts = Charts.Write(comparison, outDir);
            MarkdownReport.Write(comparison, md, charts);
            string html = WriteHtml(comparison, outDir, charts);
            output.WriteLine();
            output.WriteLine($"Wrote {md}, {json} and {string.Join(", ", charts)}");
            output.WriteLine($"Report: {html}");
        }
        return comparison;
    }

    /// <summary>The comparison as one HTML page beside its charts: the table, the baselines, the reading and the command.</summary>
    private static string WriteHtml(Comparison c, string outDir, IReadOnlyList<string> charts)
    {
        var page = new Inspect.ReportPage($"CNN against RNN: {c.Task.Title}");
        page.Paragraph($"Data {c.DataName}: {c.TrainCount:N0} training / {c.TestCount:N0} held-out samples; {c.Settings.Describe()}, seed {c.Settings.Seed}, {c.Threads} threads.");
        page.Table(ResultTable.Header(c), ResultTable.Rows(c));
        foreach (var b in c.Baselines) page.Paragraph($"Baseline {b.Name}: {CompareRunner.Format(c.Task, b.Value)}");
        page.Heading("Reading").Paragraph(Reading.Of(c));
        page.Heading("Charts");
        foreach (var chart in charts) page.Image(Path.GetFileName(chart), Path.GetFileNameWithoutExtension(chart), pixelated: false);
        page.Heading("Reproduce").Raw($"<pre>{Inspect.ReportPage.Encode(c.Command)}</pre>");
        string path = Path.Combine(outDir, $"compare-{c.Task.Name}.html");
        page.Save(path);
        return path;
    }
}
