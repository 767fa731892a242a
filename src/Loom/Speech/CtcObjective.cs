using Loom.Audio;
using Loom.Data;
using Loom.Training;

namespace Loom.Speech;

/// <summary>
/// A transcriber's objective: the model is called with each clip's frames (<see cref="Batch.Lengths"/>), its output
/// (N, T', characters) scores go through a log-softmax to CTC against the batch's character targets — each loss
/// divided by its target length and averaged over the batch, impossible alignments zeroed (PyTorch's
/// <c>CTCLoss(reduction="mean", zero_infinity=True)</c>) — and an epoch keeps the greedy transcripts' CER and WER.
/// </summary>
public sealed class CtcObjective(int blank = SpeechAlphabet.Blank) : Objective
{
    public int Blank { get; } = blank;

    public override int[]? ModelLengths(Batch batch) =>
        batch.Lengths ?? throw new ArgumentException("A transcriber trains on batches of variable-length clips: the batch carries no lengths (use a data set of speech features).");

    public override Tensor Loss(Tensor output, Batch batch, int[]? outputLengths)
    {
        var frames = outputLengths ?? throw new ArgumentException("CTC needs the model's output lengths; call the model with the batch's lengths.");
        CheckOutput(output, batch);
        var logProbs = Functional.Permute(Functional.LogSoftmax(output, -1), 1, 0, 2); // (T', N, C), as CTC reads it
        return Functional.CtcLoss(logProbs, batch.Targets, frames, TargetLengths(batch.Targets), Blank, Reduction.Mean, zeroInfinity: true);
    }

    public override IRunningMetrics NewMetrics() => new Metrics(Blank);

    /// <summary>Each row's labels before its first <see cref="IDataset.IgnoreTarget"/> (the padding).</summary>
    public static int[] TargetLengths(Tensor targets)
    {
        if (targets.Rank != 2) throw new ArgumentException($"CTC targets are (N, S) padded character ids, got {ShapeUtil.Format(targets.Shape)}.");
        int n = targets.Shape[0], s = targets.Shape[1];
        var lengths = new int[n];
        var data = targets.Data;
        for (int i = 0; i < n; i++)
        {
            int l = 0;
            while (l < s && data[i * s + l] != IDataset.IgnoreTarget) l++;
            lengths[i] = l;
        }
        return lengths;
    }

    private static void CheckOutput(Tensor output, Batch batch)
    {
        if (output.Rank != 3 || output.Shape[0] != batch.Count)
            throw new ArgumentException($"A transcriber's output must be (N, frames, characters) for a batch of {batch.Count}, got {ShapeUtil.Format(output.Shape)}.");
    }

    /// <summary>Loss per utterance, exact transcripts, and CER/WER of greedy decoding.</summary>
    private sealed class Metrics(int blank) : IRunningMetrics
    {
        private readonly ErrorRates _rates = new();
        private double _lossSum;

        public long Samples => _rates.Utterances;
        public double Loss => Samples == 0 ? double.NaN : _lossSum / Samples;
        public double Accuracy => Samples == 0 ? double.NaN : (double)_rates.ExactMatches / Samples;
        public ErrorRates Transcription => _rates;

        public void Add(float meanLoss, Tensor output, Batch batch, int[]? outputLengths)
        {
            CheckOutput(output, batch);
            _lossSum += (double)meanLoss * batch.Count;
            int frames = output.Shape[1], classes = output.Shape[2];
            var targetLengths = TargetLengths(batch.Targets);
            var scores = output.Data;
            var targets = batch.Targets.Data;
            int s = batch.Targets.Shape[1];
            var ids = new int[s];
            for (int i = 0; i < batch.Count; i++)
            {
                int length = outputLengths?[i] ?? frames;
                var labels = GreedyDecoder.Decode(scores.AsSpan(i * frames * classes, frames * classes), length, classes, blank);
                for (int j = 0; j < targetLengths[i]; j++) ids[j] = (int)targets[i * s + j];
                _rates.Add(SpeechAlphabet.Decode(ids.AsSpan(0, targetLengths[i])), SpeechAlphabet.Decode(labels));
            }
        }
    }
}
