using System.Globalization;
using Loom.Autograd;
using Loom.Data;
using Loom.Recipes;
using Loom.Text;
using Loom.Training;
using ScottPlot;

namespace Loom.Cli.Inspect;

/// <summary>
/// <c>loom train --report DIR</c>: listens to a run's progress events, and after it writes the loss and accuracy
/// curves (per epoch, train and held-out, and per step smoothed), the learning-rate schedule, the confusion matrix
/// on the held-out set and its most confidently wrong examples, linked from one <c>report.html</c>.
/// </summary>
internal sealed class TrainReport
{
    private readonly Recipe _recipe;
    private readonly List<double> _stepLoss = [], _stepRate = [];
    private double _lastMean;

    public TrainReport(Recipe recipe)
    {
        _recipe = recipe;
        recipe.Trainer.BatchEnded += OnBatch;
    }

    private void OnBatch(BatchProgress p)
    {
        // The event carries the epoch's running mean; each batch's own loss is the difference it made to the sum.
        double loss = p.Batch <= 1 ? p.Loss : p.Batch * p.Loss - (p.Batch - 1) * _lastMean;
        _lastMean = p.Loss;
        _stepLoss.Add(loss);
        _stepRate.Add(_recipe.Optimizer.LearningRate);
    }

    /// <summary>Writes the pictures and <c>report.html</c> into <paramref name="dir"/>; returns the page's path.</summary>
    public string Write(string dir, RecipeResult result)
    {
        Directory.CreateDirectory(dir);
        var r = _recipe;
        string heldOut = r.ValidationLoader is null ? "test" : "validation";
        var page = new ReportPage($"Training {r.Spec.Name} on {r.Data.Name}");
        string final = r.IsLanguageModel
            ? FormattableString.Invariant($"held-out loss {result.Final.ValidationLoss:F4} nats/char")
            : FormattableString.Invariant($"test accuracy {result.Final.ValidationAccuracy:P2}");
        page.Paragraph(FormattableString.Invariant(
            $"{r.Spec.Name} ({r.Model.ParameterCount():N0} parameters) on {r.Data.Name}: {r.Data.Train.Count:N0} training samples, {r.Settings.Optimizer} lr {r.Settings.LearningRate}, {r.Settings.Schedule} schedule, batch {r.Settings.BatchSize}, seed {r.Settings.Seed}. Final {final} after {result.History[^1].Epoch} epochs, {result.TrainSeconds:F1} s."));
        page.Heading("Learning curves");
        Chart(page, dir, "loss.png", "loss per epoch (and per step, smoothed)", "epoch", "loss", plot =>
        {
            var epochs = result.History;
            AddLine(plot, epochs.Select(e => (double)e.Epoch), epochs.Select(e => e.TrainLoss), "train (epoch mean)", 0);
            AddLine(plot, epochs.Select(e => (double)e.Epoch), epochs.Select(e => e.ValidationLoss), heldOut, 1);
            if (_stepLoss.Count > 1)
            {
                int first = epochs.Count - (int)Math.Round((double)_stepLoss.Count / Math.Max(1, r.TrainLoader.BatchCount));
                var steps = Enumerable.Range(0, _stepLoss.Count).Select(i => first + (i + 1.0) / r.TrainLoader.BatchCount);
                var smooth = Smooth(_stepLoss, Math.Max(1, r.TrainLoader.BatchCount / 10));
                var s = plot.Add.ScatterLine(steps.ToArray(), smooth);
                s.Color = new ScottPlot.Palettes.Category10().GetColor(2).WithAlpha(0.6);
                s.LegendText = "train (per step, smoothed)";
            }
        });
        if (!r.IsLanguageModel)
            Chart(page, dir, "accuracy.png", "accuracy per epoch", "epoch", "accuracy (%)", plot =>
            {
                AddLine(plot, result.History.Select(e => (double)e.Epoch), result.History.Select(e => e.TrainAccuracy * 100), "train", 0);
                AddLine(plot, result.History.Select(e => (double)e.Epoch), result.History.Select(e => e.ValidationAccuracy * 100), heldOut, 1);
            });
        if (_stepRate.Count > 1)
            Chart(page, dir, "learning-rate.png", "learning rate per step", "step", "learning rate", plot =>
            {
                var s = plot.Add.ScatterLine(Enumerable.Range(1, _stepRate.Count).Select(i => (double)i).ToArray(), _stepRate.ToArray());
                s.LegendText = $"{r.Settings.Schedule} schedule";
            });
        var mistakes = HeldOutPredictions(r);
        Confusion(page, dir, mistakes, heldOut);
        WrongExamples(page, dir, mistakes, heldOut);
        page.Heading("The model").Raw($"<pre>{ReportPage.Encode(Nn.ModelSummary.Create(r.Model, r.Spec.InputShape).ToString())}</pre>");
        string path = Path.Combine(dir, "report.html");
        page.Save(path);
        return path;
    }

    /// <summary>One held-out prediction: per sample, or per token for taggers and language models.</summary>
    private sealed record Prediction(int Truth, int Guess, float Confidence, float[]? Image, string? Text);

    private static List<Prediction> HeldOutPredictions(Recipe r)
    {
        var loader = r.ValidationLoader ?? r.TestLoader;
        var vocabulary = r.Spec.Vocabulary is null ? null : Vocabulary.FromTokens(r.Spec.Vocabulary);
        var list = new List<Prediction>();
        bool wasTraining = r.Model.Training;
        r.Model.Eval();
        r.Model.ResetStates();
        try
        {
            using var _ = GradMode.NoGrad();
            var buffers = new BufferPool();
            foreach (var batch in loader)
            {
                using var scope = buffers.Scope();
                var logits = r.Model.Call(batch.Inputs);
                int classes = logits.Shape[^1], rows = logits.Size / classes, perSample = rows / batch.Count;
                int sampleSize = batch.Inputs.Size / batch.Count;
                for (int row = 0; row < rows; row++)
                {
                    int truth = (int)batch.Targets.Data[row];
                    if (truth == IDataset.IgnoreTarget) continue;
                    var p = ImageInspection.Softmax(logits.Data.AsSpan(row * classes, classes));
                    int guess = ImageInspection.ArgMax(p);
                    int n = row / perSample;
                    float[]? image = vocabulary is null ? batch.Inputs.Data.AsSpan(n * sampleSize, sampleSize).ToArray() : null;
                    string? text = vocabulary is null ? null : Snippet(vocabulary, r.Spec.Tokenizer, batch.Inputs.Data.AsSpan(n * sampleSize, sampleSize), perSample > 1 ? row % perSample : -1);
                    list.Add(new Prediction(truth, guess, p[guess], guess == truth ? null : image, guess == truth ? null : text));
                }
            }
        }
        finally
        {
            r.Model.Train(wasTraining);
            r.Model.ResetStates();
        }
        return list;
    }

    /// <summary>The tokens of a sample (padding left out); with a step, the few tokens around it with the step marked.</summary>
    private static string Snippet(Vocabulary vocabulary, TokenizerKind? tokenizer, ReadOnlySpan<float> ids, int step)
    {
        string separator = tokenizer == TokenizerKind.Char ? "" : " ";
        int from = step < 0 ? 0 : Math.Max(0, step - 6), to = step < 0 ? Math.Min(ids.Length, 40) : Math.Min(ids.Length, step + 7);
        var parts = new List<string>();
        for (int t = from; t < to; t++)
        {
            int id = (int)ids[t];
            if (id == Vocabulary.Pad) continue;
            string token = vocabulary.TokenOf(id);
            parts.Add(t == step ? $"[{token}]" : token);
        }
        return string.Join(separator, parts) + (step < 0 && ids.Length > 40 ? " …" : "");
    }

    private void Confusion(ReportPage page, string dir, List<Prediction> predictions, string heldOut)
    {
        var spec = _recipe.Spec;
        // Many classes (tags, characters) do not fit: the most frequent true classes, the rest left out.
        var shown = predictions.GroupBy(p => p.Truth).OrderByDescending(g => g.Count()).Take(15).Select(g => g.Key).OrderBy(c => c).ToList();
        if (shown.Count < 2) return;
        int k = shown.Count;
        var index = shown.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i);
        var counts = new float[k * k];
        foreach (var p in predictions)
            if (index.TryGetValue(p.Truth, out int t) && index.TryGetValue(p.Guess, out int g)) counts[t * k + g]++;
        // Each row as a share of its true class, so rare and frequent classes read alike.
        var shares = new float[k * k];
        for (int t = 0; t < k; t++)
        {
            float total = Math.Max(1, counts.AsSpan(t * k, k).ToArray().Sum());
            for (int g = 0; g < k; g++) shares[t * k + g] = counts[t * k + g] / total;
        }
        string Name(int c) => spec.ClassNames?[c] ?? (spec.Vocabulary is { } v && _recipe.IsLanguageModel ? v[c] : c.ToString(CultureInfo.InvariantCulture));
        page.Heading($"Confusion matrix ({heldOut} set)");
        Raster.Grid([shares], k, k, 24, 1, _ => ValueColors.Ramp).Save(Path.Combine(dir, "confusion.png"));
        page.Image("confusion.png", $"Rows: the true class, columns: the predicted one ({string.Join(", ", shown.Select(Name))}); brightness: the share of the row.");
        page.Table(["true \\ predicted", .. shown.Select(Name)],
            shown.Select((c, t) => (IReadOnlyList<string>)[Name(c), .. Enumerable.Range(0, k).Select(g => counts[t * k + g].ToString("N0", CultureInfo.InvariantCulture))]));
    }

    private void WrongExamples(ReportPage page, string dir, List<Prediction> predictions, string heldOut)
    {
        var spec = _recipe.Spec;
        var wrong = predictions.Where(p => p.Guess != p.Truth).OrderByDescending(p => p.Confidence).Take(spec.Vocabulary is null ? 16 : 12).ToList();
        if (wrong.Count == 0) return;
        string Name(int c) => spec.ClassNames?[c] ?? (spec.Vocabulary is { } v && _recipe.IsLanguageModel ? v[c] : c.ToString(CultureInfo.InvariantCulture));
        page.Heading($"The most confidently wrong ({heldOut} set)");
        if (wrong[0].Image is not null && spec.InputShape is [1, int h, int w])
        {
            Raster.Grid(wrong.Select(p => p.Image!).ToList(), h, w, 3, 8, m => ValueColors.Sequential(m)).Save(Path.Combine(dir, "wrong.png"));
            page.Image("wrong.png", "Left to right, top to bottom: " + string.Join("; ", wrong.Select((p, i) => $"{i + 1}. {Name(p.Guess)} ({p.Confidence:P0}), truly {Name(p.Truth)}")));
        }
        else
            page.Table(["text", "predicted", "confidence", "truth"],
                wrong.Select(p => (IReadOnlyList<string>)[p.Text ?? "", Name(p.Guess), p.Confidence.ToString("P1", CultureInfo.InvariantCulture), Name(p.Truth)]));
    }

    private static void Chart(ReportPage page, string dir, string file, string title, string x, string y, Action<Plot> draw)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(x);
        plot.YLabel(y);
        draw(plot);
        plot.ShowLegend(Alignment.UpperRight);
        IO.AtomicFile.WriteVia(Path.Combine(dir, file), tmp => plot.SavePng(tmp, 800, 450));
        page.Image(file, title, pixelated: false);
    }

    private static void AddLine(Plot plot, IEnumerable<double> xs, IEnumerable<double> ys, string label, int color)
    {
        var pairs = xs.Zip(ys).Where(p => double.IsFinite(p.Second)).ToArray();
        if (pairs.Length == 0) return;
        var s = plot.Add.Scatter(pairs.Select(p => p.First).ToArray(), pairs.Select(p => p.Second).ToArray());
        s.Color = new ScottPlot.Palettes.Category10().GetColor(color);
        s.LineWidth = 2;
        s.LegendText = label;
    }

    /// <summary>A moving average over <paramref name="window"/> steps (shorter at the start).</summary>
    private static double[] Smooth(List<double> values, int window)
    {
        var y = new double[values.Count];
        double sum = 0;
        for (int i = 0; i < values.Count; i++)
        {
            sum += values[i];
            if (i >= window) sum -= values[i - window];
            y[i] = sum / Math.Min(i + 1, window);
        }
        return y;
    }
}
