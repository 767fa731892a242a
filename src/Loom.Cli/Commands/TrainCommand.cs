using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Loom.Distributed;
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
        CommandRunner.SetAction(command, parse => parse.GetValue(o.Distributed) ? Distributed(o, parse) : Train(o, parse, null));
        return command;
    }

    private static int Train(TrainOptions o, ParseResult parse, ICommunicator? comm)
    {
        CliOptions.ApplyThreads(parse.GetValue(o.Threads));
        string? outPath = parse.GetValue(o.Output), checkpointPath = parse.GetValue(o.Checkpoint);
        CheckWritable(outPath, "--out");
        CheckWritable(checkpointPath, "--checkpoint");
        var recipe = o.Recipe(parse);
        var parallel = comm is null ? null : DataParallel.Attach(recipe, comm);
        if (comm is { Rank: > 0 })
        {
            // The other ranks train in step with rank 0 and stay quiet; rank 0 prints, checkpoints and saves.
            parallel!.Fit(recipe, checkpointPath);
            return 0;
        }
        bool json = parse.GetValue(o.Json);
        var renderer = ProgressRenderer.For(json ? Console.Error : Console.Out, json ? Console.IsErrorRedirected : Console.IsOutputRedirected, HeldOut(recipe));
        // The bar's pace is rank 0's; its parts are 1/N of each batch, so the run's is about N times it.
        if (comm is null) recipe.Trainer.BatchEnded += renderer.OnBatch;
        else recipe.Trainer.BatchEnded += b => renderer.OnBatch(b with { SamplesPerSecond = b.SamplesPerSecond * comm.Size });
        recipe.Trainer.EpochEnded += renderer.OnEpoch;
        if (!json) Console.WriteLine(Header(recipe, comm));
        var report = parse.GetValue(o.Report) is null ? null : new Inspect.TrainReport(recipe);
        var result = parallel is null ? recipe.Fit(checkpointPath) : parallel.Fit(recipe, checkpointPath);
        if (!json && result.BestEpoch is int kept)
        {
            var chosen = result.History.First(e => e.Epoch == kept);
            Console.WriteLine(recipe.IsTranscriber
                ? string.Create(CultureInfo.InvariantCulture, $"Kept epoch {kept} (validation loss {chosen.ValidationLoss:F4}, CER {chosen.ValidationCer:P2}, WER {chosen.ValidationWer:P2}).")
                : string.Create(CultureInfo.InvariantCulture, $"Kept epoch {kept} (validation loss {chosen.ValidationLoss:F4}, accuracy {chosen.ValidationAccuracy:P2})."));
        }
        if (outPath is not null) recipe.Save(outPath);
        if (json) JsonOutput.Write(Report(recipe, result, outPath, parallel));
        else
        {
            Console.WriteLine(Summary(recipe, result));
            if (parallel is not null) Console.WriteLine(Exchange(parallel, result));
            if (outPath is not null) Console.WriteLine($"Saved model to {outPath}");
        }
        if (report is not null) (json ? Console.Error : Console.Out).WriteLine($"Report: {report.Write(parse.GetValue(o.Report)!, result)}");
        return 0;
    }

    /// <summary>
    /// One rank of <c>mpirun -np N loom train ... --distributed</c>. An error every rank meets alike (different models)
    /// is printed once, by rank 0, and every rank ends cleanly; any other error is one rank's, which the others would
    /// wait for forever inside a collective call, so that rank prints it with its number and aborts the whole job.
    /// </summary>
    private static int Distributed(TrainOptions o, ParseResult parse)
    {
        if (!MpiCommunicator.LaunchedByMpirun)
            throw new UserException("--distributed needs MPI's launcher: mpirun -np N loom train ... --distributed (install openmpi-bin).");
        using var comm = MpiCommunicator.Initialize();
        if (parse.GetValue(o.Threads) is null) Kernels.Threading.Threads = DefaultThreadsPerRank();
        try { return Train(o, parse, comm); }
        catch (DataParallelException e) when (comm.Rank == 0) { throw new UserException(e.Message); }
        catch (DataParallelException) { return 1; }
        catch (Exception e)
        {
            Console.Error.WriteLine($"error: rank {comm.Rank} of {comm.Size}: {e.Message}");
            if (parse.GetValue(CliOptions.Verbose)) Console.Error.WriteLine(e);
            Console.Error.Flush();
            comm.Abort(1);
            return 1;
        }
    }

    /// <summary>The machine's cores shared among the ranks mpirun started on it, so that ranks do not fight over cores.</summary>
    private static int DefaultThreadsPerRank()
    {
        int local = int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_SIZE"), out int n) && n > 0 ? n : 1;
        return Math.Max(1, Environment.ProcessorCount / local);
    }

    private static string Exchange(DataParallel p, RecipeResult result) => string.Create(CultureInfo.InvariantCulture,
        $"{p.WorldSize} ranks: gradients exchanged in {p.BucketCount} bucket(s) of {p.BytesPerStep / 1e6:F2} MB in all per step; all-reduce {p.AllReduceTime.TotalSeconds:F1}s " +
        $"of {result.TrainSeconds:F1}s training ({p.AllReduceTime.TotalSeconds / result.TrainSeconds:P1}), {p.AllReduceTime.TotalMilliseconds / Math.Max(1, p.Steps):F2} ms a step.");

    private static string HeldOut(Recipe recipe) => recipe.ValidationLoader is null ? "test" : "val";

    private static string Header(Recipe r, ICommunicator? comm) =>
        $"Training {r.Spec.Name} ({r.Model.ParameterCount():N0} parameters) on {r.Data.Name}: {r.Data.Train.Count:N0} train / {r.Data.Test.Count:N0} test samples, " +
        $"{r.Settings.Optimizer} lr {r.Settings.LearningRate.ToString(CultureInfo.InvariantCulture)}, batch {r.Settings.BatchSize}, {(comm is null ? "" : $"{comm.Size} ranks × ")}{Kernels.Threading.Threads} threads.";

    private static string Summary(Recipe r, RecipeResult result)
    {
        var f = result.Final;
        if (r.IsTranscriber)
            return string.Create(CultureInfo.InvariantCulture,
                $"Test CER {f.ValidationCer:P2}, WER {f.ValidationWer:P2} (greedy; {f.ValidationAccuracy:P2} of clips exact, CTC loss {f.ValidationLoss:F4}) on {r.Data.Test.Count:N0} clips after {result.History[^1].Epoch} epochs; trained in {result.TrainSeconds:F1}s. Beam search: loom eval --beam 8.");
        return r.IsLanguageModel
            ? string.Create(CultureInfo.InvariantCulture,
                $"Held-out loss {f.ValidationLoss:F4} nats/char = {f.ValidationLoss / Math.Log(2):F4} bits/char (next-character accuracy {f.ValidationAccuracy:P2}) after {f.Epoch} epochs; trained in {result.TrainSeconds:F1}s.")
            : string.Create(CultureInfo.InvariantCulture,
                $"Test accuracy {f.ValidationAccuracy:P2} (loss {f.ValidationLoss:F4}) on {r.Data.Test.Count:N0} samples after {result.History[^1].Epoch} epochs; trained in {result.TrainSeconds:F1}s.");
    }

    private static JsonObject Report(Recipe r, RecipeResult result, string? outPath, DataParallel? p) => new()
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
        ["cer"] = r.IsTranscriber ? JsonOutput.Number(result.Final.ValidationCer) : null,
        ["wer"] = r.IsTranscriber ? JsonOutput.Number(result.Final.ValidationWer) : null,
        ["samples"] = r.Data.Test.Count,
        ["train_accuracy"] = JsonOutput.Number(result.Final.TrainAccuracy),
        ["train_loss"] = JsonOutput.Number(result.Final.TrainLoss),
        ["train_seconds"] = JsonOutput.Number(result.TrainSeconds),
        ["threads"] = Kernels.Threading.Threads,
        ["ranks"] = p?.WorldSize,
        ["allreduce_seconds"] = p is null ? null : JsonOutput.Number(p.AllReduceTime.TotalSeconds),
        ["allreduce_bytes_per_step"] = p?.BytesPerStep,
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
