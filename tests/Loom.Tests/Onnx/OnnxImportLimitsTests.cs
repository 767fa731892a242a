using Loom.IO;
using Loom.Models;
using Loom.Serialization;
using Loom.Serialization.Onnx;
using Loom.Tests.Cli;
using Loom.Tests.Core;
using Xunit;

namespace Loom.Tests.Onnx;

/// <summary>
/// <see cref="OnnxImport.Load(string, ReaderLimits?)"/> checks what a file claims against the caller's limits before it
/// allocates for it, as <see cref="ModelFile.Load"/> does for safetensors (and passes its limits through for .onnx):
/// each refusal is one <see cref="InvalidDataException"/> naming the file and the limit; the defaults still load every
/// committed ONNX fixture.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public class OnnxImportLimitsTests
{
    private static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "onnx", name);

    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures", "onnx"), "*.onnx").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(f));
        return data;
    }

    [Theory, MemberData(nameof(Fixtures))]
    public void TheDefaultLimitsLoadEveryCommittedFixture(string file)
    {
        var byDefault = OnnxImport.Load(FixturePath(file));
        var explicitly = OnnxImport.Load(FixturePath(file), ReaderLimits.Default);
        var viaModelFile = ModelFile.Load(FixturePath(file), ReaderLimits.Default);
        Assert.Equal(byDefault.Spec.ToJson(), explicitly.Spec.ToJson());
        Assert.Equal(byDefault.Model.ParameterCount(), viaModelFile.Model.ParameterCount());
    }

    [Theory]
    [InlineData("lenet.onnx", nameof(ReaderLimits.MaxTotalParameters))]
    [InlineData("lenet.onnx", nameof(ReaderLimits.MaxElementsPerTensor))]
    [InlineData("lenet.onnx", nameof(ReaderLimits.MaxTensors))]
    [InlineData("lenet.onnx", nameof(ReaderLimits.MaxLayers))]
    [InlineData("bilstm-tagger.onnx", nameof(ReaderLimits.MaxRank))]
    [InlineData("gru-classifier.onnx", nameof(ReaderLimits.MaxInputElements))]
    [InlineData("lenet.onnx", nameof(ReaderLimits.MaxJsonBytes))]
    public void AModelOverALoweredLimitIsRefusedNamingTheLimit(string file, string limit)
    {
        var lowered = limit switch
        {
            nameof(ReaderLimits.MaxTotalParameters) => ReaderLimits.Default with { MaxTotalParameters = 10_000 },
            nameof(ReaderLimits.MaxElementsPerTensor) => ReaderLimits.Default with { MaxElementsPerTensor = 1_000 },
            nameof(ReaderLimits.MaxTensors) => ReaderLimits.Default with { MaxTensors = 3 },
            nameof(ReaderLimits.MaxLayers) => ReaderLimits.Default with { MaxLayers = 4 },
            nameof(ReaderLimits.MaxRank) => ReaderLimits.Default with { MaxRank = 1 },
            nameof(ReaderLimits.MaxInputElements) => ReaderLimits.Default with { MaxInputElements = 4 },
            // The file's size against 8 bytes per parameter plus the JSON allowance.
            _ => ReaderLimits.Default with { MaxTotalParameters = 1_000, MaxJsonBytes = 1_000 },
        };
        var e = Assert.Throws<InvalidDataException>(() => OnnxImport.Load(FixturePath(file), lowered));
        Assert.Contains(file, e.Message);
        Assert.Contains(limit, e.Message);
        Assert.True(ErrorText.IsClean(e.Message), e.Message);
        // ModelFile.Load passes its limits through to the ONNX reader.
        Assert.Contains(limit, Assert.Throws<InvalidDataException>(() => ModelFile.Load(FixturePath(file), lowered)).Message);
    }

    /// <summary>Loom's own export (the spec path): the spec is parsed and built within the caller's limits.</summary>
    [Fact]
    public void ALoomExportOverALoweredParameterLimitIsRefused()
    {
        Rng.ManualSeed(3);
        var (spec, model) = ModelZoo.Build("lenet");
        using var dir = new TempFolder();
        string path = dir.File("lenet-loom.onnx");
        OnnxExport.Save(model, spec, path);
        Assert.Equal(model.ParameterCount(), OnnxImport.Load(path, ReaderLimits.Default).Model.ParameterCount());
        var e = Assert.Throws<InvalidDataException>(() => OnnxImport.Load(path, ReaderLimits.Default with { MaxTotalParameters = 20_000 }));
        Assert.Contains("lenet-loom.onnx", e.Message);
        Assert.Contains(nameof(ReaderLimits.MaxTotalParameters), e.Message);
    }

    /// <summary>
    /// Claims a file cannot back: a shape whose product wraps (65536^4 with no data), a negative dimension, a recurrent
    /// node whose hidden_size disagrees with its weights, one initializer behind a thousand layers. Each is refused
    /// before anything is allocated for it, within a fraction of the memory the claim would need.
    /// </summary>
    [Theory]
    [InlineData("wraps", "elements")]
    [InlineData("negative", "dimension -3")]
    [InlineData("hidden", "hidden_size 1000000000")]
    [InlineData("shared", nameof(ReaderLimits.MaxTotalParameters))]
    public void ClaimsTheFileCannotBackAreRefusedBeforeAllocation(string change, string expected)
    {
        var proto = OnnxModelProto.Parse(File.ReadAllBytes(FixturePath(change is "hidden" ? "gru-classifier.onnx" : "lenet.onnx")));
        var g = proto.Graph;
        switch (change)
        {
            case "wraps":
                g.Initializers[0].Dims = [65536, 65536, 65536, 65536];
                g.Initializers[0].Raw = [];
                break;
            case "negative":
                g.Initializers[0].Dims = [-3, .. g.Initializers[0].Dims.Skip(1)];
                break;
            case "hidden":
                var gru = g.Nodes.First(n => n.OpType == "GRU");
                gru.Attributes.RemoveAll(a => a.Name == "hidden_size");
                gru.Attributes.Add(OnnxAttribute.Int("hidden_size", 1_000_000_000));
                break;
            case "shared":
                // A thousand square Gemm nodes before the narrowest Gemm, all on one initializer: a thousand Linear layers.
                var gemm = g.Nodes.Where(n => n.OpType == "Gemm").MinBy(n => g.Initializers.Single(t => t.Name == n.Inputs[1]).Dims[1])!;
                int at = g.Nodes.IndexOf(gemm);
                var weight = g.Initializers.Single(t => t.Name == gemm.Inputs[1]);
                var square = OnnxTensor.FromFloats("square", new float[weight.Dims[1] * weight.Dims[1]], weight.Dims[1], weight.Dims[1]);
                g.Initializers.Add(square);
                string input = gemm.Inputs[0];
                for (int i = 0; i < 1000; i++)
                {
                    var copy = new OnnxNode { Name = $"copy{i}", OpType = "Gemm" };
                    copy.Inputs.AddRange([input, "square"]);
                    copy.Outputs.Add($"copy{i}_out");
                    copy.Attributes.Add(OnnxAttribute.Int("transB", 1));
                    g.Nodes.Insert(at + i, copy);
                    input = $"copy{i}_out";
                }
                gemm.Inputs[0] = input;
                break;
        }
        using var dir = new TempFolder();
        string path = dir.File(change + ".onnx");
        File.WriteAllBytes(path, proto.ToBytes());
        var limits = ReaderLimits.Default with { MaxTotalParameters = 1 << 20 };
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => OnnxImport.Load(path, limits));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains(change + ".onnx", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.True(allocated < 64L << 20, $"allocated {allocated} bytes for a {new FileInfo(path).Length}-byte file: {e.Message}");
    }
}
