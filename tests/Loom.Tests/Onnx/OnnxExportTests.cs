using Loom.Data;
using Loom.Models;
using Loom.Nn;
using Loom.Recipes;
using Loom.Serialization;
using Loom.Serialization.Onnx;
using Loom.Tests.Core;
using Xunit;
using Xunit.Abstractions;

namespace Loom.Tests.Onnx;

/// <summary>
/// Every built-in model, exported to ONNX, runs in ONNX Runtime and gives Loom's outputs on random inputs within
/// 1e-4 relative (‖loom − ort‖∞ / ‖ort‖∞): images through the folded normalisation, token batches with padded rows of
/// several lengths (so <c>sequence_lens</c>, the masked pooling and bidirectional layers are exercised), and a stateful
/// language model over two chunks with its state fed back.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public class OnnxExportTests(ITestOutputHelper output)
{
    internal const double Tolerance = 1e-4;
    private const int Vocabulary = 40, Steps = 12;

    public static TheoryData<string> Names() => new(ModelZoo.Names);

    [Theory, MemberData(nameof(Names))]
    public void EveryBuiltInModelRunsInOnnxRuntimeWithLoomsOutputs(string name)
    {
        Rng.ManualSeed(7);
        var zoo = ModelZoo.Find(name);
        var (spec, model) = zoo.ReadsText ? ModelZoo.Build(name, TextModels.StandIn(name, Vocabulary, Steps)) : ModelZoo.Build(name);
        RandomiseStatistics(model, new Rng(3));
        model.Eval();
        var bytes = OnnxExport.ToBytes(model, spec);
        var rng = new Rng(11);
        double worst;
        if (!zoo.ReadsText) worst = CompareImages(model, spec, bytes, rng);
        else if (spec.Task == TaskKind.LanguageModel && model.Layers.OfType<RecurrentLayer>().Any(r => r.Stateful)) worst = CompareStateful(model, bytes, rng);
        else worst = CompareTokens(model, bytes, rng, padded: model[0] is Embedding { PaddingIdx: not null });
        output.WriteLine($"{name}: max relative difference {worst:E2}");
        Assert.True(worst <= Tolerance, $"{name}: ONNX Runtime differs from Loom by {worst:E2} (relative), allowed {Tolerance:E0}.");
    }

    private static RecurrentLayer Configure(RecurrentLayer r, bool returnSequences = true, bool stateful = false)
    {
        (r.ReturnSequences, r.Stateful) = (returnSequences, stateful);
        return r;
    }

    /// <summary>Hand-built models with every layer and setting the built-in ones leave out.</summary>
    public static TheoryData<string> Extras() => new(ExtraModels.Keys);

    private static readonly Dictionary<string, Func<(ModelSpec, Sequential)>> ExtraModels = new()
    {
        // 12×12 → conv 10 → dilated grouped conv 10 → avg-pool (no pad counted) 10 → max-pool with padding 6 → adaptive 4 (uneven bins).
        ["image-layers"] = () => (new ModelSpec { Name = "image-layers", InputShape = [2, 12, 12], Classes = 10 }, new Sequential(
            new Conv2d(2, 4, 3), new Conv2d(4, 8, 3, padding: 2, dilation: 2, groups: 2), new BatchNorm2d(8), new LeakyRelu(0.1f),
            new AvgPool2d(3, 1, 1, countIncludePad: false), new MaxPool2d(2, 2, 1), new AdaptiveAvgPool2d(4), new Gelu(), new Flatten(),
            new Linear(128, 10), new Softmax())),
        ["global-pool"] = () => (new ModelSpec { Name = "global-pool", InputShape = [3, 9, 7], Classes = 4, NormalizeMean = [0.1f, 0.2f, 0.3f], NormalizeStd = [0.5f, 0.6f, 0.7f] },
            new Sequential(new Conv2d(3, 6, 3, stride: 2), new Sigmoid(), new AdaptiveAvgPool2d(1), new Flatten(), new Linear(6, 4, bias: false), new LogSoftmax())),
        // Time grows to 16 past the 12 tokens; the 2-layer BiLSTM and the mean pool read only each row's own length.
        ["sequence-layers"] = () => (new ModelSpec { Name = "sequence-layers", InputShape = [Steps], Classes = 3 }, new Sequential(
            new Embedding(Vocabulary, 8, paddingIdx: 0), new Transpose(1, 2), new Pad1d(1, 2, 0.5f), new Loom.Nn.Conv1d(8, 8, 3, padding: 1, groups: 2),
            new BatchNorm1d(8), new Tanh(), new CausalConv1d(8, 8, 2, dilation: 3), new MaxPool1d(2, 1, 1), new AvgPool1d(3, 1, 1, countIncludePad: false),
            new Transpose(-1, -2), new Lstm(8, 6, numLayers: 2, batchFirst: true, bidirectional: true), new SequencePool(SequencePoolMode.Mean), new Linear(12, 3))),
        ["adaptive-1d"] = () => (new ModelSpec { Name = "adaptive-1d", InputShape = [Steps], Classes = 3 }, new Sequential(
            new Embedding(Vocabulary, 8), new Transpose(1, 2),
            new Concat(2, new Sequential(new AdaptiveMaxPool1d(5)), new Sequential(new AdaptiveAvgPool1d(3))), new Flatten(), new Linear(64, 3))),
        ["bigru-2-layers-final"] = () => (new ModelSpec { Name = "bigru-2-layers-final", InputShape = [Steps], Classes = 3 }, new Sequential(
            new Embedding(Vocabulary, 8, paddingIdx: 0), Configure(new Gru(8, 5, numLayers: 2, batchFirst: true, bidirectional: true), returnSequences: false),
            new Linear(10, 3))),
        ["birnn-relu-tagger"] = () => (new ModelSpec { Name = "birnn-relu-tagger", Task = TaskKind.Tag, InputShape = [Steps], Classes = 3 }, new Sequential(
            new Embedding(Vocabulary, 8, paddingIdx: 0), new Rnn(8, 5, numLayers: 2, nonlinearity: RnnNonlinearity.Relu, batchFirst: true, bidirectional: true),
            new Linear(10, 3))),
        ["stateful-gru-2-layers"] = () => (new ModelSpec { Name = "stateful-gru-2-layers", Task = TaskKind.LanguageModel, InputShape = [Steps], Classes = Vocabulary },
            new Sequential(new Embedding(Vocabulary, 8), Configure(new Gru(8, 6, numLayers: 2, batchFirst: true), stateful: true), new Linear(6, Vocabulary))),
    };

    [Theory, MemberData(nameof(Extras))]
    public void EveryLayerAndSettingRunsInOnnxRuntimeWithLoomsOutputs(string name)
    {
        Rng.ManualSeed(5);
        var (spec, model) = ExtraModels[name]();
        spec.Check(model);
        RandomiseStatistics(model, new Rng(3));
        model.Eval();
        var bytes = OnnxExport.ToBytes(model, spec);
        // tools/onnx_check.py runs the reference checker on these when LOOM_ONNX_DUMP names a folder.
        if (Environment.GetEnvironmentVariable("LOOM_ONNX_DUMP") is { Length: > 0 } dump) File.WriteAllBytes(Path.Combine(dump, name + ".onnx"), bytes);
        var rng = new Rng(13);
        double worst = spec.Vocabulary is null && model[0] is not Embedding ? CompareImages(model, spec, bytes, rng)
            : model.Layers.OfType<RecurrentLayer>().Any(r => r.Stateful) ? CompareStateful(model, bytes, rng)
            : CompareTokens(model, bytes, rng, padded: model[0] is Embedding { PaddingIdx: not null });
        output.WriteLine($"{name}: max relative difference {worst:E2}");
        Assert.True(worst <= Tolerance, $"{name}: ONNX Runtime differs from Loom by {worst:E2} (relative), allowed {Tolerance:E0}.");
    }

    /// <summary>Batch-norm statistics away from their initial 0 and 1, so that the inference path is tested for real.</summary>
    internal static void RandomiseStatistics(Module model, Rng rng)
    {
        foreach (var bn in model.NamedModules().Select(m => m.Module).OfType<BatchNorm>())
            for (int i = 0; i < bn.NumFeatures; i++)
            {
                bn.RunningMean.Data[i] = rng.NextFloat() - 0.5f;
                bn.RunningVar.Data[i] = 0.5f + rng.NextFloat();
                if (bn.Weight is not null) bn.Weight.Data[i] = 0.5f + rng.NextFloat();
                if (bn.Bias is not null) bn.Bias.Data[i] = rng.NextFloat() - 0.5f;
            }
    }

    private static double CompareImages(Sequential model, ModelSpec spec, byte[] onnx, Rng rng)
    {
        const int n = 3;
        int[] shape = [n, .. spec.InputShape];
        var raw = new float[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < raw.Length; i++) raw[i] = rng.NextFloat();
        var normalised = (float[])raw.Clone();
        int sample = raw.Length / n;
        if (spec.NormalizeMean is not null)
        {
            var normalize = new Normalize(spec.NormalizeMean, spec.NormalizeStd!);
            for (int i = 0; i < n; i++) normalize.Apply(normalised.AsSpan(i * sample, sample), spec.InputShape, rng);
        }
        var expected = model.Call(new Tensor(normalised, shape));
        var ort = OnnxRuntimeRunner.Run(onnx, new OnnxRuntimeRunner.Input("input", [.. shape.Select(d => (long)d)], Floats: raw))["logits"];
        Assert.Equal(expected.Shape.Select(d => (long)d), ort.Shape);
        return OnnxRuntimeRunner.RelativeError(expected.Data, ort.Values);
    }

    /// <summary>Token rows of lengths T, 7, 1 and T − 3 (padding 0 after) when the model pads, else full rows.</summary>
    internal static (float[] Floats, long[] Ints) Tokens(Rng rng, int n, int t, bool padded)
    {
        int[] lengths = padded ? [t, 7, 1, t - 3] : [.. Enumerable.Repeat(t, n)];
        var ids = new float[n * t];
        for (int i = 0; i < n; i++)
            for (int s = 0; s < lengths[i % lengths.Length]; s++) ids[i * t + s] = 2 + (int)(rng.NextFloat() * (Vocabulary - 2));
        return (ids, [.. ids.Select(v => (long)v)]);
    }

    private static double CompareTokens(Sequential model, byte[] onnx, Rng rng, bool padded)
    {
        const int n = 4;
        var (floats, ints) = Tokens(rng, n, Steps, padded);
        var expected = model.Call(new Tensor(floats, n, Steps));
        var ort = OnnxRuntimeRunner.Run(onnx, new OnnxRuntimeRunner.Input("tokens", [n, Steps], Ints: ints))["logits"];
        Assert.Equal(expected.Shape.Select(d => (long)d), ort.Shape);
        return OnnxRuntimeRunner.RelativeError(expected.Data, ort.Values);
    }

    /// <summary>Two chunks: Loom carries its state; ONNX Runtime gets zeros, then the state it returned.</summary>
    private static double CompareStateful(Sequential model, byte[] onnx, Rng rng)
    {
        const int n = 3;
        var recurrent = model.Layers.OfType<RecurrentLayer>().Single();
        bool lstm = recurrent is Lstm;
        long[] stateShape = [recurrent.NumLayers * recurrent.NumDirections, n, recurrent.HiddenSize];
        var h = new float[stateShape.Aggregate(1L, (a, b) => a * b)];
        var c = new float[h.Length];
        model.ResetStates();
        double worst = 0;
        for (int chunk = 0; chunk < 2; chunk++)
        {
            var (floats, ints) = Tokens(rng, n, Steps, padded: false);
            var expected = model.Call(new Tensor(floats, n, Steps));
            var inputs = new List<OnnxRuntimeRunner.Input> { new("tokens", [n, Steps], Ints: ints), new("h0", stateShape, Floats: h) };
            if (lstm) inputs.Add(new("c0", stateShape, Floats: c));
            var ort = OnnxRuntimeRunner.Run(onnx, [.. inputs]);
            worst = Math.Max(worst, OnnxRuntimeRunner.RelativeError(expected.Data, ort["logits"].Values));
            h = ort["hn"].Values;
            if (lstm) c = ort["cn"].Values;
        }
        model.ResetStates();
        return worst;
    }
}
