using Loom.Data;
using Loom.Models;
using Loom.Nn;
using Loom.Serialization;
using Loom.Text;
using Xunit;

namespace Loom.Tests.Compare;

/// <summary>The CNN and hybrid models of the zoo: they build, have the documented sizes, survive a spec round trip, and behave as documented.</summary>
public class CompareZooTests
{
    private static TextModelInputs Inputs(int vocabulary, int classes, int length, TokenizerKind tokenizer = TokenizerKind.Word) =>
        new(tokenizer, [.. Enumerable.Range(0, vocabulary).Select(i => i switch { 0 => "<pad>", 1 => "<unk>", _ => $"t{i}" })],
            [.. Enumerable.Range(0, classes).Select(i => $"c{i}")], length);

    [Theory]
    // name, vocabulary, classes, length, expected parameters (computed from the architecture in the XML docs)
    [InlineData("text-cnn", 1000, 2, 200, 1000 * 64 + 64 * 100 * (3 + 4 + 5) + 300 + 300 * 2 + 2)]
    [InlineData("char-cnn-classifier", 60, 6, 30, 60 * 32 + 32 * 128 * (2 + 3 + 4 + 5) + 512 + 512 * 6 + 6)]
    [InlineData("char-gru-classifier", 60, 6, 30, 60 * 32 + 3 * 128 * (32 + 128 + 2) + 128 * 6 + 6)]
    [InlineData("cnn-tagger", 500, 40, 100, 500 * 100 + 239_184 + 176 * 40 + 40)]
    [InlineData("dilated-cnn-lm", 91, 91, 100, 359_195)]
    public void TextModelsBuildWithTheDocumentedSize(string name, int vocabulary, int classes, int length, long parameters)
    {
        var (spec, model) = ModelZoo.Build(name, Inputs(vocabulary, classes, length, name.StartsWith("char") || name.StartsWith("dilated") ? TokenizerKind.Char : TokenizerKind.Word));
        Assert.Equal(parameters, model.ParameterCount());
        Assert.Contains(name, ModelZoo.TextNames);
        Assert.Equal(spec.Task, ModelZoo.TaskOf(name));
    }

    [Fact]
    public void HybridCnnLstmReadsColumnsOfTheFeatureMap()
    {
        var model = ModelZoo.Build("hybrid-cnn-lstm").Model;
        Assert.Equal(192_106, model.ParameterCount());
        Assert.Contains("hybrid-cnn-lstm", ModelZoo.Names);
        var lstm = Assert.IsType<Lstm>(model.Layers.Single(l => l is Lstm));
        Assert.Equal(224, lstm.InputSize);
        var summary = model.Summary(1, 28, 28);
        Assert.Equal([1, 7, 224], summary.Rows.Single(r => r.Layer.StartsWith("Flatten", StringComparison.Ordinal)).OutputShape);
        Assert.Equal([1, 10], summary.Rows[^1].OutputShape);
    }

    [Fact]
    public void TaskOfNewModels()
    {
        Assert.Equal(TaskKind.Classify, ModelZoo.TaskOf("text-cnn"));
        Assert.Equal(TaskKind.Tag, ModelZoo.TaskOf("cnn-tagger"));
        Assert.Equal(TaskKind.LanguageModel, ModelZoo.TaskOf("dilated-cnn-lm"));
        Assert.Equal(TaskKind.Classify, ModelZoo.TaskOf("char-cnn-classifier"));
    }

    [Fact]
    public void TextCnnSpecRoundTripsWithTheSameStateDictNames()
    {
        var spec = ModelZoo.Build("text-cnn", Inputs(50, 2, 20)).Spec;
        var again = ModelSpec.Parse(spec.ToJson(), "round trip");
        var a = spec.Build().StateDict().Select(p => (p.Name, string.Join(",", p.Value.Shape))).ToList();
        var b = again.Build().StateDict().Select(p => (p.Name, string.Join(",", p.Value.Shape))).ToList();
        Assert.Equal(a, b);
        Assert.Contains(("3.2.0.weight", "100,64,5"), a);   // layer 3 (Concat), branch 2 (width 5), its Conv1d
    }

    [Fact]
    public void DilatedCnnLanguageModelStateDictNames()
    {
        var names = ModelZoo.Build("dilated-cnn-lm", Inputs(30, 30, 40, TokenizerKind.Char)).Model.StateDict().Select(p => p.Name).ToList();
        Assert.Equal(["0.weight", "2.weight", "2.bias", "4.0.weight", "4.0.bias", "5.0.weight", "5.0.bias", "6.0.weight", "6.0.bias",
            "7.0.weight", "7.0.bias", "9.weight", "9.bias"], names);
    }

    [Fact]
    public void TextCnnReadsATextShorterThanItsWidestWindow()
    {
        // Batches are trimmed to their longest text; Kim's padding of w − 1 keeps a one-word mail readable.
        var model = ModelZoo.Build("text-cnn", Inputs(50, 2, 20)).Model;
        model.Eval();
        var y = model.Forward(new Tensor([7f], 1, 1));
        Assert.Equal([1, 2], y.Shape);
    }

    [Fact]
    public void DilatedCnnLanguageModelIsCausal()
    {
        var model = ModelZoo.Build("dilated-cnn-lm", Inputs(30, 30, 40, TokenizerKind.Char)).Model;
        model.Eval();
        var rng = new Rng(7);
        var tokens = Enumerable.Range(0, 40).Select(_ => (float)rng.NextInt(30)).ToArray();
        var changed = (float[])tokens.Clone();
        for (int t = 25; t < 40; t++) changed[t] = (changed[t] + 1) % 30;
        var a = model.Forward(new Tensor(tokens, 1, 40));
        var b = model.Forward(new Tensor(changed, 1, 40));
        // Steps 0..24 saw only unchanged tokens: identical predictions; step 25 sees its own changed input.
        int v = 30;
        Assert.Equal(a.Data.AsSpan(0, 25 * v).ToArray(), b.Data.AsSpan(0, 25 * v).ToArray());
        Assert.NotEqual(a.Data.AsSpan(25 * v, v).ToArray(), b.Data.AsSpan(25 * v, v).ToArray());
    }

    [Fact]
    public void ConcatSpecErrorsNameTheLayerAndBranch()
    {
        static string Error(string layers) => Assert.Throws<InvalidDataException>(() => ModelSpec.Parse(
            $$"""{"name": "m", "input_shape": [4, 10], "classes": 2, "layers": [{{layers}}]}""", "test").Build()).Message;

        Assert.Contains("branches", Error("""{"type": "Concat"}"""));
        var nested = Error("""{"type": "Concat", "branches": [[{"type": "Flatten"}], [{"type": "Conv1d", "in_channels": 4}]]}""");
        Assert.Contains("layer 0 (Concat), branch 1", nested);
        Assert.Contains("out_channels", nested);
        Assert.Contains("padding", Error("""{"type": "Conv1d", "in_channels": 4, "out_channels": 2, "kernel_size": 3, "padding": 1, "causal": true}"""));
        Assert.Contains("dims", Error("""{"type": "Permute", "dims": "0,2,1"}"""));
        Assert.Contains("layer 0 (Residual): layer 1 (Linear)", Error("""{"type": "Residual", "layers": [{"type": "ReLU"}, {"type": "Linear", "in_features": 10}]}"""));
    }

    [Fact]
    public void LayersRejectWrongShapesNamingTheLayer()
    {
        var causal = new CausalConv1d(3, 2, 3);
        Assert.Contains("CausalConv1d(3, 2", Assert.Throws<ArgumentException>(() => causal.Forward(Tensor.Zeros(1, 4, 5))).Message);
        Assert.Contains("Permute", Assert.Throws<ArgumentException>(() => new Permute(0, 2, 1).Forward(Tensor.Zeros(2, 3))).Message);
        Assert.Contains("Concat", Assert.Throws<ArgumentException>(() => Functional.Concat([Tensor.Zeros(2, 3), Tensor.Zeros(3, 3)], 1)).Message);
        Assert.Equal("ConstantPad1d(padding=(2, 0), value=0)", new Pad1d(2, 0).Describe());
    }
}
