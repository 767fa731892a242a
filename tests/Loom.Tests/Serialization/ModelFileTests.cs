using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Loom.Nn;
using Loom.Optim;
using Loom.Serialization;
using Xunit;

namespace Loom.Tests.Serialization;

/// <summary>
/// Model files and checkpoints: a saved model reloads to identical outputs (batch-norm running
/// statistics included), the weights are stored under PyTorch state-dict names with
/// <c>num_batches_tracked</c> as I64, a file without a spec or with weights that do not fit gives a
/// clear error, and a checkpoint restores the optimizer state (next step bit for bit), epoch,
/// learning rate, scheduler step, generator state, options and history.
/// </summary>
public sealed class ModelFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("loom-modelfile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    /// <summary>Conv → BatchNorm2d → ReLU → MaxPool → Flatten → Linear → BatchNorm1d → ReLU → Dropout → Linear on (2, 6, 6).</summary>
    private static ModelSpec SmallSpec(int hidden = 8, double dropout = 0.5) => ModelSpec.Parse($$"""
        {"name": "small", "input_shape": [2, 6, 6], "classes": 3, "class_names": ["a", "b", "c"],
         "normalize": {"mean": [0.1, 0.2], "std": [0.5, 0.6]},
         "layers": [
           {"type": "Conv2d", "in_channels": 2, "out_channels": 4, "kernel_size": 3, "padding": 1},
           {"type": "BatchNorm2d", "num_features": 4},
           {"type": "ReLU"},
           {"type": "MaxPool2d", "kernel_size": 2},
           {"type": "Flatten"},
           {"type": "Linear", "in_features": 36, "out_features": {{hidden}}},
           {"type": "BatchNorm1d", "num_features": {{hidden}}},
           {"type": "ReLU"},
           {"type": "Dropout", "p": {{dropout}}},
           {"type": "Linear", "in_features": {{hidden}}, "out_features": 3}
         ]}
        """, "small");

    private static readonly string[] SmallNames =
    [
        "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
        "5.weight", "5.bias", "6.weight", "6.bias", "6.running_mean", "6.running_var", "6.num_batches_tracked",
        "9.weight", "9.bias",
    ];

    /// <summary>A built model whose batch-norm statistics moved away from their initial (0, 1) in three training passes.</summary>
    private static Sequential TrainedSmall(ModelSpec spec, Rng rng)
    {
        var model = spec.Build();
        foreach (var p in model.Parameters()) rng.FillNormal(p.Data, 0f, 0.5f);
        model.Train();
        for (int i = 0; i < 3; i++) model.Forward(Tensor.Normal(1f, 2f, [5, 2, 6, 6], rng));
        return model;
    }

    private static Tensor EvalOutput(Module model, Tensor x)
    {
        model.Eval();
        return model.Forward(x);
    }

    [Fact]
    public void SaveThenLoadGivesIdenticalOutputs()
    {
        var rng = new Rng(11);
        var spec = SmallSpec();
        var model = TrainedSmall(spec, rng);
        var x = Tensor.Normal(0f, 1f, [4, 2, 6, 6], rng);
        var expected = EvalOutput(model, x);

        var path = PathOf("small.safetensors");
        ModelFile.Save(path, model, spec, new Dictionary<string, string> { ["loom.note"] = "trained for a test" });
        var loaded = ModelFile.Load(path);

        var actual = EvalOutput(loaded.Model, x);
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(expected.Data.Select(BitConverter.SingleToInt32Bits), actual.Data.Select(BitConverter.SingleToInt32Bits));
        // The outputs are not those of a fresh model: the weights and statistics did come from the file.
        Assert.NotEqual(expected.Data, EvalOutput(spec.Build(), x).Data);
        Assert.Equal(spec.ToJson(), loaded.Spec.ToJson());
        Assert.Equal(["a", "b", "c"], loaded.Spec.ClassNames!);
        Assert.Equal("trained for a test", loaded.Metadata["loom.note"]);
        Assert.Equal("model", loaded.Metadata["loom.kind"]);
        Assert.Null(loaded.Training);
        Assert.Empty(loaded.OptimizerState);
        foreach (var ((name, a), (_, b)) in model.StateDict().Zip(loaded.Model.StateDict()))
            Assert.True(a.Data.SequenceEqual(b.Data), $"state entry {name} changed in the round trip");
    }

    [Fact]
    public void WeightsAreStoredUnderPyTorchNamesWithBatchCountsAsInt64()
    {
        var spec = SmallSpec();
        var model = TrainedSmall(spec, new Rng(5));
        var path = PathOf("names.safetensors");
        ModelFile.Save(path, model, spec);

        var contents = Safetensors.Load(path);
        Assert.Equal(SmallNames, contents.Tensors.Select(t => t.Name));
        Assert.Equal("pt", contents.Metadata["format"]);
        var t = contents.ToDictionary();
        Assert.Equal([4, 2, 3, 3], t["0.weight"].Shape);
        Assert.Equal([3, 8], t["9.weight"].Shape);
        Assert.Equal([3f], t["1.num_batches_tracked"].Data);
        Assert.Equal([3f], t["6.num_batches_tracked"].Data);

        var bytes = File.ReadAllBytes(path);
        int headerLen = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        using var header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, headerLen));
        foreach (var name in SmallNames)
        {
            string dtype = header.RootElement.GetProperty(name).GetProperty("dtype").GetString()!;
            Assert.Equal(name.EndsWith("num_batches_tracked", StringComparison.Ordinal) ? "I64" : "F32", dtype);
        }
        // A 0-d tensor, as PyTorch's buffer.
        Assert.Equal(0, header.RootElement.GetProperty("1.num_batches_tracked").GetProperty("shape").GetArrayLength());
        var range = header.RootElement.GetProperty("1.num_batches_tracked").GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(8, range[1] - range[0]);
        Assert.Equal(3L, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8 + headerLen + range[0])));
    }

    [Fact]
    public void AFileWrittenWithPyTorchShapesLoads()
    {
        // PyTorch's num_batches_tracked is a 0-d int64 tensor; its weights carry no Loom metadata except the spec.
        var spec = SmallSpec();
        var model = TrainedSmall(spec, new Rng(9));
        var tensors = model.StateDict().Select(e => e.Name.EndsWith("num_batches_tracked", StringComparison.Ordinal)
            ? (e.Name, new Tensor([7f], []))
            : (e.Name, e.Value)).ToList();
        var path = PathOf("from-torch.safetensors");
        Safetensors.Save(path, tensors, new Dictionary<string, string> { ["format"] = "pt", ["loom.spec"] = spec.ToJson() },
            tensors.Where(t => t.Name.EndsWith("num_batches_tracked", StringComparison.Ordinal)).Select(t => t.Name).ToHashSet());

        var loaded = ModelFile.Load(path);
        var bn = Assert.IsType<BatchNorm2d>(loaded.Model[1]);
        Assert.Equal(7f, bn.NumBatchesTracked.Item());
        Assert.Equal(((BatchNorm2d)model[1]).RunningVar.Data, bn.RunningVar.Data);
    }

    [Fact]
    public void WeightsWithoutASpecGiveAClearError()
    {
        var spec = SmallSpec();
        var path = PathOf("weights-only.safetensors");
        Safetensors.Save(path, spec.Build().StateDict(), new Dictionary<string, string> { ["format"] = "pt" });
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("no Loom model spec", e.Message);
        Assert.Contains("LoadStateDict", e.Message);
    }

    [Fact]
    public void WeightsThatDoNotFitTheSpecNameTheFileAndTheEntry()
    {
        var path = PathOf("mismatch.safetensors");
        ModelFile.Save(path, SmallSpec(hidden: 8).Build(), SmallSpec(hidden: 6));
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("'5.weight' has shape (8, 36), the model expects (6, 36)", e.Message);
    }

    [Fact]
    public void MissingAndUnexpectedWeightsAreNamed()
    {
        var spec = SmallSpec();
        var state = spec.Build().StateDict().Where(e => e.Name != "9.bias").Append(("9.extra", Tensor.Ones(1))).ToList();
        var path = PathOf("incomplete.safetensors");
        Safetensors.Save(path, state, new Dictionary<string, string> { ["loom.spec"] = spec.ToJson() });
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("missing 9.bias", e.Message);
        Assert.Contains("unexpected 9.extra", e.Message);
    }

    [Fact]
    public void LoadOfAMissingFileNamesThePath()
    {
        var path = PathOf("absent.safetensors");
        var e = Assert.Throws<FileNotFoundException>(() => ModelFile.Load(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void CheckpointRestoresOptimizerEpochRateSchedulerRngOptionsAndHistory()
    {
        var rng = new Rng(21);
        // No dropout, so that a training step draws nothing from the (shared) default generator.
        var spec = SmallSpec(dropout: 0);
        var model = TrainedSmall(spec, rng);
        var opt = new Adam(model.Parameters(), lr: 0.01f);
        var x = Tensor.Normal(0f, 1f, [6, 2, 6, 6], rng);
        var targets = Tensor.FromArray([0f, 1f, 2f, 2f, 1f, 0f]);
        void TrainStep(Module m, Optimizer o)
        {
            m.Train();
            o.ZeroGrad();
            Functional.CrossEntropy(m.Forward(x), targets).Backward();
            o.Step();
        }
        for (int i = 0; i < 3; i++) TrainStep(model, opt);
        opt.LearningRate = 0.004f;

        var generator = new Rng(1234);
        generator.NextUInt();
        var state = new ModelFile.TrainingState("adam", opt.StepCount, opt.LearningRate, CompletedEpochs: 5, SchedulerStep: 17,
            generator.GetState(), new Dictionary<string, string> { ["batch_size"] = "32", ["schedule"] = "cosine", ["quote"] = "a\"b" },
            HistoryJson: """[{"epoch":1,"loss":0.5}]""");
        var path = PathOf("checkpoint.safetensors");
        ModelFile.SaveCheckpoint(path, model, spec, opt, state);

        var loaded = ModelFile.Load(path);
        var t = Assert.IsType<ModelFile.TrainingState>(loaded.Training);
        Assert.Equal("checkpoint", loaded.Metadata["loom.kind"]);
        Assert.Equal("adam", t.OptimizerKind);
        Assert.Equal(3L, t.OptimizerStep);
        Assert.Equal(0.004f, t.LearningRate);
        Assert.Equal(5, t.CompletedEpochs);
        Assert.Equal(17, t.SchedulerStep);
        Assert.Equal(generator.GetState(), t.RngState);
        Assert.Equal(state.Options.OrderBy(kv => kv.Key), t.Options.OrderBy(kv => kv.Key));
        Assert.Equal(state.HistoryJson, t.HistoryJson);
        // The generator resumes its stream.
        var resumedGenerator = new Rng(0);
        resumedGenerator.SetState(t.RngState);
        Assert.Equal(Enumerable.Range(0, 5).Select(_ => generator.NextUInt()), Enumerable.Range(0, 5).Select(_ => resumedGenerator.NextUInt()));

        // Optimizer state: the saved slots are all there, under the optimizer prefix stripped.
        Assert.Equal(opt.StateTensors().Select(s => s.Name).Order(), loaded.OptimizerState.Select(s => s.Name).Order());
        Assert.DoesNotContain(Safetensors.Load(path).Tensors, e => e.Name.StartsWith("state.", StringComparison.Ordinal));
        Assert.Contains(Safetensors.Load(path).Tensors, e => e.Name == "optimizer.state.exp_avg_sq.0");

        var resumed = new Adam(loaded.Model.Parameters(), lr: 0.01f);
        resumed.LoadState(loaded.OptimizerState, t.OptimizerStep, t.LearningRate);
        Assert.Equal(opt.LearningRate, resumed.LearningRate);

        // One more step on each.
        TrainStep(model, opt);
        TrainStep(loaded.Model, resumed);
        foreach (var ((name, a), (_, b)) in model.StateDict().Zip(loaded.Model.StateDict()))
            Assert.True(a.Data.Select(BitConverter.SingleToInt32Bits).SequenceEqual(b.Data.Select(BitConverter.SingleToInt32Bits)),
                $"{name} differs after one more step from the checkpoint");
    }

    [Fact]
    public void ACheckpointWithIncompleteTrainingStateIsRejected()
    {
        var spec = SmallSpec();
        var path = PathOf("broken-checkpoint.safetensors");
        Safetensors.Save(path, spec.Build().StateDict(), new Dictionary<string, string>
        {
            ["loom.spec"] = spec.ToJson(),
            ["loom.kind"] = "checkpoint",
            ["loom.optimizer"] = "adam",
            ["loom.optimizer.step"] = "twelve",
        });
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("training state is incomplete or malformed", e.Message);
    }

    [Fact]
    public void ACorruptSpecInTheFileIsNamed()
    {
        var path = PathOf("bad-spec.safetensors");
        Safetensors.Save(path, [("0.weight", Tensor.Ones(1))], new Dictionary<string, string> { ["loom.spec"] = "{not json" });
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.Contains($"in '{path}'", e.Message);
        Assert.Contains("not valid JSON", e.Message);
    }
}
