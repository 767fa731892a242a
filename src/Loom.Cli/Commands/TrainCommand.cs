using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Loom.Recipes;
using Loom.Training;

namespace Loom.Cli.Commands;

/// <summary>
/// <c>loom train</c>: a <see cref="Recipe"/> from the options (<see cref="TrainOptions"/>), trained with a progress
/// bar, the test accuracy after every epoch, and the model saved.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var o = new TrainOptions();
        var command = new Command("train", "Train a model on a dataset.");
        o.AddTo(command);
        CommandRunner.SetAction(command, parse =>
        {
            CliOptions.ApplyThreads(parse.GetValue(o.Threads));
            string? outPath = parse.GetValue(o.Output), checkpointPath = parse.GetValue(o.Checkpoint);
            CheckWritable(outPath, "--out");
            CheckWritable(checkpointPath, "--checkpoint");
            var recipe = o.Recipe(parse);
            bool json = parse.GetValue(o.Json);
            var renderer = ProgressRenderer.For(json ? Console.Error : Console.Out, json ? Console.IsErrorRedirected : Console.IsOutputRedirected, HeldOut(recipe));
            recipe.Trainer.BatchEnded += renderer.OnBatch;
            recipe.Trainer.EpochEnded += renderer.OnEpoch;
            if (!json) Console.WriteLine(Header(recipe));
            var report = parse.GetValue(o.Report) is null ? null : new Inspect.TrainReport(recipe);
            var result = recipe.Fit(checkpointPath);
            if (!json && result.BestEpoch is int kept)
            {
                var chosen = result.History.First(e => e.Epoch == kept);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Kept epoch {kept} (validation loss {chosen.ValidationLoss:F4}, accuracy {chosen.ValidationAccuracy:P2})."));
            }
            if (outPath is not null) recipe.Save(outPath);
            if (json) JsonOutput.Write(Report(recipe, result, outPath));
            else
            {
                Console.WriteLine(Summary(recipe, result));
                if (outPath is not null) Console.WriteLine($"Saved model to {outPath}");
            }
            if (report is not null) (json ? Console.Error : Console.Out).WriteLine($"Report: {report.Write(parse.GetValue(o.Report)!, result)}");
            return 0;
        });
        return command;
    }

    private static string HeldOut(Recipe recipe) => recipe.ValidationLoader is null ? "test" : "val";

    private static string Header(Recipe r) =>
        $"Training {r.Spec.Name} ({r.Model.ParameterCount():N0} parameters) on {r.Data.Name}: {r.Data.Train.Count:N0} train / {r.Data.Test.Count:N0} test samples, " +
        $"{r.Settings.Optimizer} lr {r.Settings.LearningRate.ToString(CultureInfo.InvariantCulture)}, batch {r.Settings.BatchSize}, {Kernels.Threading.Threads} threads.";

    private static string Summary(Recipe r, RecipeResult result)
    {
        var f = result.Final;
        return r.IsLanguageModel
            ? string.Create(CultureInfo.InvariantCulture,
                $"Held-out loss {f.ValidationLoss:F4} nats/char = {f.ValidationLoss / Math.Log(2):F4} bits/char (next-character accuracy {f.ValidationAccuracy:P2}) after {f.Epoch} epochs; trained in {result.TrainSeconds:F1}s.")
            : string.Create(CultureInfo.InvariantCulture,
                $"Test accuracy {f.ValidationAccuracy:P2} (loss {f.ValidationLoss:F4}) on {r.Data.Test.Count:N0} samples after {result.History[^1].Epoch} epochs; trained in {result.TrainSeconds:F1}s.");
    }

    private static JsonObject Report(Recipe r, RecipeResult result, string? outPath) => new()
    {
        ["model"] = r.Spec.Name,
        ["data"] = r.Data.Name,
        ["parameters"] = r.Model.ParameterCount(),
        ["epochs"] = result.History[^1].Epoch,
        ["best_epoch"] = result.BestEpoch,
        ["validation_samples"] = r.ValidationLoader?.Dataset.Count,
        ["accuracy"] = JsonOutput.Number(result.Final.ValidationAccuracy),
        ["loss"] = JsonOutput.Number(result.Final.ValidationLoss),
        ["bits_per_char"] = r.IsLanguageModel ? JsonOutput.Number(result.Final.ValidationLoss / Math.Log(2)) : null,
        ["samples"] = r.Data.Test.Count,
        ["train_accuracy"] = JsonOutput.Number(result.Final.TrainAccuracy),
        ["train_loss"] = JsonOutput.Number(result.Final.TrainLoss),
        ["train_seconds"] = JsonOutput.Number(result.TrainSeconds),
        ["threads"] = Kernels.Threading.Threads,
        ["out"] = outPath,
        ["history"] = HistoryJson.ToNode(result.History, HeldOut(r)),
    };

    /// <summary>Fails before training, not after, when an output folder is missing.</summary>
    private static void CheckWritable(string? path, string option)
    {
        if (path is null) return;
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(dir)) throw new UserException($"{option}: folder '{dir}' does not exist.");
    }
}
