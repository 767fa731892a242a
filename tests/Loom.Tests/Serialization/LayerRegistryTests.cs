using System.Text.Json.Nodes;
using Loom.Nn;
using Xunit;

namespace Loom.Tests.Serialization;

/// <summary>
/// The layer registry: every type a spec can name is built from its layer object and written back to the same
/// object (defaults left out), the known-type list comes from the table, and modules a spec cannot state are refused.
/// </summary>
public class LayerRegistryTests
{
    /// <summary>One layer object per registered type, each with some non-default arguments.</summary>
    private static readonly string[] Examples =
    [
        """{"type": "Linear", "in_features": 4, "out_features": 3, "bias": false}""",
        """{"type": "Conv1d", "in_channels": 4, "out_channels": 6, "kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2, "groups": 2}""",
        """{"type": "Conv1d", "in_channels": 4, "out_channels": 6, "kernel_size": 3, "dilation": 2, "causal": true}""",
        """{"type": "Conv2d", "in_channels": 2, "out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1, "bias": false}""",
        """{"type": "MaxPool1d", "kernel_size": 3, "stride": 1, "padding": 1}""",
        """{"type": "AvgPool1d", "kernel_size": 2, "count_include_pad": false}""",
        """{"type": "AdaptiveAvgPool1d", "output_size": 2}""",
        """{"type": "AdaptiveMaxPool1d", "output_size": 1}""",
        """{"type": "MaxPool2d", "kernel_size": 2, "dilation": 2}""",
        """{"type": "AvgPool2d", "kernel_size": 3, "stride": 2, "padding": 1}""",
        """{"type": "AdaptiveAvgPool2d", "output_size": 1}""",
        """{"type": "Flatten", "start_dim": 2, "end_dim": 3}""",
        """{"type": "ReLU"}""",
        """{"type": "LeakyReLU", "negative_slope": 0.2}""",
        """{"type": "Tanh"}""",
        """{"type": "Sigmoid"}""",
        """{"type": "GELU"}""",
        """{"type": "Softmax", "dim": 1}""",
        """{"type": "LogSoftmax"}""",
        """{"type": "Dropout", "p": 0.3}""",
        """{"type": "BatchNorm1d", "num_features": 8, "eps": 0.001, "affine": false}""",
        """{"type": "BatchNorm2d", "num_features": 8, "momentum": 0.2}""",
        """{"type": "Embedding", "num_embeddings": 10, "embedding_dim": 4, "padding_idx": 0}""",
        """{"type": "LSTM", "input_size": 4, "hidden_size": 5, "num_layers": 2, "dropout": 0.25, "bidirectional": true, "return_sequences": false}""",
        """{"type": "GRU", "input_size": 4, "hidden_size": 5, "bias": false, "stateful": true}""",
        """{"type": "RNN", "input_size": 4, "hidden_size": 5, "nonlinearity": "relu"}""",
        """{"type": "SequencePool", "mode": "mean"}""",
        """{"type": "Pad1d", "left": 2, "value": 1.5}""",
        """{"type": "Transpose", "dim0": 1, "dim1": 2}""",
        """{"type": "Unsqueeze", "dim": 1}""",
        """{"type": "Conv2d", "in_channels": 1, "out_channels": 4, "kernel_size": [5, 3], "stride": [2, 1], "padding": [2, 1]}""",
        """{"type": "Permute", "dims": [0, 3, 1, 2]}""",
        """{"type": "Concat", "dim": 2, "branches": [[{"type": "ReLU"}], [{"type": "Tanh"}, {"type": "Dropout"}]]}""",
        """{"type": "Residual", "layers": [{"type": "Linear", "in_features": 4, "out_features": 4}, {"type": "ReLU"}]}""",
    ];

    public static TheoryData<string> Layers() => new(Examples);

    [Theory, MemberData(nameof(Layers))]
    public void EveryLayerTypeIsWrittenBackAsItWasRead(string json)
    {
        var layer = (JsonObject)JsonNode.Parse(json)!;
        var module = LayerRegistry.Create(layer, 0, "test");
        var written = LayerRegistry.Describe(module);
        Assert.True(JsonNode.DeepEquals(layer, written), $"{json} came back as {written.ToJsonString()}");
        Assert.Equal(module.ToString(), LayerRegistry.Create(written, 0, "test").ToString());
    }

    [Fact]
    public void EveryKnownTypeIsCovered()
    {
        var covered = Examples.Select(json => (string)JsonNode.Parse(json)!["type"]!).ToHashSet();
        Assert.Equal(LayerRegistry.Known.Order(), covered.Order());
    }

    [Fact]
    public void DefaultsAreLeftOut()
    {
        Assert.Equal("""{"type":"Conv2d","in_channels":1,"out_channels":32,"kernel_size":3,"padding":1}""",
            LayerRegistry.Describe(new Conv2d(1, 32, 3, padding: 1)).ToJsonString());
        Assert.Equal("""{"type":"LSTM","input_size":64,"hidden_size":256,"stateful":true}""",
            LayerRegistry.Describe(new Lstm(64, 256, batchFirst: true) { Stateful = true }).ToJsonString());
        Assert.Equal("""{"type":"MaxPool2d","kernel_size":2}""", LayerRegistry.Describe(new MaxPool2d(2)).ToJsonString());
    }

    [Fact]
    public void TypeNamesAreReadWhateverTheirCase()
    {
        Assert.IsType<Relu>(LayerRegistry.Create(new JsonObject { ["type"] = "relu" }, 0, "test"));
        Assert.IsType<Lstm>(LayerRegistry.Create(new JsonObject { ["type"] = "Lstm", ["input_size"] = 2, ["hidden_size"] = 3 }, 0, "test"));
    }

    [Fact]
    public void RectangularConv2dSizesAreWrittenAsPairsAndReadBack()
    {
        var conv = new Conv2d(1, 2, (5, 3), (2, 1), (2, 0), (1, 1), bias: false);
        var layer = LayerRegistry.Describe(conv);
        Assert.Equal("[5,3]", layer["kernel_size"]!.ToJsonString());
        Assert.Equal("[2,1]", layer["stride"]!.ToJsonString());
        Assert.Equal("[2,0]", layer["padding"]!.ToJsonString());
        Assert.False(layer.ContainsKey("dilation"));
        var back = Assert.IsType<Conv2d>(LayerRegistry.Create(layer, 0, "test"));
        Assert.Equal(((5, 3), (2, 1), (2, 0)), (back.KernelSize, back.Stride, back.Padding));
        Assert.Contains("pair", Assert.Throws<InvalidDataException>(() =>
            LayerRegistry.Create(new JsonObject { ["type"] = "Conv2d", ["in_channels"] = 1, ["out_channels"] = 2, ["kernel_size"] = new JsonArray(1, 2, 3) }, 0, "test")).Message);
    }

    [Fact]
    public void ModulesASpecCannotStateAreRefusedByName()
    {
        Assert.Contains("batch-first", Assert.Throws<ArgumentException>(() => LayerRegistry.Describe(new Gru(4, 5))).Message);
        Assert.Contains("Sequential is not a registered layer type", Assert.Throws<ArgumentException>(() => LayerRegistry.Describe(new Sequential())).Message);
    }
}
