using System.Text.Json.Nodes;
using Loom.Models;
using Loom.Nn;
using Loom.Serialization;
using Xunit;

namespace Loom.Tests.Serialization;

/// <summary>
/// The JSON model spec: Parse/ToJson round trip of every field, the zoo's lenet and fashion-cnn built
/// from their specs (and from their JSON), and an <see cref="InvalidDataException"/> that names the
/// layer and the key for each kind of mistake.
/// </summary>
public class ModelSpecTests
{
    private const string Full = """
        {
          "name": "tiny",
          "input_shape": [3, 8, 6],
          "classes": 4,
          "normalize": {"mean": [0.5, 0.25, 0.125], "std": [0.2, 0.3, 0.4]},
          "augment": {"random_crop_padding": 2, "horizontal_flip": true},
          "class_names": ["cat", "dog", "ünï", "quote\"d"],
          "layers": [
            {"type": "Conv2d", "in_channels": 3, "out_channels": 5, "kernel_size": 3, "padding": 1, "bias": false},
            {"type": "BatchNorm2d", "num_features": 5, "momentum": 0.2},
            {"type": "LeakyReLU", "negative_slope": 0.05},
            {"type": "MaxPool2d", "kernel_size": 2},
            {"type": "Dropout", "p": 0.25},
            {"type": "Flatten"},
            {"type": "Linear", "in_features": 60, "out_features": 4}
          ]
        }
        """;

    [Fact]
    public void ParseReadsEveryField()
    {
        var s = ModelSpec.Parse(Full, "test");
        Assert.Equal("tiny", s.Name);
        Assert.Equal([3, 8, 6], s.InputShape);
        Assert.Equal(4, s.Classes);
        Assert.Equal([0.5f, 0.25f, 0.125f], s.NormalizeMean!);
        Assert.Equal([0.2f, 0.3f, 0.4f], s.NormalizeStd!);
        Assert.Equal(2, s.RandomCropPadding);
        Assert.True(s.HorizontalFlip);
        Assert.Equal(["cat", "dog", "ünï", "quote\"d"], s.ClassNames!);
        Assert.Equal(7, s.Layers.Count);
        Assert.Equal("BatchNorm2d", (string?)s.Layers[1]["type"]);
    }

    [Fact]
    public void ToJsonThenParseGivesTheSameSpec()
    {
        var a = ModelSpec.Parse(Full, "test");
        var json = a.ToJson();
        var b = ModelSpec.Parse(json, "round trip");
        Assert.Equal(json, b.ToJson());
        Assert.Equal(a.Name, b.Name);
        Assert.Equal(a.InputShape, b.InputShape);
        Assert.Equal(a.Classes, b.Classes);
        Assert.Equal(a.NormalizeMean, b.NormalizeMean);
        Assert.Equal(a.NormalizeStd, b.NormalizeStd);
        Assert.Equal(a.RandomCropPadding, b.RandomCropPadding);
        Assert.Equal(a.HorizontalFlip, b.HorizontalFlip);
        Assert.Equal(a.ClassNames, b.ClassNames);
        Assert.Equal(a.Layers.Count, b.Layers.Count);
        for (int i = 0; i < a.Layers.Count; i++) Assert.True(JsonNode.DeepEquals(a.Layers[i], b.Layers[i]), $"layer {i} changed in the round trip");
        // The built models agree too: same layers, same parameter shapes.
        Assert.Equal(a.Build().ToString(), b.Build().ToString());
    }

    [Fact]
    public void OptionalFieldsAreOptionalAndStayAbsent()
    {
        var s = ModelSpec.Parse("""{"input_shape": [4], "classes": 2, "layers": [{"type": "Linear", "in_features": 4, "out_features": 2}]}""", "specs/plain.json");
        Assert.Equal("plain", s.Name); // from the source's file name
        Assert.Null(s.NormalizeMean);
        Assert.Null(s.ClassNames);
        Assert.Equal(0, s.RandomCropPadding);
        Assert.False(s.HorizontalFlip);
        var json = s.ToJson();
        Assert.DoesNotContain("normalize", json);
        Assert.DoesNotContain("augment", json);
        Assert.DoesNotContain("class_names", json);
    }

    [Fact]
    public void BuildsTheFullSpecWithPyTorchLayerSettings()
    {
        var m = ModelSpec.Parse(Full, "test").Build();
        Assert.Equal(7, m.Layers.Count);
        var conv = Assert.IsType<Conv2d>(m[0]);
        Assert.Null(conv.Bias);
        Assert.Equal([5, 3, 3, 3], conv.Weight.Shape);
        Assert.Equal(0.2f, Assert.IsType<BatchNorm2d>(m[1]).Momentum);
        Assert.Equal(0.05f, Assert.IsType<LeakyRelu>(m[2]).NegativeSlope);
        Assert.Equal(0.25f, Assert.IsType<Dropout>(m[4]).P);
        Assert.Equal([4, 60], Assert.IsType<Linear>(m[6]).Weight.Shape);
        var y = m.Forward(Tensor.Zeros(2, 3, 8, 6));
        Assert.Equal([2, 4], y.Shape);
    }

    [Theory]
    [InlineData("lenet", 10, 421_642)]
    [InlineData("fashion-cnn", 22, 871_082)]
    public void ZooModelsBuildFromTheirSpecAndTheirJson(string name, int layers, long parameters)
    {
        var (spec, direct) = ModelZoo.Build(name);
        var viaJson = ModelSpec.Parse(spec.ToJson(), name).Build();
        foreach (var m in new[] { direct, viaJson })
        {
            Assert.Equal(layers, m.Layers.Count);
            Assert.Equal(parameters, m.ParameterCount());
            m.Eval();
            Assert.Equal([3, 10], m.Forward(Tensor.Zeros(3, 1, 28, 28)).Shape);
        }
        Assert.Equal(direct.StateDict().Select(e => (e.Name, ShapeUtil.Format(e.Value.Shape))), viaJson.StateDict().Select(e => (e.Name, ShapeUtil.Format(e.Value.Shape))));
        Assert.Equal(spec.RandomCropPadding, ModelSpec.Parse(spec.ToJson(), name).RandomCropPadding);
    }

    [Fact]
    public void UnknownZooModelListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelZoo.Build("resnet"));
        Assert.Contains("'resnet'", e.Message);
        Assert.Contains("lenet, fashion-cnn", e.Message);
    }

    private static string Spec(string layers, string head = "\"input_shape\": [1, 6, 6], \"classes\": 3") =>
        "{\"name\": \"bad\", " + head + ", \"layers\": [" + layers + "]}";

    private const string FitsTail = "{\"type\": \"Flatten\"}, {\"type\": \"Linear\", \"in_features\": 36, \"out_features\": 3}";

    public static TheoryData<string, string, string[]> BuildErrors() => new()
    {
        { "unknown layer type", Spec("{\"type\": \"Conv3d\"}, " + FitsTail), ["layer 0", "unknown type 'Conv3d'", "Conv2d", "BatchNorm2d"] },
        { "misspelt argument", Spec("{\"type\": \"Flatten\"}, {\"type\": \"Linear\", \"in_features\": 36, \"out_feature\": 3}"), ["layer 1 (Linear)", "needs \"out_features\""] },
        { "unknown extra argument", Spec("{\"type\": \"Flatten\"}, {\"type\": \"Linear\", \"in_features\": 36, \"out_features\": 3, \"biass\": true}"), ["layer 1 (Linear)", "unknown argument \"biass\"", "(known: in_features, out_features, bias)"] },
        { "two unknown arguments", Spec("{\"type\": \"ReLU\", \"inplace\": true, \"x\": 1}, " + FitsTail), ["layer 0 (ReLU)", "unknown arguments \"inplace\", \"x\"", "(it takes none)"] },
        { "argument of the wrong type", Spec("{\"type\": \"Conv2d\", \"in_channels\": 1, \"out_channels\": 1, \"kernel_size\": \"3\", \"padding\": 1}, " + FitsTail), ["layer 0 (Conv2d)", "\"kernel_size\" must be a whole number, got \"3\""] },
        { "fractional argument", Spec("{\"type\": \"Conv2d\", \"in_channels\": 1, \"out_channels\": 1, \"kernel_size\": 2.5}, " + FitsTail), ["layer 0 (Conv2d)", "\"kernel_size\" must be a whole number, got 2.5"] },
        { "boolean of the wrong type", Spec("{\"type\": \"Flatten\"}, {\"type\": \"Linear\", \"in_features\": 36, \"out_features\": 3, \"bias\": 1}"), ["layer 1 (Linear)", "\"bias\" must be true or false"] },
        { "type not a string", Spec("{\"type\": 5}, " + FitsTail), ["layer 0", "\"type\""] },
        { "invalid layer setting", Spec("{\"type\": \"Conv2d\", \"in_channels\": 1, \"out_channels\": 0, \"kernel_size\": 3}, " + FitsTail), ["layer 0 (Conv2d)"] },
        { "dropout probability out of range", Spec("{\"type\": \"Dropout\", \"p\": 1.5}, " + FitsTail), ["layer 0 (Dropout)"] },
        { "layer without a type", Spec("{\"in_features\": 36}, " + FitsTail), ["layer 0 has no \"type\""] },
        { "wrong number of classes", Spec("{\"type\": \"Flatten\"}, {\"type\": \"Linear\", \"in_features\": 36, \"out_features\": 5}"), ["'bad'", "ends with output (N, 5) but must give (N, 3)"] },
        { "output not flat", Spec("{\"type\": \"ReLU\"}"), ["'bad'", "ends with output (N, 1, 6, 6)"] },
        { "no layers at all", Spec(""), ["ends with output (N, 1, 6, 6)"] },
        { "linear does not fit", Spec("{\"type\": \"Flatten\"}, {\"type\": \"Linear\", \"in_features\": 40, \"out_features\": 3}"),
            ["does not fit together for input (N, 1, 6, 6)", "Linear(in_features=40, out_features=3, bias=True) (layer '1')", "expected input (…, 40), got (1, 36)"] },
        { "conv channels do not fit", Spec("{\"type\": \"Conv2d\", \"in_channels\": 3, \"out_channels\": 1, \"kernel_size\": 3, \"padding\": 1}, " + FitsTail),
            ["does not fit together", "(layer '0')", "expected input (N, 3, H, W), got (1, 1, 6, 6)"] },
        { "input too small for the kernel", Spec("{\"type\": \"MaxPool2d\", \"kernel_size\": 2}, {\"type\": \"Conv2d\", \"in_channels\": 1, \"out_channels\": 1, \"kernel_size\": 5}, " + FitsTail),
            ["does not fit together", "(layer '1')", "too small for a 5×5 kernel"] },
    };

    [Theory, MemberData(nameof(BuildErrors))]
    public void BuildErrorsNameTheLayerAndTheProblem(string what, string json, string[] fragments)
    {
        var spec = ModelSpec.Parse(json, "bad.json");
        var e = Assert.Throws<InvalidDataException>(() => spec.Build());
        foreach (var f in fragments)
            Assert.True(e.Message.Contains(f, StringComparison.Ordinal), $"{what}: message '{e.Message}' does not contain '{f}'");
    }

    public static TheoryData<string, string, string[]> ParseErrors() => new()
    {
        { "not JSON", "{\"layers\": [", ["Model spec 'x.json' is not valid JSON"] },
        { "not an object", "[1, 2]", ["must be a JSON object"] },
        { "no layers", "{\"input_shape\": [1, 6, 6], \"classes\": 3}", ["has no \"layers\" array"] },
        { "missing input_shape", "{\"classes\": 3, \"layers\": []}", ["has no \"input_shape\" (e.g. [1, 28, 28])"] },
        { "input_shape not an array", "{\"input_shape\": 28, \"classes\": 3, \"layers\": []}", ["\"input_shape\" must be an array"] },
        { "input_shape not positive", "{\"input_shape\": [1, 0, 6], \"classes\": 3, \"layers\": []}", ["input_shape must list positive sizes"] },
        { "input_shape empty", "{\"input_shape\": [], \"classes\": 3, \"layers\": []}", ["input_shape must list positive sizes"] },
        { "missing classes", "{\"input_shape\": [4], \"layers\": []}", ["has no \"classes\" count"] },
        { "one class", "{\"input_shape\": [4], \"classes\": 1, \"layers\": []}", ["classes must be at least 2, got 1"] },
        { "classes of the wrong type", "{\"input_shape\": [4], \"classes\": \"ten\", \"layers\": []}", ["has a value of the wrong type"] },
        { "class names miscounted", "{\"input_shape\": [4], \"classes\": 3, \"class_names\": [\"a\", \"b\"], \"layers\": []}", ["2 class names for 3 classes"] },
        { "unknown tokenizer", "{\"input_shape\": [4], \"classes\": 3, \"tokenizer\": \"bpe\", \"layers\": []}", ["tokenizer must be \"char\" or \"word\", got \"bpe\""] },
        { "layer not an object", "{\"input_shape\": [4], \"classes\": 3, \"layers\": [{\"type\": \"ReLU\"}, 5]}", ["layer 1 is not a JSON object"] },
    };

    [Theory, MemberData(nameof(ParseErrors))]
    public void ParseErrorsNameTheSourceAndTheProblem(string what, string json, string[] fragments)
    {
        var e = Assert.Throws<InvalidDataException>(() => ModelSpec.Parse(json, "'x.json'"));
        Assert.Contains("'x.json'", e.Message);
        foreach (var f in fragments)
            Assert.True(e.Message.Contains(f, StringComparison.Ordinal), $"{what}: message '{e.Message}' does not contain '{f}'");
    }

    [Fact]
    public void TheTokenizerIsTypedAndKeepsItsJsonName()
    {
        var s = ModelSpec.Parse("""{"input_shape": [4], "classes": 3, "task": "tag", "tokenizer": "word", "layers": []}""", "t");
        Assert.Equal(Loom.Text.TokenizerKind.Word, s.Tokenizer);
        Assert.Equal(Loom.Data.TaskKind.Tag, s.Task);
        Assert.Contains("\"tokenizer\": \"word\"", s.ToJson());
        Assert.Null(ModelSpec.Parse(Full, "test").Tokenizer);
    }

    [Fact]
    public void LoadOfAMissingSpecFileNamesThePath()
    {
        var path = Path.Combine(Path.GetTempPath(), "loom-no-such-dir-" + Guid.NewGuid().ToString("N"), "spec.json");
        var e = Assert.Throws<FileNotFoundException>(() => ModelSpec.Load(path));
        Assert.Contains(path, e.Message);
    }
}
