using Loom.Inspect;
using Loom.Models;
using Loom.Nn;
using Loom.Tests.Core;
using Xunit;

namespace Loom.Tests.Inspect;

/// <summary>
/// The inspection API against hand computation: layer outputs equal running the layers by hand, a linear model's
/// saliency is its weights, layer gradients equal a manual backward pass, Grad-CAM follows its definition, and a
/// recurrent trace's hidden states are the layer's own outputs with gates in their ranges.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed class InspectorTests
{
    [Fact]
    public void OutputsOfEveryLayerEqualTheLayersRunByHand()
    {
        Rng.ManualSeed(11);
        var model = ModelZoo.Build("lenet").Model;
        var x = Tensor.Normal(0f, 1f, [2, 1, 28, 28], new Rng(1));
        var outputs = Inspector.Outputs(model, x);
        Assert.True(model.Training); // switched back

        model.Eval();
        var h = x;
        foreach (var (layer, i) in model.Layers.Select((l, i) => (l, i)))
        {
            h = layer.Forward(h);
            Assert.Equal(h.Data, outputs[i.ToString(System.Globalization.CultureInfo.InvariantCulture)].Data);
        }
        Assert.Equal(h.Data, outputs.Output.Data);
        Assert.Equal(outputs.Output.Data, outputs[""].Data);
        Assert.Contains("'7'", Assert.Throws<KeyNotFoundException>(() => outputs["99"]).Message);
    }

    [Fact]
    public void TheSaliencyOfALinearModelIsItsWeights()
    {
        Rng.ManualSeed(12);
        var linear = new Linear(6, 3);
        var model = new Sequential(new Flatten(), linear);
        var x = Tensor.Normal(0f, 1f, [2, 1, 2, 3], new Rng(2));
        var g = Inspector.Gradients(model, x, targetClass: 2);
        for (int n = 0; n < 2; n++)
            for (int j = 0; j < 6; j++)
                Assert.Equal(linear.Weight[2, j], g.Input.Data[n * 6 + j], 6);
        var saliency = g.Saliency();
        Assert.Equal([2, 2, 3], saliency.Shape);
        Assert.Equal(MathF.Abs(linear.Weight[2, 4]), saliency[1, 1, 1], 6);
        Assert.All(model.Parameters(), p => Assert.Null(p.Grad)); // the model is left as it was
    }

    [Fact]
    public void LayerGradientsEqualAManualBackwardPass()
    {
        Rng.ManualSeed(13);
        var first = new Linear(4, 5);
        var second = new Linear(5, 3);
        var model = new Sequential(first, new Relu(), second);
        var x = Tensor.Normal(0f, 1f, [3, 4], new Rng(3));
        var g = Inspector.Gradients(model, x, layers: ["0", "1"]);

        // By hand: d score_c / d z = W2[c] ⊙ relu'(z), with c the predicted class; d score / d relu(z) = W2[c].
        var z = g.Outputs["0"];
        var logits = g.Outputs.Output;
        for (int n = 0; n < 3; n++)
        {
            int c = g.Classes[n];
            Assert.Equal(Enumerable.Range(0, 3).MaxBy(k => logits[n, k]), c);
            for (int j = 0; j < 5; j++)
            {
                Assert.Equal(second.Weight[c, j], g.Outputs["1"].Grad![n, j], 6);
                Assert.Equal(z[n, j] > 0 ? second.Weight[c, j] : 0f, z.Grad![n, j], 6);
            }
        }
    }

    [Fact]
    public void GradCamWeighsEachFeatureMapByItsMeanGradient()
    {
        Rng.ManualSeed(14);
        var model = new Sequential(new Conv2d(1, 4, 3, padding: 1), new Relu(), new Flatten(), new Linear(4 * 5 * 5, 3));
        var x = Tensor.Normal(0f, 1f, [1, 1, 5, 5], new Rng(4));
        int classesWithAMap = 0;
        for (int c = 0; c < 3; c++)
        {
            var cam = Inspector.GradCam(model, x, "1", targetClass: c);
            Assert.Equal([1, 5, 5], cam.Shape);
            var g = Inspector.Gradients(model, x, targetClass: c, layers: ["1"]);
            var a = g.Outputs["1"];
            var expected = new float[25];
            for (int ch = 0; ch < 4; ch++)
            {
                float w = Enumerable.Range(0, 25).Sum(p => a.Grad!.Data[ch * 25 + p]) / 25f;
                for (int p = 0; p < 25; p++) expected[p] += w * a.Data[ch * 25 + p];
            }
            float max = expected.Max(v => Math.Max(0f, v));
            for (int p = 0; p < 25; p++) Assert.Equal(max > 0 ? Math.Max(0f, expected[p]) / max : 0f, cam.Data[p], 5);
            if (max > 0) { Assert.Equal(1f, cam.Data.Max(), 5); classesWithAMap++; }
        }
        Assert.True(classesWithAMap > 0);
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("rnn")]
    public void ATraceHoldsTheLayersOwnHiddenStatesAndGatesInTheirRanges(string cell)
    {
        Rng.ManualSeed(15);
        RecurrentLayer layer = cell switch
        {
            "lstm" => new Lstm(3, 4, numLayers: 2, batchFirst: true, bidirectional: true),
            "gru" => new Gru(3, 4, batchFirst: true, bidirectional: true),
            _ => new Rnn(3, 4, batchFirst: true),
        };
        var x = Tensor.Normal(0f, 1f, [2, 6, 3], new Rng(5));
        int[] lengths = [6, 4];
        var trace = Inspector.Trace(layer, x, lengths);
        var y = layer.Forward(x, lengths); // (N, T, D·H): the last layer's directions side by side
        int D = layer.NumDirections, last = layer.NumLayers - 1;
        for (int d = 0; d < D; d++)
        {
            var dir = trace.Of(last, d == 1);
            for (int n = 0; n < 2; n++)
                for (int t = 0; t < 6; t++)
                    for (int k = 0; k < 4; k++)
                        Assert.Equal(y[n, t, d * 4 + k], dir.Hidden[(n * 6 + t) * 4 + k], 5);
        }
        var first = trace.Of(0);
        foreach (var gate in trace.GateNames)
        {
            bool squashed = gate is "i" or "f" or "o" or "r" or "z";
            bool signed = gate is "g" or "n" || cell == "rnn";
            float v = trace.Gate(first, gate, 0, 2, 1);
            if (squashed) Assert.InRange(v, 0f, 1f);
            if (signed) Assert.InRange(v, -1f, 1f);
        }
        Assert.Equal(0f, trace.Gate(first, trace.GateNames[0], 1, 5, 0)); // past sequence 1's length
        if (cell == "lstm") Assert.Equal(2 * 6 * 4, first.Cells.Length);
    }
}
