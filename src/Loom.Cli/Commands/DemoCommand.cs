using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Loom.Cli.Compare;

namespace Loom.Cli.Commands;

/// <summary>
/// <c>loom demo</c>: CNN against RNN in about two minutes on two cores, on data embedded in Loom: Fashion-MNIST
/// images (lenet, row-gru, hybrid-cnn-lstm) and SpamAssassin mails (text-cnn, gru-classifier). Prints each table
/// with a reading computed from its numbers; with --out also writes the reports and charts.
/// </summary>
internal static class DemoCommand
{
    /// <summary>The demo's two comparisons: task, models and epochs, sized for about two minutes on two cores.</summary>
    internal static readonly (string Task, string[] Models, int Epochs)[] Parts =
    [
        ("fashion", ["lenet", "row-gru", "hybrid-cnn-lstm"], 4),
        ("spam", ["text-cnn", "gru-classifier"], 8),
    ];

    public static Command Create()
    {
        var seed = new Option<int>("--seed", "-s") { Description = "Seed for initialisation, shuffling and dropout.", DefaultValueFactory = _ => 1 };
        var output = new Option<string?>("--out") { Description = "Also write compare-fashion.* and compare-spam.* (Markdown, JSON, PNG charts) into this folder." };
        var threads = CliOptions.Threads();
        var command = new Command("demo", "CNN vs RNN in about two minutes on the built-in data: an image task and a text task, with tables and a reading of them.")
        {
            seed, output, threads,
        };
        CommandRunner.SetAction(command, parse =>
        {
            CliOptions.ApplyThreads(parse.GetValue(threads));
            var clock = Stopwatch.StartNew();
            string? outDir = parse.GetValue(output);
            int seedValue = parse.GetValue(seed);
            foreach (var (taskName, names, epochs) in Parts)
            {
                var task = CompareTasks.Get(taskName);
                var models = names.Select(n => task.Models.First(m => m.Name == n)).ToList();
                var settings = new CompareSettings(epochs, null, seedValue, Mini: true, TrainSamples: null);
                string command = $"loom compare --task {taskName} --mini --epochs {epochs} --seed {seedValue} --models {string.Join(",", names)}" + (outDir is null ? "" : $" --out {outDir}");
                Console.WriteLine($"== {task.Title} ==");
                CompareSession.Run(task, models, settings, null, outDir, command);
                Console.WriteLine();
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Demo finished in {clock.Elapsed.TotalSeconds:F0} s. Full-data comparisons: loom compare --task fashion|spam|pos|langid|charlm (see docs/cnn-vs-rnn.md)."));
            return 0;
        });
        return command;
    }
}
