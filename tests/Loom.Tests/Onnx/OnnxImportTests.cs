using Loom.Models;
using Loom.Nn;
using Loom.Recipes;
using Loom.Serialization;
using Loom.Serialization.Onnx;
using Loom.Tests.Cli;
using Loom.Tests.Core;
using Xunit;
using Xunit.Abstractions;

namespace Loom.Tests.Onnx;

/// <summary>
/// ONNX files come back as trainable Loom models: every built-in model through Loom's own export, and the PyTorch
/// reference models (tools/make_onnx_fixtures.py, torch.onnx.export 1.13) matching PyTorch's outputs within 1e-4
/// relative; a truncated file and an unsupported operator each get one clear message.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public class OnnxImportTests(ITestOutputHelper output)
{
    private static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "onnx", name);

    public static TheoryData<string> Names() => new(ModelZoo.Names);

    [Theory, MemberData(nameof(Names))]
    public void LoomsOwnExportComesBackWithTheSameOutputs(string name)
    {
        Rng.ManualSeed(9);
        var (spec, model) = ModelZoo.Find(name).ReadsText ? ModelZoo.Build(name, TextModels.StandIn(name, 40, 12)) : ModelZoo.Build(name);
        OnnxExportTests.RandomiseStatistics(model, new Rng(4));
        model.Eval();
        using var dir = new TempFolder();
        string path = dir.File(name + ".onnx");
        OnnxExport.Save(model, spec, path);
        var loaded = ModelFile.Load(path);
        Assert.Equal(spec.ToJson(), loaded.Spec.ToJson());
        Assert.Equal(model.ParameterCount(), loaded.Model.ParameterCount());
        loaded.Model.Eval();
        var x = spec.Vocabulary is null ? Tensor.Uniform(0, 1, [2, .. spec.InputShape], new Rng(2))
            : new Tensor(OnnxExportTests.Tokens(new Rng(2), 4, 12, padded: true).Floats, 4, 12);
        model.ResetStates();
        var expected = model.Call(x);
        model.ResetStates();
        Assert.Equal(expected.Data, loaded.Model.Call(x).Data);
    }

    [Theory]
    [InlineData("lenet", new[] { "input" }, new[] { "logits" })]
    [InlineData("bilstm-tagger", new[] { "tokens" }, new[] { "logits" })]
    [InlineData("gru-classifier", new[] { "tokens" }, new[] { "logits" })]
    public void PyTorchExportsImportAndMatchPyTorch(string name, string[] inputs, string[] outputs)
    {
        var loaded = ModelFile.Load(FixturePath(name + ".onnx"));
        var reference = Safetensors.Load(FixturePath(name + ".safetensors")).Tensors.ToDictionary(t => t.Name, t => t.Value);
        loaded.Model.Eval();
        Assert.True(loaded.Model.Parameters().All(p => p.RequiresGrad), "imported weights must be trainable parameters");
        var y = loaded.Model.Call(reference[inputs[0]]);
        double error = OnnxRuntimeRunner.RelativeError(y.Data, reference[outputs[0]].Data);
        output.WriteLine($"{name}: max relative difference from PyTorch {error:E2}");
        Assert.Equal(reference[outputs[0]].Shape, y.Shape);
        Assert.True(error <= OnnxExportTests.Tolerance, $"{name}: {error:E2}");
    }

    /// <summary>The char-LSTM's state is an input and an output of the graph: imported, the LSTM is stateful, and its Unroll from PyTorch's state gives PyTorch's logits and final state.</summary>
    [Fact]
    public void APyTorchCharLstmWithItsStateImportsAsAStatefulLanguageModel()
    {
        var loaded = ModelFile.Load(FixturePath("char-lstm.onnx"));
        var r = Safetensors.Load(FixturePath("char-lstm.safetensors")).Tensors.ToDictionary(t => t.Name, t => t.Value);
        Assert.Equal(Loom.Data.TaskKind.LanguageModel, loaded.Spec.Task);
        var layers = loaded.Model.Layers;
        var lstm = Assert.IsType<Lstm>(layers[1]);
        Assert.True(lstm.Stateful);
        var (y, state) = lstm.Unroll(layers[0].Call(r["tokens"]), new LstmState(r["h0"], r["c0"]));
        var logits = layers[2].Call(y);
        double worst = new[] { (logits, "logits"), (state.H, "hn"), (state.C, "cn") }.Max(p => OnnxRuntimeRunner.RelativeError(p.Item1.Data, r[p.Item2].Data));
        output.WriteLine($"char-lstm: max relative difference from PyTorch {worst:E2}");
        Assert.True(worst <= OnnxExportTests.Tolerance, $"char-lstm: {worst:E2}");
    }

    [Fact]
    public void ATruncatedFileIsOneMessageNamingIt()
    {
        using var dir = new TempFolder();
        var bytes = File.ReadAllBytes(FixturePath("lenet.onnx"));
        string path = dir.File("cut.onnx");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.Contains("cut.onnx", e.Message);
        Assert.Contains("truncated", e.Message);
        File.WriteAllBytes(path, [0xFF, 0xFF, 0xFF, 0x07, 0x12]);
        Assert.Contains("cut.onnx", Assert.Throws<InvalidDataException>(() => ModelFile.Load(path)).Message);
    }

    [Fact]
    public void AnUnsupportedOperatorNamesTheNodeTheOperatorAndWhatIsSupported()
    {
        var proto = OnnxModelProto.Parse(File.ReadAllBytes(FixturePath("lenet.onnx")));
        var node = proto.Graph.Nodes.First(n => n.OpType == "Relu");
        node.OpType = "Elu";
        using var dir = new TempFolder();
        string path = dir.File("elu.onnx");
        File.WriteAllBytes(path, proto.ToBytes());
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.Contains(node.Name, e.Message);
        Assert.Contains("(Elu)", e.Message);
        Assert.Contains("Loom reads Conv", e.Message);
        var r = LoomProcess.Run(dir.Path, "summary", "--model", path);
        Assert.Equal(1, r.ExitCode);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    /// <summary>
    /// A recurrent node that runs backwards only, or reads its lengths from the graph, is refused naming the node: Loom's
    /// layers run forward (or both ways) and take each row's length from the embedding's padding index.
    /// </summary>
    [Theory]
    [InlineData("reverse", "direction=reverse is not supported")]
    [InlineData("lengths", "sequence_lens from the graph is not read")]
    public void AReverseOnlyOrGraphLengthRecurrentNodeIsRefusedNamingIt(string change, string expected)
    {
        var proto = OnnxModelProto.Parse(File.ReadAllBytes(FixturePath("gru-classifier.onnx")));
        var node = proto.Graph.Nodes.First(n => n.OpType == "GRU");
        if (change == "reverse")
        {
            node.Attributes.RemoveAll(a => a.Name == "direction");
            node.Attributes.Add(new OnnxAttribute { Name = "direction", Type = OnnxAttributeType.String, S = "reverse" });
        }
        else
        {
            while (node.Inputs.Count < 5) node.Inputs.Add("");
            node.Inputs[4] = proto.Graph.Inputs[0].Name;
        }
        using var dir = new TempFolder();
        string path = dir.File(change + ".onnx");
        File.WriteAllBytes(path, proto.ToBytes());
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.Contains($"node '{node.Name}' (GRU)", e.Message);
        Assert.Contains(expected, e.Message);
    }

    /// <summary>
    /// torch.onnx.export writes a residual block as Add(x, body(x)) and side-by-side branches as a Concat of values that
    /// all start from one input: they come back as Loom's Residual and Concat and give PyTorch's outputs.
    /// </summary>
    [Theory]
    [InlineData("residual-cnn", typeof(Residual))]
    [InlineData("branch-cnn", typeof(Concat))]
    public void PyTorchBranchingGraphsImportAsResidualAndConcat(string name, Type container)
    {
        var loaded = ModelFile.Load(FixturePath(name + ".onnx"));
        var r = Safetensors.Load(FixturePath(name + ".safetensors")).ToDictionary();
        loaded.Model.Eval();
        Assert.Single(loaded.Model.Layers, l => l.GetType() == container);
        var y = loaded.Model.Call(r["input"]);
        double error = OnnxRuntimeRunner.RelativeError(y.Data, r["logits"].Data);
        output.WriteLine($"{name}: {string.Join(" → ", loaded.Model.Layers.Select(l => l.GetType().Name))}; max relative difference from PyTorch {error:E2}");
        Assert.Equal(r["logits"].Shape, y.Shape);
        Assert.True(error <= OnnxExportTests.Tolerance, $"{name}: {error:E2}");
    }

    [Fact]
    public void AnAddOfTwoBranchesWithLayersIsRefusedNamingTheNode()
    {
        var proto = OnnxModelProto.Parse(File.ReadAllBytes(FixturePath("branch-cnn.onnx")));
        var node = proto.Graph.Nodes.First(n => n.OpType == "Concat");
        node.OpType = "Add";
        node.Attributes.Clear();
        using var dir = new TempFolder();
        string path = dir.File("sum.onnx");
        File.WriteAllBytes(path, proto.ToBytes());
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.Contains($"node '{node.Name}' (Add): it adds two branches that each have layers", e.Message);
    }

    [Fact]
    public void SummaryReadsAPyTorchOnnxModel()
    {
        var r = LoomProcess.Run(AppContext.BaseDirectory, "summary", "--model", FixturePath("lenet.onnx"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("Conv2d", r.Stdout);
        Assert.Contains("421,642", r.Stdout.Replace(" ", ""), StringComparison.Ordinal);
    }
}
