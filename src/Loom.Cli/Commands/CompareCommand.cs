using System.CommandLine;
using System.Globalization;
using Loom.Cli.Compare;

namespace Loom.Cli.Commands;

/// <summary>
/// <c>loom compare --task fashion|spam|pos|langid|charlm</c>: trains the task's CNN and RNN models on the same split
/// with the same budget, measures them on the same held-out set, prints a table and writes compare-TASK.md,
/// compare-TASK.json and PNG charts.
/// </summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var task = new Option<string>("--task") { Description = "fashion (images), spam (mail classification), pos (tagging), langid (word language identification) or charlm (character language model).", Required = true };
        task.AcceptOnlyFromAmong([.. CompareTasks.Names]);
        var epochs = new Option<int?>("--epochs", "-e") { Description = "Epochs per model (default: the task's, fewer with --mini)." };
        var budget = new Option<double?>("--budget") { Description = "Instead of --epochs: minutes of training per model; epochs run until the next would not fit." };
        var seed = new Option<int>("--seed", "-s") { Description = "Seed for initialisation, shuffling and dropout (each model starts from it).", DefaultValueFactory = _ => 1 };
        var output = new Option<string>("--out") { Description = "Folder for compare-TASK.md, compare-TASK.json and the PNG charts (created if missing).", DefaultValueFactory = _ => "." };
        var dataDir = CliOptions.DataDir();
        var mini = new Option<bool>("--mini") { Description = "Use the data embedded in Loom (for langid: 600 words a language) for a quick run." };
        var models = new Option<string?>("--models") { Description = "Only these of the task's models, comma separated (default: all)." };
        var trainSamples = new Option<int?>("--train-samples") { Description = "Train on only this many training samples (a seeded choice; characters for charlm)." };
        var baselinesOnly = new Option<bool>("--baselines-only") { Description = "Only measure the baselines (majority class, most frequent tag, unigram, naive Bayes) on the task's split; train nothing." };
        var threads = CliOptions.Threads();
        var command = new Command("compare", "Train the CNN and RNN models of a task side by side and report accuracy, size, training time and speed.")
        {
            task, epochs, budget, seed, output, dataDir, mini, models, trainSamples, baselinesOnly, threads,
        };
        CommandRunner.SetAction(command, parse =>
        {
            CliOptions.ApplyThreads(parse.GetValue(threads));
            var t = CompareTasks.Get(parse.GetValue(task)!);
            int? epochCount = parse.GetValue(epochs);
            double? minutes = parse.GetValue(budget);
            if (epochCount is not null && minutes is not null) throw new UserException("Give --epochs or --budget, not both.");
            if (epochCount is int e) CliOptions.RequirePositive(e, "--epochs");
            if (minutes is double m && !(m > 0 && double.IsFinite(m))) throw new UserException($"--budget must be a positive number of minutes, got {m.ToString(CultureInfo.InvariantCulture)}.");
            int? samples = parse.GetValue(trainSamples);
            if (samples is int n) CliOptions.RequirePositive(n, "--train-samples");
            bool isMini = parse.GetValue(mini);
            if (epochCount is null && minutes is null) epochCount = isMini ? t.MiniEpochs : t.Epochs;
            var chosen = Select(t, parse.GetValue(models));
            if (parse.GetValue(baselinesOnly))
            {
                CompareSession.PrintBaselines(t, isMini, parse.GetValue(dataDir), samples, parse.GetValue(seed));
                return 0;
            }
            var settings = new CompareSettings(epochCount, minutes, parse.GetValue(seed), isMini, samples);
            string outDir = parse.GetValue(output)!;
            string? dir = parse.GetValue(dataDir);
            CompareSession.Run(t, chosen, settings, dir, outDir, CommandLine(t, settings, chosen.Count == t.Models.Count ? null : chosen, dir, outDir));
            return 0;
        });
        return command;
    }

    private static List<CompareModel> Select(CompareTask task, string? names)
    {
        if (string.IsNullOrWhiteSpace(names)) return [.. task.Models];
        var chosen = new List<CompareModel>();
        foreach (var name in names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            chosen.Add(task.Models.FirstOrDefault(m => m.Name == name)
                ?? throw new UserException($"Task '{task.Name}' has no model '{name}' (its models: {string.Join(", ", task.Models.Select(x => x.Name))})."));
        return chosen;
    }

    /// <summary>The command that reproduces the run, for the reports.</summary>
    private static string CommandLine(CompareTask task, CompareSettings s, List<CompareModel>? models, string? dataDir, string outDir)
    {
        var parts = new List<string> { "loom compare", "--task", task.Name };
        if (s.Mini) parts.Add("--mini");
        if (s.Epochs is int e) parts.AddRange(["--epochs", e.ToString(CultureInfo.InvariantCulture)]);
        else parts.AddRange(["--budget", s.BudgetMinutes!.Value.ToString(CultureInfo.InvariantCulture)]);
        parts.AddRange(["--seed", s.Seed.ToString(CultureInfo.InvariantCulture)]);
        if (models is not null) parts.AddRange(["--models", string.Join(",", models.Select(m => m.Name))]);
        if (s.TrainSamples is int n) parts.AddRange(["--train-samples", n.ToString(CultureInfo.InvariantCulture)]);
        if (dataDir is not null) parts.AddRange(["--data-dir", dataDir]);
        parts.AddRange(["--out", outDir]);
        return string.Join(" ", parts);
    }
}
