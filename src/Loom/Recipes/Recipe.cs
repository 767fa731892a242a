using System.Diagnostics;
using System.Text.Json.Nodes;
using Loom.Data;
using Loom.Models;
using Loom.Nn;
using Loom.Optim;
using Loom.Serialization;
using Loom.Text;
using Loom.Training;

namespace Loom.Recipes;

/// <summary>What <see cref="Recipe.Fit"/> ends with.</summary>
/// <param name="History">Every epoch of the run, those of a resumed checkpoint first.</param>
/// <param name="Final">The figures reported: the last epoch, or with a validation split the kept epoch with its test figures.</param>
/// <param name="BestEpoch">With a validation split, the epoch whose weights were kept (lowest validation loss).</param>
/// <param name="TrainSeconds">Wall time of this run's training (not of a resumed checkpoint's).</param>
public sealed record RecipeResult(IReadOnlyList<EpochResult> History, EpochResult Final, int? BestEpoch, double TrainSeconds);

/// <summary>
/// A ready run: a named data set and a named model turned into data, preprocessing, vocabulary, spec, model,
/// loaders, optimizer, schedule and trainer — what <c>loom train</c> does, for library users too:
/// <code>
/// var run = Recipe.For("bilstm-tagger", "brown-mini", new TrainingSettings { Epochs = 2 });
/// run.Trainer.EpochEnded += e => Console.WriteLine($"epoch {e.Epoch}: {e.ValidationAccuracy:P2}");
/// var result = run.Fit();
/// run.Save("tagger.safetensors");
/// </code>
/// Data names are those of <see cref="DatasetRegistry"/> (images, or a folder of IDX files) and
/// <see cref="TextCorpora"/> (text); a model is a built-in name (<see cref="ModelZoo"/>), a spec .json file or a
/// saved .safetensors model to fine-tune. A new text model takes its vocabulary from the data's training split.
/// The generator is seeded first and the model constructed once, so the same settings give the same run.
/// </summary>
public sealed class Recipe
{
    private readonly List<EpochResult> _history = [];

    private Recipe(BuiltModel model, TrainTestSets data, TrainingSettings settings, ModelFile.Loaded? checkpoint)
    {
        settings.Validate();
        Settings = settings;
        var spec = model.Spec;
        DataSets.CheckFits(spec, data.Train, data.Name);
        if (spec.ClassNames is null && data.ClassNames is not null && data.ClassNames.Length == spec.Classes) spec = spec with { ClassNames = data.ClassNames };
        (Spec, Model) = (spec, model.Model);

        // A language model reads its streams in order (row i of each batch continues row i of the last), and its
        // held-out stream was cut for the training batch size.
        bool stream = IsLanguageModel;
        if (settings.ValidationSplit == 0 && data.Validation is not null)
            ValidationLoader = new DataLoader(data.Validation, settings.EvaluationBatchSize, shuffle: false, transforms: DataSets.Preprocessing(spec, training: false));
        if (settings.ValidationSplit > 0)
        {
            if (stream) throw new ArgumentException("A validation split cannot cut a language model's text streams; its held-out chapters already validate it.");
            if (checkpoint is not null) throw new ArgumentException("A validation split cannot be combined with resuming a checkpoint.");
            var (kept, held) = SubsetDataset.Split(data.Train, settings.ValidationSplit, (ulong)settings.Seed);
            data = data with { Train = kept };
            ValidationLoader = new DataLoader(held, settings.EvaluationBatchSize, shuffle: false, transforms: DataSets.Preprocessing(spec, training: false));
        }
        Data = data;
        TrainLoader = new DataLoader(data.Train, settings.BatchSize, shuffle: !stream, seed: (ulong)settings.Seed,
            transforms: DataSets.Preprocessing(spec, training: true), reuseBuffers: true);
        TestLoader = TestLoaderFor(spec, data.Test, stream ? settings.BatchSize : settings.EvaluationBatchSize);
        if (settings.Monitor is "val_cer" or "val_wer" && spec.Task != TaskKind.Transcribe)
            throw new ArgumentException($"Monitoring {settings.Monitor} needs a speech model: only a transcriber reports error rates.");
        Optimizer = settings.CreateOptimizer(Model);
        var objective = spec.Task == TaskKind.Transcribe ? new Speech.CtcObjective()
            : Objective.Classification((logits, targets) => Losses.CrossEntropy(logits, targets, settings.LabelSmoothing));
        Trainer = new Trainer(Model, Optimizer, objective)
        {
            ClipGradNorm = settings.ClipGradNorm,
            Scheduler = settings.CreateScheduler(Optimizer, TrainLoader.BatchCount),
        };
        if (checkpoint?.Training is { } state) Restore(checkpoint, state);
    }

    public TrainingSettings Settings { get; }
    /// <summary>The model's spec, with the data's class names when it had none.</summary>
    public ModelSpec Spec { get; }
    public Sequential Model { get; }
    /// <summary>The data encoded for the model; with a validation split, Train is what remains after it.</summary>
    public TrainTestSets Data { get; }
    public DataLoader TrainLoader { get; }
    /// <summary>The held-out part of the training set, with a validation split; otherwise each epoch is measured on <see cref="TestLoader"/>.</summary>
    public DataLoader? ValidationLoader { get; }
    public DataLoader TestLoader { get; }
    public Optimizer Optimizer { get; }
    /// <summary>The training loop; its BatchEnded and EpochEnded events report progress.</summary>
    public Trainer Trainer { get; }
    /// <summary>The epochs completed so far, a resumed checkpoint's included.</summary>
    public IReadOnlyList<EpochResult> History => _history;
    public bool IsLanguageModel => Spec.Task == TaskKind.LanguageModel;
    public bool IsTranscriber => Spec.Task == TaskKind.Transcribe;

    /// <summary>A new run of <paramref name="model"/> on <paramref name="data"/> (see the class notes for the names).</summary>
    /// <exception cref="ArgumentException">Unknown names or unusable settings, named.</exception>
    /// <exception cref="InvalidDataException">The model does not fit the data (shapes, classes, task), or a file is bad.</exception>
    public static Recipe For(string model, string data, TrainingSettings? settings = null, string? dataDir = null)
    {
        settings ??= new TrainingSettings();
        settings.Validate();
        Rng.ManualSeed((ulong)settings.Seed);
        var corpus = TextCorpora.Contains(data) ? TextCorpora.Load(data, dataDir) : null;
        var built = corpus is not null && ModelZoo.TextNames.Contains(model)
            ? TextModels.NewModel(model, corpus, settings.Text)
            : ModelSources.Build(model);
        return new Recipe(built, DataFor(built.Spec, data, corpus, dataDir, settings.BatchSize), settings, null);
    }

    /// <summary>
    /// Continues the checkpoint <paramref name="checkpoint"/> (written by <see cref="Fit"/>) on <paramref name="data"/>:
    /// weights, optimizer state, schedule position, generator state and history as they were. <paramref name="settings"/>
    /// should be those the checkpoint was trained with (its <c>loom.options</c>), with the new total of epochs.
    /// </summary>
    public static Recipe Resume(ModelFile.Loaded checkpoint, string data, TrainingSettings settings, string? dataDir = null)
    {
        var state = checkpoint.Training ?? throw new ArgumentException("The file is a model, not a checkpoint: it holds no training state to resume.");
        if (state.CompletedEpochs >= settings.Epochs)
            throw new ArgumentException($"The checkpoint has already completed {state.CompletedEpochs} epochs; ask for more than {settings.Epochs} in total.");
        settings = settings with { Optimizer = state.OptimizerKind };
        Rng.ManualSeed((ulong)settings.Seed);
        var corpus = TextCorpora.Contains(data) ? TextCorpora.Load(data, dataDir) : null;
        var model = new BuiltModel(checkpoint.Spec, checkpoint.Model);
        return new Recipe(model, DataFor(model.Spec, data, corpus, dataDir, settings.BatchSize), settings, checkpoint);
    }

    /// <summary>A run of a model already built (after seeding) on data already loaded and encoded for it, as a comparison shares one split among its contestants.</summary>
    public static Recipe From(BuiltModel model, TrainTestSets data, TrainingSettings settings) => new(model, data, settings, null);

    /// <summary>
    /// <paramref name="data"/> encoded for <paramref name="spec"/>: a text corpus with the spec's vocabulary (for a
    /// language model, cut into <paramref name="batchSize"/> streams), or image data checked against its input shape.
    /// </summary>
    public static TrainTestSets LoadData(ModelSpec spec, string data, string? dataDir, int batchSize) =>
        DataFor(spec, data, TextCorpora.Contains(data) ? TextCorpora.Load(data, dataDir) : null, dataDir, batchSize);

    /// <summary>An in-order loader over held-out samples with <paramref name="spec"/>'s preprocessing (no augmentation).</summary>
    public static DataLoader TestLoaderFor(ModelSpec spec, IDataset test, int batchSize) =>
        new(test, batchSize, shuffle: false, transforms: DataSets.Preprocessing(spec, training: false), reuseBuffers: true);

    private static TrainTestSets DataFor(ModelSpec spec, string data, TextCorpus? corpus, string? dataDir, int batchSize)
    {
        var sets = corpus is not null ? TextModels.Encode(spec, corpus, batchSize)
            : spec.Task == TaskKind.Transcribe ? SpeechData.Load(spec, data, dataDir)
            : DataSets.Load(data, dataDir);
        DataSets.CheckFits(spec, sets.Test, sets.Name);
        return sets;
    }

    private void Restore(ModelFile.Loaded checkpoint, ModelFile.TrainingState state)
    {
        Optimizer.LoadState(checkpoint.OptimizerState, state.OptimizerStep, state.LearningRate);
        Trainer.Scheduler?.Seek(state.SchedulerStep);
        Rng.Default.SetState(state.RngState);
        Trainer.CompletedEpochs = state.CompletedEpochs;
        _history.AddRange(HistoryJson.Parse(state.HistoryJson));
    }

    /// <summary>
    /// Trains to <see cref="TrainingSettings.Epochs"/> in total, measuring the held-out set after every epoch; with
    /// <paramref name="checkpointPath"/> a resumable checkpoint is written there (atomically) after each. With a
    /// validation split (or a data set's own validation split), the weights of the epoch best by
    /// <see cref="TrainingSettings.Monitor"/> (lowest validation loss by default) are kept and the test set is measured
    /// once, at the end.
    /// </summary>
    public RecipeResult Fit(string? checkpointPath = null, IEnumerable<ICallback>? callbacks = null, CancellationToken cancel = default)
    {
        var all = new List<ICallback>(callbacks ?? []);
        var best = ValidationLoader is null ? null : new RestoreBestWeights(Settings.Monitor);
        if (best is not null) all.Add(best);
        // The trainer raises callbacks before it returns the epochs, so the checkpoint keeps its own running list.
        var epochsSoFar = new List<EpochResult>(_history);
        if (checkpointPath is not null) all.Add(new ModelCheckpoint(result => { epochsSoFar.Add(result); SaveCheckpoint(checkpointPath, epochsSoFar); }));
        var clock = Stopwatch.StartNew();
        _history.AddRange(Trainer.Fit(TrainLoader, ValidationLoader ?? TestLoader, Settings.Epochs, all, cancel).Epochs);
        double seconds = clock.Elapsed.TotalSeconds;
        var final = _history[^1];
        if (best is null) return new RecipeResult(_history, final, null, seconds);
        best.Restore(Model);
        var test = Trainer.Evaluate(TestLoader);
        var chosen = _history.First(e => e.Epoch == best.BestEpoch);
        return new RecipeResult(_history, chosen with { ValidationLoss = test.Loss, ValidationAccuracy = test.Accuracy, ValidationCer = test.Cer, ValidationWer = test.Wer }, best.BestEpoch, seconds);
    }

    /// <summary>The held-out loss and accuracy of the model as it is now.</summary>
    public EvaluationResult Evaluate() => Trainer.Evaluate(TestLoader);

    /// <summary>Saves the model (weights and spec, with the training settings in the metadata), atomically.</summary>
    public void Save(string path) => ModelFile.Save(path, Model, Spec, new Dictionary<string, string> { ["loom.options"] = OptionsJson() });

    private void SaveCheckpoint(string path, IEnumerable<EpochResult> history) =>
        ModelFile.SaveCheckpoint(path, Model, Spec, Optimizer, new ModelFile.TrainingState(Optimizer.Kind, Optimizer.StepCount, Optimizer.LearningRate,
            Trainer.CompletedEpochs, Trainer.Scheduler?.StepIndex ?? 0, Rng.Default.GetState(), Settings.ToOptions(Data.Name), HistoryJson.Write(history)));

    private string OptionsJson() =>
        new JsonObject(Settings.ToOptions(Data.Name).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))).ToJsonString();
}
