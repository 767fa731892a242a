namespace Loom.Training;

/// <summary>Running totals of loss and accuracy over the batches of an epoch or an evaluation.</summary>
public sealed class RunningMetrics : IRunningMetrics
{
    private double _lossSum;
    private long _correct;

    public long Samples { get; private set; }

    /// <summary>
    /// Adds a batch: its mean loss, its logits (N, C) and targets (N) — or per step, (N, T, C) and (N, T).
    /// Targets equal to <see cref="Data.IDataset.IgnoreTarget"/> (padding) are not counted, so
    /// <see cref="Samples"/> counts predictions made: samples, or tokens for per-step targets.
    /// </summary>
    public void Add(float meanLoss, Tensor logits, Tensor targets)
    {
        int n = 0;
        foreach (float t in targets.Data) if (t != Data.IDataset.IgnoreTarget) n++;
        _lossSum += (double)meanLoss * n;
        Samples += n;
        _correct += CountCorrect(logits, targets);
    }

    void IRunningMetrics.Add(float meanLoss, Tensor output, Data.Batch batch, int[]? outputLengths) => Add(meanLoss, output, batch.Targets);

    public double Loss => Samples == 0 ? double.NaN : _lossSum / Samples;
    public double Accuracy => Samples == 0 ? double.NaN : (double)_correct / Samples;

    /// <summary>How many rows of logits (…, C) have their largest value at the target index (one target per row).</summary>
    public static int CountCorrect(Tensor logits, Tensor targets)
    {
        var predicted = logits.ArgMaxRows();
        int correct = 0;
        for (int i = 0; i < predicted.Length; i++) if (predicted[i] == (int)targets.Data[i]) correct++;
        return correct;
    }
}
