using Loom.Recipes;
using System.Globalization;
using Loom.Data;
using Loom.Serialization;
using Loom.Training;

namespace Loom.Cli.Compare;

/// <summary>
/// Trains the contestants of a task one after the other on the same data with the same budget, and measures each
/// on the same held-out set after every epoch. Progress goes to <paramref name="output"/>.
/// </summary>
internal sealed class CompareRunner(TextWriter output, bool live)
{
    /// <summary>Trains every model of <paramref name="data"/>'s task (or those in <paramref name="only"/>).</summary>
    public List<ModelResult> RunAll(TaskData data, CompareSettings settings, IReadOnlyList<CompareModel> models)
    {
        var results = new List<ModelResult>();
        for (int i = 0; i < models.Count; i++) results.Add(Run(data, settings, models[i], i + 1, models.Count));
        return results;
    }

    /// <summary>Trains one model and returns its figures.</summary>
    public ModelResult Run(TaskData data, CompareSettings settings, CompareModel model, int index, int count)
    {
        var task = data.Task;
        // Every model starts from the same generator state, so its result does not depend on the others or their order.
        Rng.ManualSeed((ulong)settings.Seed);
        var (built, sets) = data.Prepare(model);
        // A time budget trains at a constant rate until the next epoch would not fit; a count of epochs anneals over them.
        var recipe = Recipe.From(built, sets, new TrainingSettings
        {
            Epochs = settings.Epochs ?? 10_000,
            BatchSize = task.BatchSize,
            LearningRate = model.LearningRate,
            Schedule = settings.Epochs is null ? "none" : "cosine",
            ClipGradNorm = task.ClipGrad,
            Seed = settings.Seed,
        });
        var (net, trainer, testLoader) = (recipe.Model, recipe.Trainer, recipe.TestLoader);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{index}/{count}] {model.Name} ({model.Family}, {net.ParameterCount():N0} parameters), Adam lr {model.LearningRate:G3}, {settings.Describe()}"));
        var renderer = ProgressRenderer.For(output, !live);
        double budgetSeconds = (settings.BudgetMinutes ?? 0) * 60, trained = 0, lastEpoch = 0;
        trainer.BatchEnded += p =>
        {
            if (settings.Epochs is null)
            {
                // With a time budget the epoch count is not known beforehand; show the count the budget allows at this pace.
                double epochSeconds = lastEpoch > 0 ? lastEpoch : p.Elapsed.TotalSeconds / Math.Max(1, p.Batch) * p.Batches;
                p = p with { Epochs = Math.Max(p.Epoch, (int)(budgetSeconds / Math.Max(1e-3, epochSeconds))) };
            }
            renderer.OnBatch(p);
        };
        var history = new List<EpochResult>();
        double inference = double.NaN;
        long predictions = 0;
        var callback = new EpochHook((t, r) =>
        {
            var held = t.Evaluate(testLoader);
            inference = held.Samples / Math.Max(1e-9, held.Seconds);
            predictions = held.Samples;
            var full = r with { ValidationLoss = held.Loss, ValidationAccuracy = held.Accuracy, ValidationCer = held.Cer, ValidationWer = held.Wer };
            history.Add(full);
            trained += r.Seconds;
            lastEpoch = r.Seconds;
            renderer.OnEpoch(full);
            if (settings.BudgetMinutes is not null && trained + lastEpoch > budgetSeconds) t.StopRequested = true;
        });
        trainer.Fit(recipe.TrainLoader, null, recipe.Settings.Epochs, [callback]);
        var result = new ModelResult(model, net.ParameterCount(), history, trained, inference, predictions)
        {
            Speech = recipe.IsTranscriber ? SpeechFigures.Measure(recipe.Model, recipe.Spec, (Speech.SpeechFeatureDataset)recipe.Data.Test) : null,
        };
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {model.Name}: {Format(task, result.Metric(task.Metric))} {task.MetricName} after {history.Count} epoch{(history.Count == 1 ? "" : "s")}, {trained:F1}s of training, {inference:N0} {task.Unit}/s held-out inference"));
        return result;
    }

    /// <summary>The metric as reports print it: a percentage, or bits with three decimals.</summary>
    public static string Format(CompareTask task, double value) => task.IsPercentage
        ? (double.IsFinite(value) ? (value * 100).ToString("F2", CultureInfo.InvariantCulture) + " %" : "–")
        : (double.IsFinite(value) ? value.ToString("F3", CultureInfo.InvariantCulture) : "–");

    private sealed class EpochHook(Action<Trainer, EpochResult> action) : ICallback
    {
        public void OnEpochEnd(Trainer trainer, EpochResult result) => action(trainer, result);
    }
}
