using Loom.Data;
using Loom.Text;
using Loom.Models;
using Loom.Nn;
using Loom.Serialization;
using Loom.Tests.Cli;
using Loom.Tests.Core;
using Xunit;
using Xunit.Abstractions;

namespace Loom.Tests.Onnx;

/// <summary>
/// PyTorch state dicts (tools/make_state_dict_fixtures.py: twins of built-in models, saved in F32, F16, BF16 and F64,
/// with named attributes, an nn.Sequential and an nn.DataParallel wrapper) load into Loom's models and give PyTorch's
/// outputs within 1e-4 relative; each kind of mismatch gets one message naming every tensor, and changes nothing.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public class StateDictImportTests(ITestOutputHelper output)
{
    private static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "state_dict", name);

    private static Dictionary<string, Tensor> Io(string name) => Safetensors.Load(FixturePath(name + ".io.safetensors")).ToDictionary();

    /// <summary>The Loom model a fixture is the twin of; the tagger with the fixture's 40 tokens and 6 tags.</summary>
    private static Sequential Model(string name) => name switch
    {
        "bilstm-tagger" => ModelZoo.Build(name, new TextModelInputs(TokenizerKind.Word,
            ["<pad>", "<unk>", .. Enumerable.Range(2, 38).Select(i => $"w{i}")], [.. Enumerable.Range(0, 6).Select(i => $"T{i}")], 9)).Model,
        _ => ModelZoo.Build(name).Model,
    };

    [Theory]
    [InlineData("lenet", "F32", 4, null)]
    [InlineData("fashion-cnn", "F16", 0, null)]
    [InlineData("bilstm-tagger", "BF16", 3, null)]
    [InlineData("row-gru", "F64", 2, "module.")]
    public void APyTorchStateDictGivesPyTorchsOutputs(string name, string dtype, int renamed, string? prefix)
    {
        Rng.ManualSeed(3);
        var model = Model(name);
        var report = StateDictImport.Load(model, FixturePath(name + ".safetensors"));
        model.Eval();
        var io = Io(name);
        var y = model.Call(io["x"]);
        double error = OnnxRuntimeRunner.RelativeError(y.Data, io["y"].Data);
        output.WriteLine($"{name} ({dtype}): max relative difference from PyTorch {error:E2}; {string.Join(" ", report.Describe())}");
        Assert.Equal(io["y"].Shape, y.Shape);
        Assert.True(error <= OnnxExportTests.Tolerance, $"{name}: {error:E2}");
        Assert.Equal(model.StateDict().Count, report.Matched.Count);
        Assert.Contains(report.Dtypes, d => d.Dtype == dtype);
        Assert.Equal(renamed, report.RenamedModules.Count);
        Assert.Equal(prefix, report.StrippedPrefix);
        Assert.Empty(report.Defaulted);
    }

    [Fact]
    public void TheBatchCountArrivesAsAnIntegerScalarAndMayBeAbsent()
    {
        var contents = Safetensors.Load(FixturePath("fashion-cnn.safetensors"));
        Assert.Equal("I64", contents.Dtypes["1.num_batches_tracked"]);
        Assert.Empty(contents.ToDictionary()["1.num_batches_tracked"].Shape);
        var model = Model("fashion-cnn");
        StateDictImport.Apply(model, contents, "fixture");
        Assert.Equal(937f, model.StateDict().Single(t => t.Name == "1.num_batches_tracked").Value.Data[0]);

        var older = contents with { Tensors = [.. contents.Tensors.Where(t => !t.Name.EndsWith("num_batches_tracked", StringComparison.Ordinal))] };
        var report = StateDictImport.Apply(Model("fashion-cnn"), older, "fixture");
        Assert.Equal(5, report.Defaulted.Count);
    }

    [Fact]
    public void EveryMissingExtraAndMisShapedTensorIsNamedInOneMessageAndNothingIsCopied()
    {
        var contents = Safetensors.Load(FixturePath("fashion-cnn.safetensors"));
        var tensors = contents.Tensors.Where(t => t.Name != "1.running_var")
            .Select(t => t.Name == "21.weight" ? (t.Name, Tensor.Zeros(10, 255)) : t)
            .Append(("23.weight", Tensor.Zeros(3))).Select(t => (Name: t.Item1, Value: t.Item2)).ToList();
        var model = Model("fashion-cnn");
        float before = model.StateDict()[0].Value.Data[0];
        var e = Assert.Throws<InvalidDataException>(() => StateDictImport.Apply(model, contents with { Tensors = tensors }, "'w.safetensors'"));
        output.WriteLine(e.Message);
        Assert.StartsWith("'w.safetensors' does not fit the model (3 tensors)", e.Message);
        Assert.Contains("1 missing: 1.running_var (32)", e.Message);
        Assert.Contains("1 extra: 23.weight (3)", e.Message);
        Assert.Contains("1 mis-shaped: 21.weight: expected (10, 256), found (10, 255)", e.Message);
        Assert.Equal(before, model.StateDict()[0].Value.Data[0]);
        Assert.Equal(3, StateDictImport.Check(model, contents with { Tensors = tensors }).Count);

        var lenient = StateDictImport.Apply(Model("fashion-cnn"), contents with { Tensors = [.. tensors.Where(t => t.Name != "21.weight")] }, "w", strict: false);
        Assert.Equal(["1.running_var", "21.weight"], lenient.Missing);
        Assert.Equal(["23.weight"], lenient.Ignored);
    }

    [Fact]
    public void IntegersFillOnlyIntegerBuffersAndNaNIsRefused()
    {
        using var dir = new TempFolder();
        var lenet = Safetensors.Load(FixturePath("lenet.safetensors")).Tensors;
        string path = dir.File("int.safetensors");
        Safetensors.Save(path, lenet, integerNames: new HashSet<string> { "conv1.bias" });
        var e = Assert.Throws<InvalidDataException>(() => StateDictImport.Load(Model("lenet"), path));
        Assert.Contains(path, e.Message);
        Assert.Contains("1 wrong dtype: 0.bias ← conv1.bias (dtype I64 for a float32 weight", e.Message);

        var nan = lenet.Select(t => t.Name == "fc2.bias" ? (t.Name, new Tensor([1, float.NaN, 0, 0, 0, 0, 0, 0, 0, 0], 10)) : t).ToList();
        Safetensors.Save(path, nan);
        Assert.Contains("1 not finite: 9.bias ← fc2.bias (NaN at element 1)", Assert.Throws<InvalidDataException>(() => StateDictImport.Load(Model("lenet"), path)).Message);
    }

    [Fact]
    public void ModulesOfOneShapeAreNotGuessed()
    {
        var model = new Sequential(new Linear(4, 4), new Relu(), new Linear(4, 4));
        var contents = new Safetensors.Contents(
            [("a.weight", Tensor.Zeros(4, 4)), ("a.bias", Tensor.Zeros(4)), ("b.weight", Tensor.Zeros(4, 4)), ("b.bias", Tensor.Zeros(4))],
            new Dictionary<string, string>());
        var e = Assert.Throws<InvalidDataException>(() => StateDictImport.Apply(model, contents, "f"));
        Assert.Contains("4 missing: 0.weight (4, 4), 0.bias (4), 2.weight (4, 4), 2.bias (4)", e.Message);
        Assert.Contains("a.weight (4, 4) (its module fits the model's 0, 2 alike", e.Message);
    }

    [Fact]
    public void ImportWritesAModelFileThatEvalReads()
    {
        using var dir = new TempFolder();
        string outPath = dir.File("lenet.safetensors");
        var r = LoomProcess.Run(dir.Path, "import", "--weights", FixturePath("lenet.safetensors"), "--model", "lenet", "--out", outPath);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("conv1 → 0", r.Stdout);
        var loaded = ModelFile.Load(outPath);
        var io = Io("lenet");
        Assert.True(OnnxRuntimeRunner.RelativeError(loaded.Model.Call(io["x"]).Data, io["y"].Data) <= OnnxExportTests.Tolerance);
        var eval = LoomProcess.Run(dir.Path, "eval", "--model", outPath, "--data", "fashion-mnist-mini", "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        Assert.Contains("\"accuracy\"", eval.Stdout);
    }

    [Fact]
    public void AMismatchOrATextModelByNameIsOneLineAndExitOne()
    {
        using var dir = new TempFolder();
        var r = LoomProcess.Run(dir.Path, "import", "--weights", FixturePath("lenet.safetensors"), "--model", "fashion-cnn", "--out", dir.File("x.safetensors"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("does not fit the model", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.False(File.Exists(dir.File("x.safetensors")));
        var text = LoomProcess.Run(dir.Path, "import", "--weights", FixturePath("bilstm-tagger.safetensors"), "--model", "bilstm-tagger", "--out", dir.File("x.safetensors"));
        Assert.Equal(1, text.ExitCode);
        Assert.Contains("vocabulary", text.Stderr);
    }
}
