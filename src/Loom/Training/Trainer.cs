using System.Diagnostics;
using Loom.Autograd;
using Loom.Data;
using Loom.Nn;
using Loom.Optim;

namespace Loom.Training;

/// <summary>
/// The training loop, as Keras' <c>fit</c>: forward, loss, backward, optional clipping, optimizer step,
/// schedule; metrics per epoch; progress raised as events (the library never writes to the console).
/// </summary>
public sealed class Trainer
{
    private readonly BufferPool _buffers = new();

    /// <param name="model">The model trained.</param>
    /// <param name="optimizer">The optimizer over its parameters.</param>
    /// <param name="loss">Loss from (logits, targets) to a scalar; cross-entropy (per step for sequence targets) by default.</param>
    public Trainer(Module model, Optimizer optimizer, Func<Tensor, Tensor, Tensor>? loss = null)
        : this(model, optimizer, Objective.Classification(loss)) { }

    /// <param name="model">The model trained.</param>
    /// <param name="optimizer">The optimizer over its parameters.</param>
    /// <param name="objective">What the model is trained for: its loss and the figures kept (CTC for a transcriber).</param>
    public Trainer(Module model, Optimizer optimizer, Objective objective)
    {
        (Model, Optimizer, Objective) = (model, optimizer, objective);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(objective);
    }

    public Module Model { get; }
    public Optimizer Optimizer { get; }

    /// <summary>The loss of a batch and the figures an epoch keeps.</summary>
    public Objective Objective { get; }

    public LrScheduler? Scheduler { get; set; }

    /// <summary>When set, gradients are clipped to this global L2 norm before each step.</summary>
    public float? ClipGradNorm { get; set; }

    /// <summary>Epochs already completed (a resumed run starts after them).</summary>
    public int CompletedEpochs { get; set; }

    /// <summary>Set by a callback (or the caller) to end training after the current epoch.</summary>
    public bool StopRequested { get; set; }

    /// <summary>
    /// Data-parallel training's hooks into the loop (Loom.Distributed sets them); null, the default, trains in this
    /// process alone.
    /// </summary>
    public IReplicaSync? Replicas { get; set; }

    public event Action<BatchProgress>? BatchEnded;
    public event Action<EpochResult>? EpochEnded;

    /// <summary>Trains until <paramref name="epochs"/> epochs are complete in total (so a resumed run continues to the same end).</summary>
    public History Fit(DataLoader train, DataLoader? validation, int epochs, IEnumerable<ICallback>? callbacks = null, CancellationToken cancel = default)
    {
        if (epochs <= 0) throw new ArgumentOutOfRangeException(nameof(epochs), $"Epochs must be positive, got {epochs}.");
        var history = new History();
        var hooks = callbacks?.ToList() ?? [];
        StopRequested = false;
        for (int epoch = CompletedEpochs + 1; epoch <= epochs && !StopRequested; epoch++)
        {
            var result = TrainEpoch(train, validation, epoch, epochs, cancel);
            CompletedEpochs = epoch;
            if (Scheduler is { PerBatch: false }) Scheduler.Step();
            history.Epochs.Add(result);
            EpochEnded?.Invoke(result);
            foreach (var hook in hooks) hook.OnEpochEnd(this, result);
        }
        return history;
    }

    private EpochResult TrainEpoch(DataLoader train, DataLoader? validation, int epoch, int epochs, CancellationToken cancel)
    {
        Model.Train();
        Model.ResetStates();
        train.Epoch = epoch - 1;
        var metrics = Objective.NewMetrics();
        var clock = Stopwatch.StartNew();
        int batches = train.BatchCount, b = 0;
        float lr = Optimizer.LearningRate;
        foreach (var batch in train)
        {
            cancel.ThrowIfCancellationRequested();
            lr = Optimizer.LearningRate;
            using var step = _buffers.Scope(); // activations and their gradients are recycled from batch to batch
            Optimizer.ZeroGrad();
            // A replica's part of a short last batch may be empty; it still joins the gradient exchange and the step.
            Tensor? logits = null;
            int[]? outputLengths = null;
            float l = 0;
            if (batch.Count > 0 || Replicas is null)
            {
                var lengths = Objective.ModelLengths(batch);
                logits = Model.Call(batch.Inputs, lengths);
                outputLengths = lengths is null ? null : Model.OutputLengths(lengths);
                var lossValue = Objective.Loss(logits, batch, outputLengths);
                l = lossValue.Item();
                if (!float.IsFinite(l))
                    throw new TrainingDivergedException($"The loss became {l} at epoch {epoch}, batch {b + 1}; lower the learning rate or clip gradients (--clip-grad).");
                lossValue.Backward();
            }
            Replicas?.GradientsReady(Model, batch);
            if (ClipGradNorm is float maxNorm)
            {
                float norm = GradientClipping.ClipGradNorm(Model.Parameters(), maxNorm);
                if (!float.IsFinite(norm))
                    throw new TrainingDivergedException($"The gradient norm became {norm} at epoch {epoch}, batch {b + 1}.");
            }
            Optimizer.Step();
            if (Scheduler is { PerBatch: true }) Scheduler.Step();
            if (logits is not null) metrics.Add(l, logits, batch, outputLengths);
            b++;
            BatchEnded?.Invoke(new BatchProgress(epoch, epochs, b, batches, metrics.Loss, metrics.Accuracy, metrics.Samples / clock.Elapsed.TotalSeconds, clock.Elapsed));
        }
        double seconds = clock.Elapsed.TotalSeconds;
        double loss = metrics.Loss, accuracy = metrics.Accuracy, samples = metrics.Samples, trainCer = metrics.Transcription?.Cer ?? double.NaN;
        if (Replicas is not null)
        {
            var all = Replicas.Reduce(MetricTotals.FromMeans(loss, accuracy, metrics.Samples, metrics.Transcription));
            (loss, accuracy, samples, trainCer) = (all.Loss, all.Accuracy, all.Samples, all.Cer);
        }
        double rate = samples / seconds;
        var val = validation is null ? null : Evaluate(validation);
        return new EpochResult(epoch, loss, accuracy, val?.Loss ?? double.NaN, val?.Accuracy ?? double.NaN, lr, seconds, rate)
        {
            TrainCer = trainCer,
            ValidationCer = val?.Cer ?? double.NaN,
            ValidationWer = val?.Wer ?? double.NaN,
        };
    }

    /// <summary>Loss and accuracy of the model on a data set, in evaluation mode without gradients (over every replica's part, when data-parallel).</summary>
    public EvaluationResult Evaluate(DataLoader data)
    {
        if (Replicas is null) return Evaluator.Evaluate(Model, data, Objective);
        Replicas.BeforeEvaluate(Model);
        var local = Evaluator.Evaluate(Model, data, Objective);
        var all = Replicas.Reduce(MetricTotals.FromMeans(local.Loss, local.Accuracy, local.Samples, local.Transcripts));
        return new EvaluationResult(all.Loss, all.Accuracy, (long)all.Samples, local.Seconds) { Cer = all.Cer, Wer = all.Wer };
    }
}

/// <summary>
/// What data-parallel training plugs into <see cref="Trainer"/>: each replica (process) trains a copy of the model on
/// its part of every batch, and these hooks make the copies take identical steps and report the figures of the
/// whole batch. The loop calls them at the same points on every replica, in the same order.
/// </summary>
public interface IReplicaSync
{
    /// <summary>
    /// After backward, before clipping and the optimizer step: turns this replica's gradients (of the mean loss over its
    /// part, <paramref name="batch"/>, which may be empty) into those of the mean loss over the whole batch.
    /// </summary>
    void GradientsReady(Module model, Batch batch);

    /// <summary>Before every evaluation: e.g. makes the replicas' BatchNorm running statistics agree.</summary>
    void BeforeEvaluate(Module model);

    /// <summary>This replica's totals → the totals over all replicas (the same on every one).</summary>
    MetricTotals Reduce(MetricTotals local);
}

/// <summary>
/// Sums behind a mean loss, an accuracy and (transcribers) the error rates, which add across replicas where the means
/// and rates do not: a corpus's CER is its character edits over its reference characters, not a mean of replicas' CERs.
/// </summary>
public readonly record struct MetricTotals(double LossSum, double Correct, double Samples)
{
    /// <summary>From means over <paramref name="samples"/> predictions (NaN means of no predictions count as nothing) and a transcriber's edit counts.</summary>
    public static MetricTotals FromMeans(double loss, double accuracy, long samples, Speech.ErrorRates? transcripts = null)
    {
        var totals = samples == 0 ? default : new MetricTotals(loss * samples, Math.Round(accuracy * samples), samples);
        return transcripts is null ? totals : totals with
        {
            CharacterEdits = transcripts.CharacterEdits, ReferenceCharacters = transcripts.ReferenceCharacters,
            WordEdits = transcripts.WordEdits, ReferenceWords = transcripts.ReferenceWords,
        };
    }

    public double CharacterEdits { get; init; }
    public double ReferenceCharacters { get; init; }
    public double WordEdits { get; init; }
    public double ReferenceWords { get; init; }

    public double Loss => Samples == 0 ? double.NaN : LossSum / Samples;
    public double Accuracy => Samples == 0 ? double.NaN : Correct / Samples;

    /// <summary>Character error rate (NaN without transcripts).</summary>
    public double Cer => ReferenceCharacters == 0 ? double.NaN : CharacterEdits / ReferenceCharacters;

    /// <summary>Word error rate (NaN without transcripts).</summary>
    public double Wer => ReferenceWords == 0 ? double.NaN : WordEdits / ReferenceWords;
}

/// <summary>
/// Evaluation of a classifier, shared by <see cref="Trainer"/> and callers without one.
/// </summary>
/// <remarks>
/// Thread safety: a model in evaluation mode (as <see cref="Serialization.ModelFile.Load"/> returns it) is only read
/// by inference, so <see cref="PredictProbabilities"/> runs concurrently from any number of threads and each call
/// equals the same call made alone. A model in training mode has to be switched to eval for the call and back; the
/// flag is shared by every caller, so that switch is made under a lock per model and such calls run one at a time
/// (they used to flip the flag unguarded, and 1,684 of 4,000 concurrent outputs of a BatchNorm model came out wrong).
/// <see cref="Evaluate"/> always holds the lock: it resets recurrent state, which belongs to the model.
/// </remarks>
public static class Evaluator
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Module, object> Gates = new();

    /// <summary>The lock that guards <paramref name="model"/>'s training flag and recurrent state against the evaluator's own switching.</summary>
    private static object GateOf(Module model) => Gates.GetValue(model, static _ => new object());

    public static EvaluationResult Evaluate(Module model, DataLoader data, Func<Tensor, Tensor, Tensor>? loss = null) =>
        Evaluate(model, data, Objective.Classification(loss));

    /// <summary>The objective's loss and figures of <paramref name="model"/> over <paramref name="data"/>, in evaluation mode without gradients.</summary>
    public static EvaluationResult Evaluate(Module model, DataLoader data, Objective objective)
    {
        lock (GateOf(model))
        {
            bool wasTraining = model.Training;
            model.Eval();
            // A stateful model reads the evaluation stream from a fresh state and leaves none behind.
            model.ResetStates();
            var metrics = objective.NewMetrics();
            var clock = Stopwatch.StartNew();
            try
            {
                using var _ = GradMode.NoGrad();
                var buffers = new BufferPool();
                foreach (var batch in data)
                {
                    using var scope = buffers.Scope();
                    var lengths = objective.ModelLengths(batch);
                    var logits = model.Call(batch.Inputs, lengths);
                    var outputLengths = lengths is null ? null : model.OutputLengths(lengths);
                    metrics.Add(objective.Loss(logits, batch, outputLengths).Item(), logits, batch, outputLengths);
                }
            }
            finally { model.Train(wasTraining); model.ResetStates(); }
            return new EvaluationResult(metrics.Loss, metrics.Accuracy, metrics.Samples, clock.Elapsed.TotalSeconds)
            {
                Cer = metrics.Transcription?.Cer ?? double.NaN,
                Wer = metrics.Transcription?.Wer ?? double.NaN,
                Transcripts = metrics.Transcription,
            };
        }
    }

    /// <summary>Class probabilities (N, C) for a batch of inputs, computed in evaluation mode; the model's mode is left as it was.</summary>
    public static Tensor PredictProbabilities(Module model, Tensor inputs)
    {
        var gate = GateOf(model);
        // Read under the lock: while another call holds it the flag may be temporarily false, and a call that saw
        // that would run lock-free while the other restores training mode under it.
        Monitor.Enter(gate);
        bool locked = true;
        try
        {
            bool wasTraining = model.Training;
            if (!wasTraining) { Monitor.Exit(gate); locked = false; }
            else model.Eval();
            try
            {
                using var _ = GradMode.NoGrad();
                return Functional.Softmax(model.Call(inputs), -1);
            }
            finally { if (wasTraining) model.Train(true); }
        }
        finally { if (locked) Monitor.Exit(gate); }
    }
}
