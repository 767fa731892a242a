using Loom.Recipes;
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Loom.Data;
using Loom.Nn;
using Loom.Optim;
using Loom.Serialization;
using Loom.Training;

namespace Loom.Cli.Commands;

/// <summary>
/// <c>loom train</c>: builds a model from a name or spec, trains it on a dataset with the chosen
/// optimizer and schedule, reports test accuracy after every epoch, and saves the model.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m") { Description = "Built-in model (lenet, fashion-cnn, row-gru, char-lstm, gru-classifier, bilstm-tagger, …: see loom summary), a spec .json file, or a saved .safetensors model to fine-tune." };
        var data = CliOptions.Data("fashion-mnist-mini");
        var dataDir = CliOptions.DataDir();
        var epochs = new Option<int>("--epochs", "-e") { Description = "Epochs to train (in total, when resuming).", DefaultValueFactory = _ => 5 };
        var batchSize = CliOptions.BatchSize(64);
        var lr = new Option<float>("--lr") { Description = "Learning rate (peak rate for onecycle).", DefaultValueFactory = _ => 1e-3f };
        var optimizer = new Option<string>("--optimizer", "-o") { Description = "adam, adamw, sgd or rmsprop.", DefaultValueFactory = _ => "adam" };
        optimizer.AcceptOnlyFromAmong("adam", "adamw", "sgd", "rmsprop");
        var momentum = new Option<float>("--momentum") { Description = "Momentum for sgd and rmsprop.", DefaultValueFactory = _ => 0.9f };
        var weightDecay = new Option<float?>("--weight-decay") { Description = "Weight decay (default 0; 0.01 for adamw)." };
        var schedule = new Option<string>("--schedule") { Description = "Learning-rate schedule: cosine (default: anneal to 0 over the run), none, step (×0.1 every third of the epochs), onecycle.", DefaultValueFactory = _ => "cosine" };
        schedule.AcceptOnlyFromAmong("none", "step", "cosine", "onecycle");
        var clip = new Option<float?>("--clip-grad") { Description = "Clip gradients to this global L2 norm." };
        var labelSmoothing = new Option<float>("--label-smoothing") { Description = "Label smoothing for the cross-entropy loss.", DefaultValueFactory = _ => 0f };
        var seed = new Option<int>("--seed", "-s") { Description = "Seed for initialisation, shuffling, dropout and augmentation.", DefaultValueFactory = _ => 1 };
        var threads = CliOptions.Threads();
        var output = new Option<string?>("--out") { Description = "Save the trained model here (.safetensors)." };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Save a resumable checkpoint here after every epoch." };
        var resume = new Option<string?>("--resume") { Description = "Resume training from a checkpoint written by --checkpoint. The run continues with the checkpoint's settings (lr, batch size, optimizer, momentum, weight decay, schedule, gradient clip, label smoothing, seed); a flag that contradicts them is an error." };
        var seqLen = new Option<int>("--seq-len") { Description = "Language models: characters per training chunk (truncated BPTT length).", DefaultValueFactory = _ => 100 };
        var maxLength = new Option<int>("--max-length") { Description = "Text classifiers and taggers: tokens per sequence (longer texts are cut, longer sentences split).", DefaultValueFactory = _ => 200 };
        var minCount = new Option<int?>("--min-count") { Description = "Text: keep tokens seen at least this often in the training split (default 1 for characters, 2 for words); rarer ones become <unk>." };
        var maxVocab = new Option<int>("--max-vocab") { Description = "Word models: at most this many tokens in the vocabulary.", DefaultValueFactory = _ => 20000 };
        var validationSplit = new Option<double>("--validation-split") { Description = "Hold out this fraction of the training set (seeded) to validate each epoch, and keep the weights of the epoch with the lowest validation loss; the test set is then used once, at the end.", DefaultValueFactory = _ => 0 };
        var json = CliOptions.Json();
        var command = new Command("train", "Train a model on a dataset.")
        {
            model, data, dataDir, epochs, batchSize, lr, optimizer, momentum, weightDecay, schedule, clip, labelSmoothing, seed, threads, output, checkpoint, resume,
            seqLen, maxLength, minCount, maxVocab, validationSplit, json,
        };

        CommandRunner.SetAction(command, parse =>
        {
            CliOptions.ApplyThreads(parse.GetValue(threads));
            string? outPath = parse.GetValue(output), checkpointPath = parse.GetValue(checkpoint), resumePath = parse.GetValue(resume);
            ModelFile.Loaded? resumed = resumePath is null ? null : ModelFile.Load(resumePath);
            if (resumed is not null && resumed.Training is null) throw new UserException($"'{resumePath}' is a model, not a checkpoint; write checkpoints with --checkpoint.");
            var settings = new ResumedSettings(parse, resumed?.Training?.Options);
            int epochCount = parse.GetValue(epochs), batch = settings.Int(batchSize, "batch_size");
            CliOptions.RequirePositive(epochCount, "--epochs");
            CliOptions.RequirePositive(batch, "--batch-size");
            float rate = settings.Float(lr, "lr");
            if (!(rate > 0f) || !float.IsFinite(rate)) throw new UserException($"--lr must be a positive number, got {rate.ToString(CultureInfo.InvariantCulture)}.");
            CheckWritable(outPath, "--out");
            CheckWritable(checkpointPath, "--checkpoint");
            string? modelName = parse.GetValue(model);
            if (modelName is null && resumePath is null) throw new UserException("Option '--model' is required (a built-in name such as lenet, a spec .json file or a saved model), unless --resume is given.");

            int seedValue = settings.Int(seed, "seed");
            Rng.ManualSeed((ulong)seedValue);

            string dataName = parse.GetValue(data)!;
            var corpus = Text.TextCorpora.Contains(dataName) ? Text.TextCorpora.Load(dataName, parse.GetValue(dataDir)) : null;
            ModelSpec spec;
            Sequential net;
            if (resumed is not null) (spec, net) = (resumed.Spec, resumed.Model);
            else if (ModelSources.IsSavedModel(modelName!)) { var saved = ModelFile.Load(modelName!); (spec, net) = (saved.Spec, saved.Model); }
            else
            {
                if (corpus is not null && Models.ModelZoo.TextNames.Contains(modelName!))
                {
                    CliOptions.RequirePositive(parse.GetValue(seqLen), "--seq-len");
                    CliOptions.RequirePositive(parse.GetValue(maxLength), "--max-length");
                    CliOptions.RequirePositive(parse.GetValue(maxVocab), "--max-vocab");
                    (spec, net) = TextModels.NewModel(modelName!, corpus, new TextSizing(parse.GetValue(seqLen), parse.GetValue(maxLength), parse.GetValue(minCount), parse.GetValue(maxVocab)));
                }
                else (spec, net) = ModelSources.Build(modelName!);
            }

            var sets = corpus is not null ? TextModels.Encode(spec, corpus, batch) : DataSets.Load(dataName, parse.GetValue(dataDir));
            DataSets.CheckFits(spec, sets.Train, sets.Name);
            if (spec.ClassNames is null && sets.ClassNames is not null && sets.ClassNames.Length == spec.Classes) spec = spec with { ClassNames = sets.ClassNames };

            string optimizerName = resumed?.Training?.OptimizerKind ?? parse.GetValue(optimizer)!;
            settings.CheckSame(optimizer, "optimizer", optimizerName);
            float momentumValue = settings.Float(momentum, "momentum");
            float? decay = settings.OptionalFloat(weightDecay, "weight_decay");
            float? clipNorm = settings.OptionalFloat(clip, "clip_grad");
            float smoothing = settings.Float(labelSmoothing, "label_smoothing");
            string scheduleName = settings.String(schedule, "schedule");
            var opt = CreateOptimizer(optimizerName, net, rate, momentumValue, decay);
            // A language model reads its streams in order (row i of each batch continues row i of the last), and its test stream was cut for this batch size.
            bool stream = spec.Task == TaskKind.LanguageModel;
            double holdOut = parse.GetValue(validationSplit);
            if (!(holdOut >= 0 && holdOut < 1)) throw new UserException($"--validation-split must be at least 0 and below 1, got {holdOut.ToString(CultureInfo.InvariantCulture)}.");
            if (holdOut > 0 && stream) throw new UserException("--validation-split cannot cut a language model's text streams; its held-out chapters already validate it.");
            if (holdOut > 0 && resumed is not null) throw new UserException("--validation-split cannot be combined with --resume.");
            DataLoader? validationLoader = null;
            if (holdOut > 0)
            {
                var (kept, held) = SubsetDataset.Split(sets.Train, holdOut, (ulong)seedValue);
                sets = sets with { Train = kept };
                validationLoader = new DataLoader(held, 256, shuffle: false, transforms: DataSets.Preprocessing(spec, training: false));
            }
            var trainLoader = new DataLoader(sets.Train, batch, shuffle: !stream, seed: (ulong)seedValue, transforms: DataSets.Preprocessing(spec, training: true), reuseBuffers: true);
            var testLoader = new DataLoader(sets.Test, stream ? batch : 256, shuffle: false, transforms: DataSets.Preprocessing(spec, training: false), reuseBuffers: true);
            var trainer = new Trainer(net, opt, (logits, targets) => Losses.CrossEntropy(logits, targets, smoothing))
            {
                ClipGradNorm = clipNorm,
                Scheduler = CreateScheduler(scheduleName, opt, epochCount, trainLoader.BatchCount, rate),
            };
            var history = new List<EpochResult>();
            if (resumed?.Training is { } state)
            {
                opt.LoadState(resumed.OptimizerState, state.OptimizerStep, state.LearningRate);
                trainer.Scheduler?.Seek(state.SchedulerStep);
                Rng.Default.SetState(state.RngState);
                trainer.CompletedEpochs = state.CompletedEpochs;
                history.AddRange(HistoryJson.Parse(state.HistoryJson));
                if (state.CompletedEpochs >= epochCount) throw new UserException($"The checkpoint has already completed {state.CompletedEpochs} epochs; ask for more with --epochs.");
            }

            bool quiet = parse.GetValue(json);
            var progressOut = quiet ? Console.Error : Console.Out;
            var renderer = ProgressRenderer.For(progressOut, quiet ? Console.IsErrorRedirected : Console.IsOutputRedirected, validationLoader is null ? "test" : "val");
            trainer.BatchEnded += renderer.OnBatch;
            trainer.EpochEnded += renderer.OnEpoch;
            var options = new Dictionary<string, string>
            {
                ["data"] = sets.Name, ["epochs"] = epochCount.ToString(CultureInfo.InvariantCulture), ["batch_size"] = batch.ToString(CultureInfo.InvariantCulture),
                ["lr"] = rate.ToString("R", CultureInfo.InvariantCulture), ["optimizer"] = optimizerName, ["seed"] = seedValue.ToString(CultureInfo.InvariantCulture),
                ["schedule"] = scheduleName, ["momentum"] = ResumedSettings.Format(momentumValue), ["weight_decay"] = ResumedSettings.Format(decay),
                ["clip_grad"] = ResumedSettings.Format(clipNorm), ["label_smoothing"] = ResumedSettings.Format(smoothing),
            };
            var callbacks = new List<ICallback>();
            var best = validationLoader is null ? null : new RestoreBestWeights("val_loss");
            if (best is not null) callbacks.Add(best);
            if (checkpointPath is not null)
                callbacks.Add(new ModelCheckpoint(result =>
                {
                    history.Add(result);
                    ModelFile.SaveCheckpoint(checkpointPath, net, spec, opt, new ModelFile.TrainingState(opt.Kind, opt.StepCount, opt.LearningRate,
                        trainer.CompletedEpochs, trainer.Scheduler?.StepIndex ?? 0, Rng.Default.GetState(), options, HistoryJson.Write(history)));
                    history.RemoveAt(history.Count - 1);
                }));

            if (!quiet) Console.WriteLine($"Training {spec.Name} ({net.ParameterCount():N0} parameters) on {sets.Name}: {sets.Train.Count:N0} train / {sets.Test.Count:N0} test samples, " +
                $"{optimizerName} lr {rate.ToString(CultureInfo.InvariantCulture)}, batch {batch}, {Kernels.Threading.Threads} threads.");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            trainer.Fit(trainLoader, validationLoader ?? testLoader, epochCount, callbacks).Epochs.ForEach(history.Add);
            double trainSeconds = clock.Elapsed.TotalSeconds;
            var final = history[^1];
            if (best is not null)
            {
                // Validated run: keep the best epoch's weights, then measure the test set once.
                best.Restore(net);
                var test = trainer.Evaluate(testLoader);
                var chosen = history.First(e => e.Epoch == best.BestEpoch);
                final = chosen with { ValidationLoss = test.Loss, ValidationAccuracy = test.Accuracy };
                if (!quiet) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Kept epoch {best.BestEpoch} (validation loss {chosen.ValidationLoss:F4}, accuracy {chosen.ValidationAccuracy:P2})."));
            }

            if (outPath is not null) ModelFile.Save(outPath, net, spec, new Dictionary<string, string> { ["loom.options"] = new JsonObject(options.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))).ToJsonString() });

            if (quiet)
            {
                JsonOutput.Write(new JsonObject
                {
                    ["model"] = spec.Name,
                    ["data"] = sets.Name,
                    ["parameters"] = net.ParameterCount(),
                    ["epochs"] = history[^1].Epoch,
                    ["best_epoch"] = best is null ? null : best.BestEpoch,
                    ["validation_samples"] = validationLoader?.Dataset.Count,
                    ["accuracy"] = JsonOutput.Number(final.ValidationAccuracy),
                    ["loss"] = JsonOutput.Number(final.ValidationLoss),
                    ["bits_per_char"] = stream ? JsonOutput.Number(final.ValidationLoss / Math.Log(2)) : null,
                    ["samples"] = sets.Test.Count,
                    ["train_accuracy"] = JsonOutput.Number(final.TrainAccuracy),
                    ["train_loss"] = JsonOutput.Number(final.TrainLoss),
                    ["train_seconds"] = JsonOutput.Number(trainSeconds),
                    ["threads"] = Kernels.Threading.Threads,
                    ["out"] = outPath,
                    ["history"] = HistoryJson.ToNode(history, validationLoader is null ? "test" : "val"),
                });
            }
            else
            {
                Console.WriteLine(stream
                    ? string.Create(CultureInfo.InvariantCulture,
                        $"Held-out loss {final.ValidationLoss:F4} nats/char = {final.ValidationLoss / Math.Log(2):F4} bits/char (next-character accuracy {final.ValidationAccuracy:P2}) after {final.Epoch} epochs; trained in {trainSeconds:F1}s.")
                    : string.Create(CultureInfo.InvariantCulture,
                        $"Test accuracy {final.ValidationAccuracy:P2} (loss {final.ValidationLoss:F4}) on {sets.Test.Count:N0} samples after {history[^1].Epoch} epochs; trained in {trainSeconds:F1}s."));
                if (outPath is not null) Console.WriteLine($"Saved model to {outPath}");
            }
            return 0;
        });
        return command;
    }

    private static Optimizer CreateOptimizer(string name, Module net, float lr, float momentum, float? weightDecay) => name switch
    {
        "adam" => new Adam(net.Parameters(), lr, weightDecay: weightDecay ?? 0f),
        "adamw" => new AdamW(net.Parameters(), lr, weightDecay: weightDecay ?? 0.01f),
        "sgd" => new Sgd(net.Parameters(), lr, momentum, weightDecay: weightDecay ?? 0f, nesterov: momentum > 0f),
        "rmsprop" => new RmsProp(net.Parameters(), lr, weightDecay: weightDecay ?? 0f, momentum: momentum),
        _ => throw new UserException($"Unknown optimizer '{name}' (known: adam, adamw, sgd, rmsprop)."),
    };

    private static LrScheduler? CreateScheduler(string name, Optimizer opt, int epochs, int batchesPerEpoch, float lr) => name switch
    {
        "none" => null,
        "step" => new StepLr(opt, Math.Max(1, epochs / 3), 0.1f),
        "cosine" => new CosineAnnealingLr(opt, epochs),
        "onecycle" => new OneCycleLr(opt, lr, Math.Max(2, epochs * batchesPerEpoch)),
        _ => throw new UserException($"Unknown schedule '{name}' (known: none, step, cosine, onecycle)."),
    };

    /// <summary>Fails before training, not after, when an output folder is missing.</summary>
    private static void CheckWritable(string? path, string option)
    {
        if (path is null) return;
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(dir)) throw new UserException($"{option}: folder '{dir}' does not exist.");
    }
}
