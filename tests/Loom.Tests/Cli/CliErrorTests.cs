using Xunit;

namespace Loom.Tests.Cli;

/// <summary>Bad input tried as a new user would: each gets one clear message, a non-zero exit, and no stack trace.</summary>
public sealed class CliErrorTests
{
    internal static void AssertCleanFailure(LoomProcess.Result r, params string[] mentions)
    {
        Assert.NotEqual(0, r.ExitCode);
        foreach (var m in mentions) Assert.Contains(m, r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);   // no stack trace without --verbose
        Assert.DoesNotContain("Unhandled exception", r.Stderr);
    }

    [Fact]
    public void MissingRequiredOption()
    {
        using var dir = new TempFolder();
        AssertCleanFailure(LoomProcess.Run(dir.Path, "eval"), "--model");
        AssertCleanFailure(LoomProcess.Run(dir.Path, "train", "--epochs", "1"), "--model");
    }

    [Fact]
    public void MissingModelFile()
    {
        using var dir = new TempFolder();
        AssertCleanFailure(LoomProcess.Run(dir.Path, "eval", "--model", "nothing-here.safetensors"), "nothing-here.safetensors");
    }

    [Fact]
    public void CorruptModelFile()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("bad.safetensors"), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        AssertCleanFailure(LoomProcess.Run(dir.Path, "eval", "--model", "bad.safetensors"), "bad.safetensors");
    }

    [Fact]
    public void VerboseShowsTheStackTrace()
    {
        using var dir = new TempFolder();
        var r = LoomProcess.Run(dir.Path, "eval", "--model", "nothing-here.safetensors", "--verbose");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("   at ", r.Stderr);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("wrong-magic")]
    [InlineData("not-gzip")]
    public void BadIdxFilesAreNamed(string damage)
    {
        using var dir = new TempFolder();
        // Copy the embedded mini set's files out, then damage the training images.
        var (train, test) = global::Loom.Data.FashionMnist.LoadMini();
        WriteIdx(dir.File("train-images-idx3-ubyte"), 0x803, [train.Count, 28, 28], ToBytes(train.Features.Data));
        WriteIdx(dir.File("train-labels-idx1-ubyte"), 0x801, [train.Count], ToBytes(train.Labels.Data, scale: 1));
        WriteIdx(dir.File("t10k-images-idx3-ubyte"), 0x803, [test.Count, 28, 28], ToBytes(test.Features.Data));
        WriteIdx(dir.File("t10k-labels-idx1-ubyte"), 0x801, [test.Count], ToBytes(test.Labels.Data, scale: 1));
        string images = dir.File("train-images-idx3-ubyte");
        var bytes = File.ReadAllBytes(images);
        switch (damage)
        {
            case "truncated": File.WriteAllBytes(images, bytes[..(bytes.Length / 2)]); break;
            case "wrong-magic": bytes[3] = 0x09; File.WriteAllBytes(images, bytes); break;
            default: File.Delete(images); File.WriteAllBytes(images + ".gz", [0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5]); images += ".gz"; break;
        }
        var r = LoomProcess.Run(dir.Path, "train", "--model", "lenet", "--data", dir.Path, "--epochs", "1", "--out", dir.File("m.safetensors"));
        AssertCleanFailure(r, Path.GetFileName(images));
        Assert.False(File.Exists(dir.File("m.safetensors")));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void ModelSpecWhoseShapesDoNotFitNamesTheLayer()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("bad.json"), """
            { "name": "misfit", "input_shape": [1, 28, 28], "classes": 10,
              "layers": [ { "type": "Conv2d", "in_channels": 1, "out_channels": 4, "kernel_size": 3 },
                          { "type": "Flatten" },
                          { "type": "Linear", "in_features": 3136, "out_features": 10 } ] }
            """);
        var r = LoomProcess.Run(dir.Path, "train", "--model", "bad.json", "--epochs", "1", "--out", dir.File("m.safetensors"));
        AssertCleanFailure(r, "layer '2'", "3136", "2704");
        Assert.False(File.Exists(dir.File("m.safetensors")));
    }

    [Fact]
    public void ModelSpecWithMisspeltArgument()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("typo.json"), """
            { "input_shape": [1, 28, 28], "classes": 10,
              "layers": [ { "type": "Flatten" }, { "type": "Linear", "in_features": 784, "out_feature": 10 } ] }
            """);
        AssertCleanFailure(LoomProcess.Run(dir.Path, "summary", "--model", "typo.json"), "layer 1", "out_features");
    }

    [Fact]
    public void UnknownModelAndDataset()
    {
        using var dir = new TempFolder();
        AssertCleanFailure(LoomProcess.Run(dir.Path, "summary", "--model", "resnet-9000"), "resnet-9000", "lenet");
        AssertCleanFailure(LoomProcess.Run(dir.Path, "train", "--model", "lenet", "--data", "imagenet"), "imagenet");
    }

    [Fact]
    public void BadNumbers()
    {
        using var dir = new TempFolder();
        AssertCleanFailure(LoomProcess.Run(dir.Path, "train", "--model", "lenet", "--epochs", "0"), "--epochs");
        AssertCleanFailure(LoomProcess.Run(dir.Path, "train", "--model", "lenet", "--lr", "-1"), "--lr");
        AssertCleanFailure(LoomProcess.Run(dir.Path, "train", "--model", "lenet", "--epochs", "many"), "many");
        AssertCleanFailure(LoomProcess.Run(dir.Path, "train", "--model", "lenet", "--warmup", "1.5"), "warm-up", "1.5");
        AssertCleanFailure(LoomProcess.Run(dir.Path, "train", "--model", "lenet", "--warmup", "0.1", "--schedule", "step"), "warm-up", "'step'");
    }

    internal static byte[] ToBytes(float[] values, float scale = 255f)
    {
        var b = new byte[values.Length];
        for (int i = 0; i < b.Length; i++) b[i] = (byte)MathF.Round(values[i] * scale);
        return b;
    }

    internal static void WriteIdx(string path, int magic, int[] dims, byte[] data)
    {
        using var f = File.Create(path);
        void Int(int v) { f.WriteByte((byte)(v >> 24)); f.WriteByte((byte)(v >> 16)); f.WriteByte((byte)(v >> 8)); f.WriteByte((byte)v); }
        Int(magic);
        foreach (int d in dims) Int(d);
        f.Write(data);
    }
}
