using System.Globalization;
using Loom.Training;

namespace Loom.Cli;

/// <summary>
/// Renders training progress: a live bar redrawn in place on a terminal, a plain line per epoch when
/// output is redirected (logs, CI).
/// </summary>
internal sealed class ProgressRenderer(TextWriter output, bool live)
{
    /// <summary>Name of the per-epoch held-out figures: "test", or "val" when a validation split is held out.</summary>
    public string HeldOut { get; init; } = "test";

    private DateTime _lastDraw = DateTime.MinValue;

    public static ProgressRenderer For(TextWriter output, bool isRedirected, string heldOut = "test") => new(output, !isRedirected) { HeldOut = heldOut };

    public void OnBatch(BatchProgress p)
    {
        if (!live) return;
        var now = DateTime.UtcNow;
        if (p.Batch != p.Batches && (now - _lastDraw).TotalMilliseconds < 100) return;
        _lastDraw = now;
        const int width = 24;
        int filled = (int)((long)width * p.Batch / Math.Max(1, p.Batches));
        string bar = new string('=', Math.Max(0, filled - 1)) + (filled > 0 ? (p.Batch == p.Batches ? "=" : ">") : "") + new string(' ', width - filled);
        output.Write(string.Create(CultureInfo.InvariantCulture,
            $"\rEpoch {p.Epoch}/{p.Epochs} [{bar}] {p.Batch}/{p.Batches}  loss {p.Loss:F4}  acc {p.Accuracy:F4}  {p.SamplesPerSecond:F0} samples/s  ETA {Format(p.EpochRemaining)}   "));
    }

    public void OnEpoch(EpochResult r)
    {
        if (live) output.Write("\r" + new string(' ', 110) + "\r");
        string val = double.IsNaN(r.ValidationAccuracy) ? "" : string.Create(CultureInfo.InvariantCulture, $"  {HeldOut}_loss {r.ValidationLoss:F4}  {HeldOut}_acc {r.ValidationAccuracy:F4}");
        // A transcriber's accuracy is exact transcripts; its error rates say more.
        string rates = double.IsNaN(r.ValidationCer) ? "" : string.Create(CultureInfo.InvariantCulture, $"  {HeldOut}_cer {r.ValidationCer:F4}  {HeldOut}_wer {r.ValidationWer:F4}");
        string train = double.IsNaN(r.TrainCer) ? "" : string.Create(CultureInfo.InvariantCulture, $"  cer {r.TrainCer:F4}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Epoch {r.Epoch}: loss {r.TrainLoss:F4}  acc {r.TrainAccuracy:F4}{train}{val}{rates}  lr {r.LearningRate:G4}  {r.Seconds:F1}s  {r.SamplesPerSecond:F0} samples/s"));
    }

    private static string Format(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
