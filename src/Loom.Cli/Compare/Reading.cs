using System.Globalization;

namespace Loom.Cli.Compare;

/// <summary>
/// A one-paragraph reading of a comparison, written from its numbers: who won and by how much, CNN against RNN,
/// which trained and ran faster, whether the models beat the baselines, and whether the gaps exceed sampling noise.
/// </summary>
internal static class Reading
{
    public static string Of(Comparison c)
    {
        var task = c.Task;
        var ranked = c.Ranked.Where(r => double.IsFinite(r.Metric(task.Metric))).ToList();
        if (ranked.Count == 0) return "No model produced a finite held-out figure, so there is nothing to compare.";
        var sentences = new List<string>();
        var best = ranked[0];
        string Metric(ModelResult r) => CompareRunner.Format(task, r.Metric(task.Metric));
        string Name(ModelResult r) => $"`{r.Model.Name}`";

        if (ranked.Count > 1)
        {
            var second = ranked[1];
            double gap = Math.Abs(best.Metric(task.Metric) - second.Metric(task.Metric));
            sentences.Add(gap < 1e-12
                ? $"{Name(best)} and {Name(second)} tied at {Metric(best)}"
                : $"{Name(best)} ({best.Model.Family}) came first with {Metric(best)} {task.MetricName}, {Gap(task, gap)} ahead of {Name(second)} ({second.Model.Family}, {Metric(second)})");
        }
        else sentences.Add($"{Name(best)} reached {Metric(best)} {task.MetricName}");

        var cnn = ranked.FirstOrDefault(r => r.Model.Family == "CNN");
        var rnn = ranked.FirstOrDefault(r => r.Model.Family == "RNN");
        if (cnn is not null && rnn is not null)
        {
            double d = cnn.Metric(task.Metric) - rnn.Metric(task.Metric);
            string verb = Math.Abs(d) < 1e-12 ? "tied with" : c.Better(cnn.Metric(task.Metric), rnn.Metric(task.Metric)) ? "beat" : "trailed";
            sentences.Add($"the best CNN, {Name(cnn)}, {verb} the best RNN, {Name(rnn)}, " + (verb == "tied with" ? "" : $"by {Gap(task, Math.Abs(d))} ") +
                $"with {Ratio(cnn.Parameters, rnn.Parameters)}");
        }

        var byTime = c.Results.OrderBy(r => r.TrainSeconds).ToList();
        if (byTime.Count > 1)
        {
            var fast = byTime[0];
            var slow = byTime[^1];
            sentences.Add(string.Create(CultureInfo.InvariantCulture,
                $"{Name(fast)} trained fastest ({fast.TrainSeconds:F1} s for {Epochs(fast)}), {Times(slow.TrainSeconds / fast.TrainSeconds)} faster than {Name(slow)} ({slow.TrainSeconds:F1} s)"));
            var byInference = c.Results.Where(r => double.IsFinite(r.InferencePerSecond)).OrderByDescending(r => r.InferencePerSecond).ToList();
            if (byInference.Count > 1)
                sentences.Add(string.Create(CultureInfo.InvariantCulture,
                    $"at inference {Name(byInference[0])} read the most {task.Unit} per second ({byInference[0].InferencePerSecond:N0}), {Times(byInference[0].InferencePerSecond / byInference[^1].InferencePerSecond)} as many as {Name(byInference[^1])}"));
        }

        var beatenByAll = new List<string>();
        foreach (var b in c.Baselines)
        {
            var losers = c.Results.Where(r => !c.Better(r.Metric(task.Metric), b.Value)).ToList();
            string named = $"{b.Name} at {CompareRunner.Format(task, b.Value)}";
            if (losers.Count == 0) beatenByAll.Add(named);
            else if (losers.Count == c.Results.Count) sentences.Add($"no model beat the baseline {named}");
            else sentences.Add($"{List(losers.Select(Name).ToList())} did not beat the baseline {named}");
        }
        if (beatenByAll.Count > 0)
            sentences.Add((c.Results.Count == 1 ? "it beat the baseline" : "every model beat the baseline") + (beatenByAll.Count > 1 ? "s " : " ") + List(beatenByAll));

        if (task.Metric == CompareMetric.Accuracy && ranked.Count > 1 && best.HeldOutPredictions > 0)
        {
            // Two standard errors of the difference of two accuracies near p measured on n items.
            double p = best.Accuracy;
            double noise = 2 * Math.Sqrt(2 * p * (1 - p) / best.HeldOutPredictions);
            double lead = Math.Abs(best.Metric(task.Metric) - ranked[1].Metric(task.Metric));
            sentences.Add(string.Create(CultureInfo.InvariantCulture,
                $"with {best.HeldOutPredictions:N0} held-out {task.Unit}, gaps under about {noise * 100:F1} points are within sampling noise, so the winner's lead is {(lead > noise ? "beyond" : "within")} it"));
        }
        if (c.Settings.Mini)
            sentences.Add($"these runs use the small {c.DataName} sample ({c.TrainCount:N0} training {UnitOfCount(c)}) and {c.Settings.Describe()}: a first look, not the full-data result");

        var text = string.Join("; ", sentences.Take(2)) + ". " + string.Join(". ", sentences.Skip(2).Select(Capitalise)) + ".";
        return Capitalise(text.Replace(". .", ".", StringComparison.Ordinal));
    }

    private static string UnitOfCount(Comparison c) => c.Task.Name switch
    {
        "spam" => "mails",
        "pos" => "sentences",
        _ => c.Task.Unit,
    };

    private static string Epochs(ModelResult r) => r.History.Count == 1 ? "1 epoch" : $"{r.History.Count} epochs";

    private static string Gap(CompareTask task, double gap) => task.IsPercentage
        ? (gap * 100).ToString("F1", CultureInfo.InvariantCulture) + " points"
        : gap.ToString("F3", CultureInfo.InvariantCulture) + " bits/char";

    private static string Times(double ratio) => ratio.ToString(ratio < 10 ? "F1" : "F0", CultureInfo.InvariantCulture) + "×";

    private static string Ratio(long a, long b)
    {
        double r = (double)a / b;
        return r >= 0.95 && r <= 1.05 ? "about as many parameters" : Times(r) + " the parameters";
    }

    private static string List(IReadOnlyList<string> items) =>
        items.Count <= 2 ? string.Join(" and ", items) : string.Join(", ", items.Take(items.Count - 1)) + " and " + items[^1];

    private static string Capitalise(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
