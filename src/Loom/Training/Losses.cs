namespace Loom.Training;

/// <summary>The training losses the trainer and the CLI pick by task.</summary>
public static class Losses
{
    /// <summary>
    /// Cross-entropy for one class per sample, logits (N, C) and targets (N), or one per step, logits
    /// (N, T, C) and targets (N, T) (a tagger or language model: the mean is over all counted steps).
    /// Targets equal to <see cref="Data.IDataset.IgnoreTarget"/> (padding) are skipped.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets, float labelSmoothing = 0f)
    {
        if (logits.Rank > 2 && targets.Rank == logits.Rank - 1)
        {
            int classes = logits.Shape[^1];
            logits = Functional.Reshape(logits, -1, classes);
            targets = Functional.Reshape(targets, -1);
        }
        return Functional.CrossEntropy(logits, targets, labelSmoothing: labelSmoothing, ignoreIndex: Data.IDataset.IgnoreTarget);
    }

    /// <summary>
    /// CTC for a speech (or any unaligned sequence) model: logProbs (T, N, C) log-softmax outputs, targets (N, S)
    /// padded with per-sample targetLengths (N), inputLengths (N) frames per sample. The mean over the batch of
    /// each loss divided by its target length, as PyTorch's default; infinite losses (a target longer than its
    /// input can hold) are zeroed with their gradients, so one bad sample cannot turn a training step into NaN.
    /// </summary>
    public static Tensor Ctc(Tensor logProbs, Tensor targets, int[] inputLengths, int[] targetLengths, int blank = 0) =>
        Functional.CtcLoss(logProbs, targets, inputLengths, targetLengths, blank, Reduction.Mean, zeroInfinity: true);
}
