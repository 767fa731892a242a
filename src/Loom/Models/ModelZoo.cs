using System.Text.Json.Nodes;
using Loom.Serialization;

namespace Loom.Models;

/// <summary>The built-in models, each a <see cref="ModelSpec"/>, by name.</summary>
public static class ModelZoo
{
    // Fashion-MNIST training-set pixel statistics (of values scaled to [0, 1]).
    private static readonly float[] FashionMean = [0.2860f];
    private static readonly float[] FashionStd = [0.3530f];

    public static IReadOnlyList<string> Names => ["lenet", "fashion-cnn"];

    /// <summary>The spec of a built-in model; an unknown name lists the known ones.</summary>
    public static ModelSpec Get(string name) => name switch
    {
        "lenet" => LeNet(),
        "fashion-cnn" => FashionCnn(),
        _ => throw new ArgumentException($"Unknown model '{name}'. Built-in models: {string.Join(", ", Names)}; or give a spec .json file or a saved .safetensors model."),
    };

    /// <summary>
    /// Two 3×3 conv + max-pool stages and two fully connected layers:
    /// Conv2d(1,32,3,p=1)-ReLU-MaxPool2-Conv2d(32,64,3,p=1)-ReLU-MaxPool2-Flatten-Linear(3136,128)-ReLU-Linear(128,10).
    /// </summary>
    public static ModelSpec LeNet() => new()
    {
        Name = "lenet",
        InputShape = [1, 28, 28],
        Classes = 10,
        NormalizeMean = FashionMean,
        NormalizeStd = FashionStd,
        Layers =
        [
            Layer("Conv2d", ("in_channels", 1), ("out_channels", 32), ("kernel_size", 3), ("padding", 1)),
            Layer("ReLU"),
            Layer("MaxPool2d", ("kernel_size", 2)),
            Layer("Conv2d", ("in_channels", 32), ("out_channels", 64), ("kernel_size", 3), ("padding", 1)),
            Layer("ReLU"),
            Layer("MaxPool2d", ("kernel_size", 2)),
            Layer("Flatten"),
            Layer("Linear", ("in_features", 3136), ("out_features", 128)),
            Layer("ReLU"),
            Layer("Linear", ("in_features", 128), ("out_features", 10)),
        ],
    };

    /// <summary>
    /// A stronger CNN: two VGG-style blocks of two 3×3 convolutions with batch norm, max-pooling and
    /// dropout, then a batch-normalised hidden layer; trained with random crops and horizontal flips.
    /// </summary>
    public static ModelSpec FashionCnn() => new()
    {
        Name = "fashion-cnn",
        InputShape = [1, 28, 28],
        Classes = 10,
        NormalizeMean = FashionMean,
        NormalizeStd = FashionStd,
        RandomCropPadding = 2,
        HorizontalFlip = true,
        Layers =
        [
            Layer("Conv2d", ("in_channels", 1), ("out_channels", 32), ("kernel_size", 3), ("padding", 1), ("bias", false)),
            Layer("BatchNorm2d", ("num_features", 32)),
            Layer("ReLU"),
            Layer("Conv2d", ("in_channels", 32), ("out_channels", 32), ("kernel_size", 3), ("padding", 1), ("bias", false)),
            Layer("BatchNorm2d", ("num_features", 32)),
            Layer("ReLU"),
            Layer("MaxPool2d", ("kernel_size", 2)),
            Layer("Dropout", ("p", 0.1)),
            Layer("Conv2d", ("in_channels", 32), ("out_channels", 64), ("kernel_size", 3), ("padding", 1), ("bias", false)),
            Layer("BatchNorm2d", ("num_features", 64)),
            Layer("ReLU"),
            Layer("Conv2d", ("in_channels", 64), ("out_channels", 64), ("kernel_size", 3), ("padding", 1), ("bias", false)),
            Layer("BatchNorm2d", ("num_features", 64)),
            Layer("ReLU"),
            Layer("MaxPool2d", ("kernel_size", 2)),
            Layer("Dropout", ("p", 0.2)),
            Layer("Flatten"),
            Layer("Linear", ("in_features", 3136), ("out_features", 256), ("bias", false)),
            Layer("BatchNorm1d", ("num_features", 256)),
            Layer("ReLU"),
            Layer("Dropout", ("p", 0.4)),
            Layer("Linear", ("in_features", 256), ("out_features", 10)),
        ],
    };

    private static JsonObject Layer(string type, params (string Key, JsonNode? Value)[] args)
    {
        var o = new JsonObject { ["type"] = type };
        foreach (var (k, v) in args) o[k] = v;
        return o;
    }
}
