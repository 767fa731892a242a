using System.CommandLine;
using System.Globalization;
using Loom.Recipes;
using Loom.Serialization;

namespace Loom.Cli.Commands;

/// <summary>
/// The options of <c>loom train</c>, and how they become a <see cref="Recipe"/>: a new run, or a checkpoint resumed
/// with the settings it was trained with (<see cref="ResumedSettings"/>).
/// </summary>
internal sealed class TrainOptions
{
    public readonly Option<string?> Model = new("--model", "-m") { Description = "Built-in model (lenet, fashion-cnn, row-gru, char-lstm, gru-classifier, bilstm-tagger, …: see loom summary), a spec .json file, or a saved .safetensors model to fine-tune." };
    public readonly Option<string> Data = CliOptions.Data("fashion-mnist-mini");
    public readonly Option<string?> DataDir = CliOptions.DataDir();
    public readonly Option<int> Epochs = new("--epochs", "-e") { Description = "Epochs to train (in total, when resuming).", DefaultValueFactory = _ => 5 };
    public readonly Option<int> BatchSize = CliOptions.BatchSize(64);
    public readonly Option<float> Lr = new("--lr") { Description = "Learning rate (the peak rate for onecycle and after a --warmup).", DefaultValueFactory = _ => 1e-3f };
    public readonly Option<string> Optimizer = new("--optimizer", "-o") { Description = "adam, adamw, sgd or rmsprop.", DefaultValueFactory = _ => "adam" };
    public readonly Option<float> Momentum = new("--momentum") { Description = "Momentum for sgd and rmsprop.", DefaultValueFactory = _ => 0.9f };
    public readonly Option<float?> WeightDecay = new("--weight-decay") { Description = "Weight decay (default 0; 0.01 for adamw)." };
    public readonly Option<string> Schedule = new("--schedule") { Description = "Learning-rate schedule: cosine (default: anneal to 0 over the run), none, step (×0.1 every third of the epochs), onecycle.", DefaultValueFactory = _ => "cosine" };
    public readonly Option<float?> Warmup = new("--warmup") { Description = "Fraction of the run's batches spent rising to --lr: onecycle's pct_start (default 0.3), or for cosine a linear warm-up before the anneal (default none)." };
    public readonly Option<float?> Clip = new("--clip-grad") { Description = "Clip gradients to this global L2 norm." };
    public readonly Option<float> LabelSmoothing = new("--label-smoothing") { Description = "Label smoothing for the cross-entropy loss.", DefaultValueFactory = _ => 0f };
    public readonly Option<int> Seed = new("--seed", "-s") { Description = "Seed for initialisation, shuffling, dropout and augmentation.", DefaultValueFactory = _ => 1 };
    public readonly Option<int?> Threads = CliOptions.Threads();
    public readonly Option<string?> Output = new("--out") { Description = "Save the trained model here (.safetensors)." };
    public readonly Option<string?> Checkpoint = new("--checkpoint") { Description = "Save a resumable checkpoint here after every epoch." };
    public readonly Option<string?> Resume = new("--resume") { Description = "Resume training from a checkpoint written by --checkpoint. The run continues with the checkpoint's settings (lr, batch size, optimizer, momentum, weight decay, schedule, warm-up, gradient clip, label smoothing, seed); a flag that contradicts them is an error." };
    public readonly Option<int> SeqLen = new("--seq-len") { Description = "Language models: characters per training chunk (truncated BPTT length).", DefaultValueFactory = _ => 100 };
    public readonly Option<int> MaxLength = new("--max-length") { Description = "Text classifiers and taggers: tokens per sequence (longer texts are cut, longer sentences split).", DefaultValueFactory = _ => 200 };
    public readonly Option<int?> MinCount = new("--min-count") { Description = "Text: keep tokens seen at least this often in the training split (default 1 for characters, 2 for words); rarer ones become <unk>." };
    public readonly Option<int> MaxVocab = new("--max-vocab") { Description = "Word models: at most this many tokens in the vocabulary.", DefaultValueFactory = _ => 20000 };
    public readonly Option<string> Monitor = new("--monitor") { Description = "The validation metric that chooses the epoch kept: val_loss (lowest, the default), val_accuracy (highest), or for speech models val_cer or val_wer (lowest).", DefaultValueFactory = _ => "val_loss" };
    public readonly Option<double> ValidationSplit = new("--validation-split") { Description = "Hold out this fraction of the training set (seeded) to validate each epoch, and keep the weights of the epoch best by --monitor (lowest validation loss by default); the test set is then used once, at the end.", DefaultValueFactory = _ => 0 };
    public readonly Option<bool> Json = CliOptions.Json();
    public readonly Option<string?> Report = new("--report") { Description = "Write learning curves, the schedule, the confusion matrix and the most confidently wrong held-out examples into this folder, linked from report.html." };
    public readonly Option<bool> Distributed = new("--distributed") { Description = "Data-parallel training over MPI: start as `mpirun -np N loom train ... --distributed`; every rank trains on its part of each batch (--batch-size is the global batch), rank 0 prints and writes files. --threads is per rank (default: the cores divided among the ranks on each machine)." };

    public TrainOptions()
    {
        Optimizer.AcceptOnlyFromAmong([.. TrainingSettings.Optimizers]);
        Schedule.AcceptOnlyFromAmong([.. TrainingSettings.Schedules]);
        Monitor.AcceptOnlyFromAmong([.. TrainingSettings.Monitors]);
    }

    public void AddTo(Command command)
    {
        foreach (Option option in (Option[])[Model, Data, DataDir, Epochs, BatchSize, Lr, Optimizer, Momentum, WeightDecay, Schedule, Warmup, Clip, LabelSmoothing, Seed,
            Threads, Output, Checkpoint, Resume, SeqLen, MaxLength, MinCount, MaxVocab, ValidationSplit, Monitor, Json, Report, Distributed])
            command.Options.Add(option);
    }

    /// <summary>The run the options ask for: a checkpoint resumed, or a new model trained.</summary>
    public Recipe Recipe(ParseResult parse)
    {
        string? resumePath = parse.GetValue(Resume), model = parse.GetValue(Model);
        var resumed = resumePath is null ? null : ModelFile.Load(resumePath);
        if (resumed is { Training: null }) throw new UserException($"'{resumePath}' is a model, not a checkpoint; write checkpoints with --checkpoint.");
        if (model is null && resumed is null) throw new UserException("Option '--model' is required (a built-in name such as lenet, a spec .json file or a saved model), unless --resume is given.");
        var saved = new ResumedSettings(parse, resumed?.Training?.Options);
        var settings = Settings(parse, saved);
        string data = parse.GetValue(Data)!;
        if (resumed is null) return Recipes.Recipe.For(model!, data, settings, parse.GetValue(DataDir));
        saved.CheckSame(Optimizer, "optimizer", resumed.Training!.OptimizerKind);
        if (settings.ValidationSplit > 0) throw new UserException("--validation-split cannot be combined with --resume.");
        if (resumed.Training.CompletedEpochs >= settings.Epochs)
            throw new UserException($"The checkpoint has already completed {resumed.Training.CompletedEpochs} epochs; ask for more with --epochs.");
        return Recipes.Recipe.Resume(resumed, data, settings, parse.GetValue(DataDir));
    }

    /// <summary>The flags as settings (a checkpoint's saved values win over defaults), each checked with the flag's name.</summary>
    private TrainingSettings Settings(ParseResult parse, ResumedSettings saved)
    {
        var settings = new TrainingSettings
        {
            Epochs = parse.GetValue(Epochs),
            BatchSize = saved.Int(BatchSize, "batch_size"),
            LearningRate = saved.Float(Lr, "lr"),
            Optimizer = parse.GetValue(Optimizer)!,
            Momentum = saved.Float(Momentum, "momentum"),
            WeightDecay = saved.OptionalFloat(WeightDecay, "weight_decay"),
            Schedule = saved.String(Schedule, "schedule"),
            Warmup = saved.OptionalFloat(Warmup, "warmup"),
            ClipGradNorm = saved.OptionalFloat(Clip, "clip_grad"),
            LabelSmoothing = saved.Float(LabelSmoothing, "label_smoothing"),
            Seed = saved.Int(Seed, "seed"),
            ValidationSplit = parse.GetValue(ValidationSplit),
            Monitor = parse.GetValue(Monitor)!,
            Text = new TextSizing(parse.GetValue(SeqLen), parse.GetValue(MaxLength), parse.GetValue(MinCount), parse.GetValue(MaxVocab)),
        };
        CliOptions.RequirePositive(settings.Epochs, "--epochs");
        CliOptions.RequirePositive(settings.BatchSize, "--batch-size");
        if (!(settings.LearningRate > 0f) || !float.IsFinite(settings.LearningRate))
            throw new UserException($"--lr must be a positive number, got {settings.LearningRate.ToString(CultureInfo.InvariantCulture)}.");
        if (!(settings.ValidationSplit >= 0 && settings.ValidationSplit < 1))
            throw new UserException($"--validation-split must be at least 0 and below 1, got {settings.ValidationSplit.ToString(CultureInfo.InvariantCulture)}.");
        CliOptions.RequirePositive(settings.Text.SequenceLength, "--seq-len");
        CliOptions.RequirePositive(settings.Text.MaxLength, "--max-length");
        CliOptions.RequirePositive(settings.Text.MaxVocabulary, "--max-vocab");
        return settings;
    }
}
