using Loom.Data;
using Loom.Nn;

namespace Loom.Training;

/// <summary>
/// What a model is trained for: which lengths it is called with, the loss of a batch given its output, and the
/// figures an epoch keeps. <see cref="Classification"/> (the default: cross-entropy and accuracy per sample or per
/// step) covers classifiers, taggers and language models; a transcriber's is <see cref="Speech.CtcObjective"/>.
/// </summary>
public abstract class Objective
{
    /// <summary>
    /// The sequence lengths the model is called with: null lets the model find its own (an <see cref="Embedding"/>'s
    /// padding), as every classifier, tagger and language model does.
    /// </summary>
    public virtual int[]? ModelLengths(Batch batch) => null;

    /// <summary>The scalar loss of <paramref name="batch"/>; <paramref name="outputLengths"/> are the model's output lengths when it was called with lengths.</summary>
    public abstract Tensor Loss(Tensor output, Batch batch, int[]? outputLengths);

    /// <summary>Fresh running figures for an epoch or an evaluation.</summary>
    public abstract IRunningMetrics NewMetrics();

    /// <summary>A classifier's objective with the loss <paramref name="loss"/> (logits, targets) → scalar, and accuracy.</summary>
    public static Objective Classification(Func<Tensor, Tensor, Tensor>? loss = null) => new ClassificationObjective(loss ?? ((logits, targets) => Losses.CrossEntropy(logits, targets)));

    private sealed class ClassificationObjective(Func<Tensor, Tensor, Tensor> loss) : Objective
    {
        public override Tensor Loss(Tensor output, Batch batch, int[]? outputLengths) => loss(output, batch.Targets);

        public override IRunningMetrics NewMetrics() => new RunningMetrics();
    }
}

/// <summary>Running totals of an epoch's figures, batch by batch.</summary>
public interface IRunningMetrics
{
    /// <summary>Adds a batch: its mean loss, the model's output and, when the model was called with lengths, its output lengths.</summary>
    void Add(float meanLoss, Tensor output, Batch batch, int[]? outputLengths);

    /// <summary>Predictions counted: samples, tokens for per-step targets, utterances for a transcriber.</summary>
    long Samples { get; }

    double Loss { get; }

    /// <summary>Right predictions over those counted (a transcriber: utterances transcribed exactly).</summary>
    double Accuracy { get; }

    /// <summary>Character and word error rates (greedy decoding) of a transcriber; null for other tasks.</summary>
    Speech.ErrorRates? Transcription => null;
}
