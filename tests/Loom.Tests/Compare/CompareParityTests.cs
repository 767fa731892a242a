using Loom.Nn;
using Loom.Serialization;
using Loom.Tests.Parity;
using Xunit;

namespace Loom.Tests.Compare;

/// <summary>
/// The CNN-variant building blocks against PyTorch (Fixtures/parity/compare.safetensors, written by
/// tools/make_fixtures.py, make_compare): left/right padding, causal dilated Conv1d, concatenation, transpose,
/// permute + flatten, and four small models built from specs as the model zoo builds text-cnn, hybrid-cnn-lstm,
/// dilated-cnn-lm and cnn-tagger, residual blocks included (outputs and the gradients of every parameter for a
/// stored upstream gradient).
/// </summary>
public class CompareParityTests
{
    private const string Family = "compare";

    public static TheoryData<string> Cases(string kind)
    {
        var f = ParityFixture.Load(Family);
        var data = new TheoryData<string>();
        foreach (var c in f.Cases.Where(c => f.Meta(c, "kind") == kind)) data.Add(c);
        return data;
    }

    [Theory, MemberData(nameof(Cases), "pad1d")]
    public void Pad1dLayer(string c)
    {
        var f = ParityFixture.Load(Family);
        var x = f.Get(c, "x", requiresGrad: true);
        var y = new Pad1d(f.Int(c, "left"), f.Int(c, "right")).Forward(x);
        y.Backward(f.Get(c, "gy"));
        ParityAssert.Close(f.Get(c, "y"), y, Tolerance.Elementwise, $"{c}: y");
        ParityAssert.Close(f.Get(c, "grad_x"), x.Grad, Tolerance.Elementwise, $"{c}: grad x");
    }

    [Theory, MemberData(nameof(Cases), "causal_conv")]
    public void CausalConv1dLayer(string c)
    {
        var f = ParityFixture.Load(Family);
        var w = f.Get(c, "w");
        bool bias = f.Bool(c, "bias");
        var layer = new CausalConv1d(w.Shape[1], w.Shape[0], w.Shape[2], f.Int(c, "stride"), f.Int(c, "dilation"), bias: bias);
        var state = new Dictionary<string, Tensor> { ["weight"] = w };
        if (bias) state["bias"] = f.Get(c, "b");
        layer.LoadStateDict(state);
        var x = f.Get(c, "x", requiresGrad: true);
        var y = layer.Forward(x);
        y.Backward(f.Get(c, "gy"));
        var tol = Tolerance.Reduction;
        ParityAssert.Close(f.Get(c, "y"), y, tol, $"{c}: y");
        ParityAssert.Close(f.Get(c, "grad_x"), x.Grad, tol, $"{c}: grad x");
        ParityAssert.Close(f.Get(c, "grad_w"), layer.Weight.Grad, tol, $"{c}: grad weight");
        if (bias) ParityAssert.Close(f.Get(c, "grad_b"), layer.Bias!.Grad, tol, $"{c}: grad bias");
        else Assert.Null(layer.Bias);
    }

    [Theory, MemberData(nameof(Cases), "concat")]
    public void ConcatFunctional(string c)
    {
        var f = ParityFixture.Load(Family);
        var xs = Enumerable.Range(0, f.Int(c, "inputs")).Select(i => f.Get(c, $"x{i}", requiresGrad: true)).ToArray();
        var y = Functional.Concat(xs, f.Int(c, "dim"));
        y.Backward(f.Get(c, "gy"));
        ParityAssert.Close(f.Get(c, "y"), y, Tolerance.Elementwise, $"{c}: y");
        for (int i = 0; i < xs.Length; i++) ParityAssert.Close(f.Get(c, $"grad_x{i}"), xs[i].Grad, Tolerance.Elementwise, $"{c}: grad x{i}");
    }

    [Fact]
    public void TransposeLayer()
    {
        const string c = "transpose_ntE";
        var f = ParityFixture.Load(Family);
        var x = f.Get(c, "x", requiresGrad: true);
        var y = new Transpose(f.Int(c, "dim0"), f.Int(c, "dim1")).Forward(x);
        y.Backward(f.Get(c, "gy"));
        ParityAssert.Close(f.Get(c, "y"), y, Tolerance.Elementwise, "transpose: y");
        ParityAssert.Close(f.Get(c, "grad_x"), x.Grad, Tolerance.Elementwise, "transpose: grad x");
    }

    [Fact]
    public void PermuteThenFlattenGivesColumnsAsSteps()
    {
        const string c = "permute_columns";
        var f = ParityFixture.Load(Family);
        var x = f.Get(c, "x", requiresGrad: true);
        var model = new Sequential(new Permute(0, 3, 1, 2), new Flatten(2, 3));
        var y = model.Forward(x);
        Assert.Equal([2, 5, 12], y.Shape);
        y.Backward(f.Get(c, "gy"));
        ParityAssert.Close(f.Get(c, "y"), y, Tolerance.Elementwise, "permute: y");
        ParityAssert.Close(f.Get(c, "grad_x"), x.Grad, Tolerance.Elementwise, "permute: grad x");
    }

    [Fact]
    public void TextCnnModel() => CheckModel("textcnn_small", """
        {"name": "textcnn", "input_shape": [7], "classes": 3, "layers": [
          {"type": "Embedding", "num_embeddings": 11, "embedding_dim": 6, "padding_idx": 0},
          {"type": "Transpose", "dim0": 1, "dim1": 2},
          {"type": "Concat", "dim": 1, "branches": [
            [{"type": "Conv1d", "in_channels": 6, "out_channels": 4, "kernel_size": 2, "padding": 1}, {"type": "ReLU"},
             {"type": "AdaptiveMaxPool1d", "output_size": 1}, {"type": "Flatten"}],
            [{"type": "Conv1d", "in_channels": 6, "out_channels": 4, "kernel_size": 3, "padding": 2}, {"type": "ReLU"},
             {"type": "AdaptiveMaxPool1d", "output_size": 1}, {"type": "Flatten"}]]},
          {"type": "Linear", "in_features": 8, "out_features": 3}]}
        """, inputGrad: false);

    [Fact]
    public void HybridCnnLstmModel() => CheckModel("hybrid_small", """
        {"name": "hybrid", "input_shape": [1, 8, 8], "classes": 4, "layers": [
          {"type": "Conv2d", "in_channels": 1, "out_channels": 3, "kernel_size": 3, "padding": 1}, {"type": "ReLU"},
          {"type": "MaxPool2d", "kernel_size": 2},
          {"type": "Permute", "dims": [0, 3, 1, 2]}, {"type": "Flatten", "start_dim": 2, "end_dim": 3},
          {"type": "LSTM", "input_size": 12, "hidden_size": 5, "return_sequences": false},
          {"type": "Linear", "in_features": 5, "out_features": 4}]}
        """, inputGrad: true);

    [Fact]
    public void DilatedCausalLanguageModel() => CheckModel("dilated_lm_small", """
        {"name": "lm", "task": "language-model", "input_shape": [10], "classes": 9, "layers": [
          {"type": "Embedding", "num_embeddings": 9, "embedding_dim": 4},
          {"type": "Transpose", "dim0": 1, "dim1": 2},
          {"type": "Conv1d", "in_channels": 4, "out_channels": 5, "kernel_size": 3, "causal": true}, {"type": "ReLU"},
          {"type": "Residual", "layers": [
            {"type": "Conv1d", "in_channels": 5, "out_channels": 5, "kernel_size": 3, "dilation": 2, "causal": true}, {"type": "ReLU"}]},
          {"type": "Transpose", "dim0": 1, "dim1": 2},
          {"type": "Linear", "in_features": 5, "out_features": 9}]}
        """, inputGrad: false);

    [Fact]
    public void DilatedResidualTagger() => CheckModel("cnn_tagger_small", """
        {"name": "tagger", "task": "tag", "input_shape": [6], "classes": 4, "layers": [
          {"type": "Embedding", "num_embeddings": 12, "embedding_dim": 5, "padding_idx": 0},
          {"type": "Transpose", "dim0": 1, "dim1": 2},
          {"type": "Conv1d", "in_channels": 5, "out_channels": 6, "kernel_size": 3, "padding": 1}, {"type": "ReLU"},
          {"type": "Residual", "layers": [
            {"type": "Conv1d", "in_channels": 6, "out_channels": 6, "kernel_size": 3, "padding": 2, "dilation": 2}, {"type": "ReLU"}]},
          {"type": "Transpose", "dim0": 1, "dim1": 2},
          {"type": "Linear", "in_features": 6, "out_features": 4}]}
        """, inputGrad: false);

    private static void CheckModel(string c, string specJson, bool inputGrad)
    {
        var f = ParityFixture.Load(Family);
        var model = ModelSpec.Parse(specJson, c).Build();
        // Every parameter and buffer by PyTorch's state-dict name: the names of Concat's branches and of the
        // causal convolutions are pinned by this too.
        model.LoadStateDict(model.StateDict().ToDictionary(p => p.Name, p => f.Get(c, "state." + p.Name)));
        var x = f.Get(c, "x", requiresGrad: inputGrad);
        var y = model.Forward(x);
        y.Backward(f.Get(c, "gy"));
        var tol = Tolerance.Model;
        ParityAssert.Close(f.Get(c, "y"), y, tol, $"{c}: y");
        if (inputGrad) ParityAssert.Close(f.Get(c, "grad_x"), x.Grad, tol, $"{c}: grad x");
        foreach (var (name, p) in model.NamedParameters())
            ParityAssert.Close(f.Get(c, "grad." + name), p.Grad, tol, $"{c}: grad {name}");
    }
}
