namespace Loom.Training;

/// <summary>Raised after every training batch: what a progress bar shows.</summary>
public readonly record struct BatchProgress(int Epoch, int Epochs, int Batch, int Batches, double Loss, double Accuracy, double SamplesPerSecond, TimeSpan Elapsed)
{
    /// <summary>Estimated time left in this epoch, from the pace so far.</summary>
    public TimeSpan EpochRemaining => Batch == 0 ? TimeSpan.Zero : Elapsed * ((double)(Batches - Batch) / Batch);
}

/// <summary>One epoch's figures; validation ones are NaN when there is no validation set.</summary>
public sealed record EpochResult(int Epoch, double TrainLoss, double TrainAccuracy, double ValidationLoss, double ValidationAccuracy,
    float LearningRate, double Seconds, double SamplesPerSecond)
{
    /// <summary>A metric by Keras-style name: loss, accuracy, val_loss, val_accuracy.</summary>
    public double this[string metric] => metric switch
    {
        "loss" => TrainLoss,
        "accuracy" => TrainAccuracy,
        "val_loss" => ValidationLoss,
        "val_accuracy" => ValidationAccuracy,
        "val_cer" => ValidationCer,
        "val_wer" => ValidationWer,
        _ => throw new ArgumentException($"Unknown metric '{metric}' (known: loss, accuracy, val_loss, val_accuracy, val_cer, val_wer)."),
    };

    /// <summary>A transcriber's character error rate on its training batches (greedy, as they were trained); NaN for other tasks.</summary>
    public double TrainCer { get; init; } = double.NaN;

    /// <summary>A transcriber's held-out character error rate (greedy decoding); NaN for other tasks.</summary>
    public double ValidationCer { get; init; } = double.NaN;

    /// <summary>A transcriber's held-out word error rate (greedy decoding); NaN for other tasks.</summary>
    public double ValidationWer { get; init; } = double.NaN;
}

/// <summary>The result of evaluating a model on a data set; a transcriber's accuracy is the share of utterances transcribed exactly.</summary>
public sealed record EvaluationResult(double Loss, double Accuracy, long Samples, double Seconds)
{
    /// <summary>Character error rate of greedy transcripts (transcribers only; NaN otherwise).</summary>
    public double Cer { get; init; } = double.NaN;

    /// <summary>Word error rate of greedy transcripts (transcribers only; NaN otherwise).</summary>
    public double Wer { get; init; } = double.NaN;

    /// <summary>The edit counts behind <see cref="Cer"/> and <see cref="Wer"/> (transcribers only), which add across replicas.</summary>
    public Speech.ErrorRates? Transcripts { get; init; }
}

/// <summary>Per-epoch metrics of a <see cref="Trainer.Fit"/> run, as Keras' History.</summary>
public sealed class History
{
    public List<EpochResult> Epochs { get; } = [];
    public EpochResult? Last => Epochs.Count == 0 ? null : Epochs[^1];
}
