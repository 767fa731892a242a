using System.Globalization;
using Loom.Nn;
using Loom.Optim;

namespace Loom.Recipes;

/// <summary>
/// How a <see cref="Recipe"/> trains: the settings of <c>loom train</c>, with its defaults (Adam at 1e-3, a cosine
/// schedule over the run, batch 64, seed 1). They are saved with the model and in checkpoints (<see cref="ToOptions"/>),
/// so that a resumed run can continue with exactly the settings it began with.
/// </summary>
public sealed record TrainingSettings
{
    public static IReadOnlyList<string> Optimizers { get; } = ["adam", "adamw", "sgd", "rmsprop"];
    public static IReadOnlyList<string> Schedules { get; } = ["none", "step", "cosine", "onecycle"];

    /// <summary>Epochs in total (a resumed run continues to the same end).</summary>
    public int Epochs { get; init; } = 5;
    /// <summary>Samples per training batch; for a language model, the parallel text streams.</summary>
    public int BatchSize { get; init; } = 64;
    /// <summary>Samples per batch when measuring held-out data (language models use <see cref="BatchSize"/>: their streams were cut for it).</summary>
    public int EvaluationBatchSize { get; init; } = 256;
    /// <summary>The learning rate (the peak rate for onecycle).</summary>
    public float LearningRate { get; init; } = 1e-3f;
    /// <summary>adam, adamw, sgd or rmsprop.</summary>
    public string Optimizer { get; init; } = "adam";
    /// <summary>Momentum for sgd (Nesterov when positive) and rmsprop.</summary>
    public float Momentum { get; init; } = 0.9f;
    /// <summary>Weight decay; null for the optimizer's default (0, or 0.01 for adamw).</summary>
    public float? WeightDecay { get; init; }
    /// <summary>none, step (×0.1 every third of the epochs), cosine (annealed to 0 over the run) or onecycle.</summary>
    public string Schedule { get; init; } = "cosine";
    /// <summary>
    /// The fraction of the run's batches spent rising to the rate: for onecycle its pct_start (null: 0.3, PyTorch's
    /// default); for cosine a linear warm-up before the anneal (<see cref="WarmupCosineLr"/>; null: none, the rate
    /// annealed per epoch from the first). Other schedules take none.
    /// </summary>
    public float? Warmup { get; init; }
    /// <summary>Clip gradients to this global L2 norm before each step; null for no clipping.</summary>
    public float? ClipGradNorm { get; init; }
    /// <summary>Label smoothing of the cross-entropy loss.</summary>
    public float LabelSmoothing { get; init; }
    /// <summary>Seeds initialisation, shuffling, dropout, augmentation and the validation split.</summary>
    public int Seed { get; init; } = 1;
    /// <summary>A seeded fraction of the training set held out to validate each epoch (0: validate on the test set).</summary>
    public double ValidationSplit { get; init; }
    /// <summary>
    /// The validation metric that chooses the epoch whose weights are kept, as Keras's <c>monitor</c>: val_loss (the
    /// default), val_accuracy (highest), or a transcriber's val_cer / val_wer (lowest). A CTC model's loss and error
    /// rate can part: one speech run's loss was lowest at epoch 17 of 30 while its WER fell to the last (docs/speech.md).
    /// </summary>
    public string Monitor { get; init; } = "val_loss";

    /// <summary>The metrics <see cref="Monitor"/> may name.</summary>
    public static IReadOnlyList<string> Monitors { get; } = ["val_loss", "val_accuracy", "val_cer", "val_wer"];
    /// <summary>How new text models are sized.</summary>
    public TextSizing Text { get; init; } = new();

    /// <summary>Rejects settings no run can use, naming the setting.</summary>
    /// <exception cref="ArgumentException"/>
    public void Validate()
    {
        if (Epochs <= 0) throw new ArgumentException($"Epochs must be positive, got {Epochs}.");
        if (BatchSize <= 0 || EvaluationBatchSize <= 0) throw new ArgumentException($"Batch sizes must be positive, got {BatchSize} and {EvaluationBatchSize}.");
        if (!(LearningRate > 0f) || !float.IsFinite(LearningRate)) throw new ArgumentException($"The learning rate must be a positive number, got {Show(LearningRate)}.");
        if (!Optimizers.Contains(Optimizer)) throw new ArgumentException($"Unknown optimizer '{Optimizer}' (known: {string.Join(", ", Optimizers)}).");
        if (!Schedules.Contains(Schedule)) throw new ArgumentException($"Unknown schedule '{Schedule}' (known: {string.Join(", ", Schedules)}).");
        if (Warmup is float w && !(w > 0f && w < 1f)) throw new ArgumentException($"The warm-up must be a fraction of the run above 0 and below 1, got {Show(w)}.");
        if (Warmup is not null && Schedule is not ("cosine" or "onecycle")) throw new ArgumentException($"A warm-up applies to the cosine and onecycle schedules, not to '{Schedule}'.");
        if (!Monitors.Contains(Monitor)) throw new ArgumentException($"Unknown monitored metric '{Monitor}' (known: {string.Join(", ", Monitors)}).");
        if (!(ValidationSplit >= 0 && ValidationSplit < 1)) throw new ArgumentException($"The validation split must be at least 0 and below 1, got {ValidationSplit.ToString(CultureInfo.InvariantCulture)}.");
        if (Text.SequenceLength <= 0 || Text.MaxLength <= 0 || Text.MaxVocabulary <= 0)
            throw new ArgumentException($"Text sizes must be positive, got sequence length {Text.SequenceLength}, max length {Text.MaxLength}, max vocabulary {Text.MaxVocabulary}.");
    }

    /// <summary>The optimizer these settings name, over <paramref name="model"/>'s parameters.</summary>
    public Optimizer CreateOptimizer(Module model) => Optimizer switch
    {
        "adam" => new Adam(model.Parameters(), LearningRate, weightDecay: WeightDecay ?? 0f),
        "adamw" => new AdamW(model.Parameters(), LearningRate, weightDecay: WeightDecay ?? 0.01f),
        "sgd" => new Sgd(model.Parameters(), LearningRate, Momentum, weightDecay: WeightDecay ?? 0f, nesterov: Momentum > 0f),
        "rmsprop" => new RmsProp(model.Parameters(), LearningRate, weightDecay: WeightDecay ?? 0f, momentum: Momentum),
        _ => throw new ArgumentException($"Unknown optimizer '{Optimizer}' (known: {string.Join(", ", Optimizers)})."),
    };

    /// <summary>The schedule these settings name for <paramref name="optimizer"/>, or null for a constant rate.</summary>
    public LrScheduler? CreateScheduler(Optimizer optimizer, int batchesPerEpoch)
    {
        int batches = Math.Max(2, Epochs * batchesPerEpoch);
        return Schedule switch
        {
            "none" => null,
            "step" => new StepLr(optimizer, Math.Max(1, Epochs / 3), 0.1f),
            "cosine" when Warmup is float w => new WarmupCosineLr(optimizer, WarmupSteps(w, batches), batches),
            "cosine" => new CosineAnnealingLr(optimizer, Epochs),
            "onecycle" => new OneCycleLr(optimizer, LearningRate, batches, pctStart: Warmup ?? 0.3f),
            _ => throw new ArgumentException($"Unknown schedule '{Schedule}' (known: {string.Join(", ", Schedules)})."),
        };
    }

    /// <summary>The batches of a warm-up over <paramref name="fraction"/> of <paramref name="totalSteps"/>: at least one, and at least one left to anneal.</summary>
    private static int WarmupSteps(float fraction, int totalSteps) =>
        Math.Clamp((int)MathF.Round(fraction * totalSteps), 1, totalSteps - 1);

    /// <summary>The settings as the string options saved in a model's and a checkpoint's metadata (<c>loom.options</c>).</summary>
    public Dictionary<string, string> ToOptions(string data) => new()
    {
        ["data"] = data,
        ["epochs"] = Epochs.ToString(CultureInfo.InvariantCulture),
        ["batch_size"] = BatchSize.ToString(CultureInfo.InvariantCulture),
        ["lr"] = Show(LearningRate),
        ["optimizer"] = Optimizer,
        ["seed"] = Seed.ToString(CultureInfo.InvariantCulture),
        ["schedule"] = Schedule,
        ["warmup"] = Show(Warmup),
        ["momentum"] = Show(Momentum),
        ["weight_decay"] = Show(WeightDecay),
        ["clip_grad"] = Show(ClipGradNorm),
        ["label_smoothing"] = Show(LabelSmoothing),
    };

    /// <summary>A float as the options store it: round-trip exact, invariant culture; "" for unset.</summary>
    public static string Show(float? value) => value is float v ? v.ToString("R", CultureInfo.InvariantCulture) : "";
}
