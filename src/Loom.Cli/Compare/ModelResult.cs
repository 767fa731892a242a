using Loom.Training;

namespace Loom.Cli.Compare;

/// <summary>What one contestant achieved: its size, its per-epoch history on the held-out set, its cost.</summary>
/// <param name="Model">The contestant.</param>
/// <param name="Parameters">Learnable scalars.</param>
/// <param name="History">One entry per epoch; the validation figures are the held-out (test) split's.</param>
/// <param name="TrainSeconds">Wall time of the training passes (evaluation excluded).</param>
/// <param name="InferencePerSecond">Held-out predictions per second in evaluation mode (batch 256; a language model's stream batch), from the last evaluation.</param>
/// <param name="HeldOutPredictions">Predictions the held-out metric averages over (samples, or tokens and characters for per-step tasks).</param>
internal sealed record ModelResult(CompareModel Model, long Parameters, IReadOnlyList<EpochResult> History, double TrainSeconds, double InferencePerSecond, long HeldOutPredictions)
{
    public EpochResult Final => History[^1];

    /// <summary>A transcriber's decoding figures after training (beam search, real-time factor); null for other tasks.</summary>
    public SpeechFigures? Speech { get; init; }

    /// <summary>Held-out accuracy after the last epoch.</summary>
    public double Accuracy => Final.ValidationAccuracy;

    /// <summary>Held-out loss after the last epoch in bits (per character for a language model).</summary>
    public double Bits => Final.ValidationLoss / Math.Log(2);

    /// <summary>The task's metric after the last epoch.</summary>
    public double Metric(CompareMetric metric) => MetricOf(Final, metric);

    /// <summary>The task's metric of one epoch: accuracy, or loss converted to bits.</summary>
    public static double MetricOf(EpochResult epoch, CompareMetric metric) => metric switch
    {
        CompareMetric.Accuracy => epoch.ValidationAccuracy,
        CompareMetric.WordErrorRate => epoch.ValidationWer,
        _ => epoch.ValidationLoss / Math.Log(2),
    };
}
