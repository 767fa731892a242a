using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Loom.Cli.Commands;
using Loom.Data;
using Loom.IO;
using Loom.Nn;
using Loom.Serialization;
using Loom.Text;
using Xunit;

namespace Loom.Tests.Hostile;

/// <summary>
/// One regression test per row of issue 17's table of hostile inputs (the minimal reproducers are in
/// Fixtures/fuzz, copied from the fuzzing session that found them). Each failed at 463d3f1: an exception type no
/// caller expects, gigabytes allocated for a tiny file, seconds of quadratic parsing, silently wrong weights, or an
/// unbounded message. Now each is an <see cref="InvalidDataException"/> naming the file and the field or offset,
/// within a small allocation.
/// </summary>
public sealed class HostileInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("loom-hostile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "fuzz", name);

    /// <summary>Runs <paramref name="read"/>, expecting InvalidDataException, and returns it with the bytes it allocated on this thread.</summary>
    private static (InvalidDataException Error, long Allocated) Rejects(Action read)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(read);
        return (e, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static void Clean(string message)
    {
        Assert.True(message.Length <= ErrorText.MaxMessageLength, $"message of {message.Length} characters");
        Assert.DoesNotContain(message, c => char.IsControl(c));
    }

    [Theory]
    [InlineData("spec-vocabulary-null.json", "vocabulary")]
    [InlineData("spec-class-names-null.json", "class_names")]
    [InlineData("spec-normalize-null.json", "normalize")]
    [InlineData("spec-input-shape-null.json", "input_shape")]
    public void SpecWithNullWhereAValueIsNeededNamesTheField(string file, string field)
    {
        var (e, _) = Rejects(() => ModelSpec.Load(Fixture(file)));
        Assert.Contains(file, e.Message);
        Assert.Contains(field, e.Message);
        Clean(e.Message);
    }

    [Theory]
    [InlineData("spec-duplicate-key-top.json", "name")]
    [InlineData("spec-duplicate-key-layer.json", "in_features")]
    public void SpecWithADuplicateKeyNamesTheFileAndTheKey(string file, string key)
    {
        var (e, _) = Rejects(() => ModelSpec.Load(Fixture(file)));
        Assert.Contains(file, e.Message);
        Assert.Contains(key, e.Message);
    }

    /// <summary>At 463d3f1 these allocated 1.7–7.7 GB (or overflowed) while building; now the estimate rejects them first.</summary>
    [Theory]
    [InlineData("spec-linear-30000x30000.json", "MaxTotalParameters")]
    [InlineData("spec-conv2d-size-overflow.json", "MaxTotalParameters")]
    [InlineData("spec-input-30000x30000.json", "MaxInputElements")]
    [InlineData("spec-lenet-input-28x100000.json", "MaxActivationElements")]
    public void SpecAskingForAHugeModelIsRejectedBeforeAllocating(string file, string limit)
    {
        var (e, allocated) = Rejects(() => ModelSpec.Load(Fixture(file)).Build());
        Assert.Contains(limit, e.Message);
        Assert.True(allocated < 16 << 20, $"{allocated} bytes allocated");
        // A caller who means it raises the limit (here only far enough to reach the next check, not to build).
        Assert.NotNull(ModelSpec.Load(Fixture(file), ReaderLimits.Default with { MaxInputElements = long.MaxValue }));
    }

    [Fact]
    public void SpecWithAFloatBeyondFloat32IsRejectedAtLoad()
    {
        // At 463d3f1 it loaded, and ToJson then threw ArgumentException (+Inf has no JSON form).
        var (e, _) = Rejects(() => ModelSpec.Load(Fixture("spec-normalize-mean-1e39.json")));
        Assert.Contains("normalize.mean\"[0]", e.Message);
        Assert.Contains("float32", e.Message);
    }

    /// <summary>The quadratic name check was fixed in Module; this keeps a 50,000-layer spec linear.</summary>
    [Fact]
    public void ManyLayersBuildInLinearTime()
    {
        var layers = string.Join(", ", Enumerable.Repeat("{\"type\": \"ReLU\"}", 50_000));
        var json = $"{{\"name\": \"tiny\", \"input_shape\": [16], \"classes\": 16, \"layers\": [{layers}]}}";
        var clock = Stopwatch.StartNew();
        var model = ModelSpec.Parse(json, "relu-50000").Build();
        Assert.Equal(50_000, model.Layers.Count);
        Assert.True(clock.Elapsed.TotalSeconds < 10, $"{clock.Elapsed.TotalSeconds:F1} s (quadratic took 30 s at 30,000 layers)");
        // And the fixture, under the default limit.
        Assert.Equal(10_001, ModelSpec.Load(Fixture("spec-relu-layers-10000.json")).Build().Layers.Count);
        var fewer = ReaderLimits.Default with { MaxLayers = 1_000 };
        Assert.Contains("MaxLayers", Rejects(() => ModelSpec.Parse(json, "relu-50000").Build(fewer)).Error.Message);
    }

    [Fact]
    public void SafetensorsWithManyTensorsIsRejectedQuicklyAtTheTensorCountLimit()
    {
        // 100,000 zero-size tensors, past the limit of 65,536; at 463d3f1 a million took over 10 s and 2.4 GB.
        var header = new StringBuilder("{");
        for (int i = 0; i < 100_000; i++) header.Append(i == 0 ? "" : ",").Append($"\"t{i}\":{{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}");
        byte[] bytes = Assemble(header.Append('}').ToString(), []);
        var clock = Stopwatch.StartNew();
        var (e, allocated) = Rejects(() => Safetensors.Read(bytes));
        Assert.Contains("MaxTensors", e.Message);
        Assert.True(clock.Elapsed.TotalSeconds < 2, $"{clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(allocated < 16L * bytes.Length, $"{allocated} bytes allocated for a {bytes.Length}-byte file");
    }

    /// <summary>At 463d3f1 the state-dict mismatch listed every name: 8.9 million characters for a million tensors.</summary>
    [Fact]
    public void AModelFileWithThousandsOfStrayTensorsGivesABoundedMessage()
    {
        var spec = ModelSpec.Parse("""{"name": "tiny", "input_shape": [4], "classes": 2, "layers": [{"type": "Linear", "in_features": 4, "out_features": 2}]}""", "tiny");
        var model = spec.Build();
        var tensors = model.StateDict().ToList();
        for (int i = 0; i < 20_000; i++) tensors.Add(($"stray.tensor.with.a.long.name.{i}", Tensor.Zeros(1)));
        string path = Path.Combine(_dir, "stray.safetensors");
        Safetensors.Save(path, tensors, new Dictionary<string, string> { ["loom.spec"] = spec.ToJson(), ["loom.kind"] = "model" });
        var (e, _) = Rejects(() => ModelFile.Load(path));
        Assert.Contains("and 19990 more", e.Message);
        Clean(e.Message);
    }

    [Fact]
    public void CheckpointOptionsWithANonStringValueAreInvalidData()
    {
        string path = SaveCheckpoint(m => m["loom.options"] = """{"optimizer": "sgd", "momentum": 0.9}""");
        var (e, _) = Rejects(() => ModelFile.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("momentum", e.Message);
    }

    [Fact]
    public void GzipIdxClaimingTwoGigabytesIsRejectedWithoutAllocatingThem()
    {
        // 28 bytes of gzip whose header claims 2,147,483,591 items; at 463d3f1 the reader allocated 2 GiB first.
        var (e, allocated) = Rejects(() => Idx.Read(Fixture("idx-gzip-claims-2GB.gz")));
        Assert.Contains("idx-gzip-claims-2GB.gz", e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.True(allocated < 4 << 20, $"{allocated} bytes allocated");
        var (raw, rawAllocated) = Rejects(() => Idx.Read(Fixture("idx-raw-claims-2GB.idx")));
        Assert.Contains("truncated", raw.Message);
        Assert.True(rawAllocated < 1 << 20, $"{rawAllocated} bytes allocated");
    }

    [Fact]
    public void VocabularyWithInvalidUtf8IsInvalidDataNamingTheEntry()
    {
        byte[] bytes = File.ReadAllBytes(Fixture("vocab-invalid-utf8.json"));
        // Through the JSON node API as at 463d3f1 (where it threw InvalidOperationException) and through the file reader.
        var (e, _) = Rejects(() => Vocabulary.FromJson(JsonNode.Parse(bytes), "vocab-invalid-utf8.json"));
        Assert.Contains("vocabulary entry 2", e.Message);
        Assert.Contains("vocab-invalid-utf8.json", Rejects(() => Vocabulary.Load(Fixture("vocab-invalid-utf8.json"))).Error.Message);
    }

    [Fact]
    public void SafetensorsShapeWhoseElementCountWrapsIsRejected()
    {
        // (65536, 65536, 65536, 65536) with no data: the unchecked product wrapped to 0 and the tensor was accepted.
        var (e, _) = Rejects(() => Safetensors.Load(Fixture("st-shape-product-wraps.safetensors")));
        Assert.Contains("tensor 'x'", e.Message);
        Assert.Throws<ArgumentException>(() => ShapeUtil.SizeOf([65536, 65536, 65536, 65536]));
    }

    [Fact]
    public void SafetensorsHeaderLengthOneShortIsRejectedNotReadOneByteOff()
    {
        using var stream = new MemoryStream();
        Safetensors.Write(stream, [("w", Tensor.FromArray([1f, 2f, 3f]))]);
        var bytes = stream.ToArray();
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, length - 1);
        var (e, _) = Rejects(() => Safetensors.Read(bytes));
        Assert.Contains("data section", e.Message);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, length);
        Assert.Equal([1f, 2f, 3f], Safetensors.Read(bytes).Tensors[0].Value.Data);
    }

    [Fact]
    public void BrownBaseTagOfAHugeSuffixChainIsLinear()
    {
        // A 300 KB ".-hl-hl-hl…": at 463d3f1 each cut copied the rest, 30 GB allocated and 4.5 s.
        string tag = "." + string.Concat(Enumerable.Repeat("-hl", 100_000));
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(".", BrownCorpus.BaseTag(tag));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 8L * tag.Length, $"{allocated} bytes allocated for a {tag.Length}-character tag");
        Assert.Equal("--", BrownCorpus.BaseTag("---hl"));
        Assert.Equal(",", BrownCorpus.BaseTag(",-hl"));
    }

    [Fact]
    public void PngTheDecoderCannotSeekIsInvalidDataWithACleanMessage()
    {
        string path = Fixture("png-ioexception-seek.png");
        var e = Assert.Throws<InvalidDataException>(() => PredictCommand.ReadGrayscale(path, File.ReadAllBytes(path), 28, 28, "model 'm'", ReaderLimits.Default));
        Assert.Contains("png-ioexception-seek.png", e.Message);
        Clean(e.Message);
    }

    [Fact]
    public void PngErrorsCarryNoControlCharacters()
    {
        // A PNG signature and a chunk whose type holds NUL bytes: the decoder's message embeds them.
        byte[] bytes = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28, 8, 0, 0, 0, 0, 0, 0, 0, 0];
        var e = Assert.Throws<InvalidDataException>(() => PredictCommand.ReadGrayscale("bad.png", bytes, 28, 28, "model 'm'", ReaderLimits.Default));
        Clean(e.Message);
        Assert.Equal("x\\u0000y", ErrorText.Clean("x\0y"));
        Assert.Equal("a, b … and 3 more", ErrorText.List(["a", "b", "c", "d", "e"], 2));
    }

    /// <summary>8-byte length, the header padded with spaces to a multiple of 8, then the data.</summary>
    internal static byte[] Assemble(string header, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(header).ToList();
        while (h.Count % 8 != 0) h.Add((byte)' ');
        var bytes = new byte[8 + h.Count + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Count);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Count);
        return bytes;
    }

    /// <summary>A valid checkpoint of a tiny model, its metadata edited by <paramref name="edit"/>.</summary>
    internal string SaveCheckpoint(Action<Dictionary<string, string>> edit, Action<List<(string Name, Tensor Value)>>? editTensors = null)
    {
        var spec = ModelSpec.Parse("""{"name": "tiny", "input_shape": [4], "classes": 2, "layers": [{"type": "Linear", "in_features": 4, "out_features": 2}]}""", "tiny");
        var model = spec.Build();
        var meta = new Dictionary<string, string>
        {
            ["format"] = "pt", ["loom.spec"] = spec.ToJson(), ["loom.kind"] = "checkpoint", ["loom.optimizer"] = "sgd",
            ["loom.optimizer.step"] = "10", ["loom.optimizer.lr"] = "0.1", ["loom.epoch"] = "2", ["loom.scheduler.step"] = "2",
            ["loom.rng"] = "1,2,3,4", ["loom.options"] = """{"optimizer": "sgd"}""", ["loom.history"] = "[]",
        };
        edit(meta);
        var tensors = model.StateDict().ToList();
        editTensors?.Invoke(tensors);
        string path = Path.Combine(_dir, $"checkpoint-{Guid.NewGuid():N}.safetensors");
        Safetensors.Save(path, tensors, meta);
        return path;
    }

    // Issue 15's WAV reader under the same contract: a header's sizes are claims checked against the file.
    [Fact]
    public void WavClaimingFourGigabytesOfDataIsTruncatedNotAllocated()
    {
        byte[] file = Loom.Tests.Audio.WavFiles.Riff(Loom.Tests.Audio.WavFiles.Chunk("fmt ", Loom.Tests.Audio.WavFiles.Fmt(1, 1, 16000, 16)),
            Loom.Tests.Audio.WavFiles.Chunk("data", [1, 2, 3, 4], claimedSize: 0xFFFFFFF0));
        var (e, allocated) = Rejects(() => Loom.Audio.WavReader.Read(file, "huge.wav"));
        Assert.Contains("huge.wav is truncated: its 'data' chunk at offset 36 claims 4294967280 bytes but only 4 follow", e.Message);
        Assert.True(allocated < 64 << 10, $"{allocated} bytes allocated");
        Clean(e.Message);
    }

    [Fact]
    public void WavWithControlCharactersInItsMagicGetsACleanMessage()
    {
        byte[] file = [.. "RI\u001b["u8, 0, 0, 0, 0, .. "WA\nE"u8];
        var (e, _) = Rejects(() => Loom.Audio.WavReader.Read(file, "esc\u001b.wav"));
        Assert.Contains("esc\\u001B.wav is not a WAV file: it starts with 'RI\\u001B['", e.Message);
        Clean(e.Message);
    }

    [Fact]
    public void WavWithSixtyFiveThousandChannelsIsRejectedAtItsHeader()
    {
        byte[] file = Loom.Tests.Audio.WavFiles.Riff(Loom.Tests.Audio.WavFiles.Chunk("fmt ", Loom.Tests.Audio.WavFiles.Fmt(1, 65535, 16000, 16, blockAlign: 65534)),
            Loom.Tests.Audio.WavFiles.Chunk("data", new byte[8]));
        var (e, _) = Rejects(() => Loom.Audio.WavReader.Read(file, "many.wav"));
        Assert.Contains("says 65535 channels; expected 1 to 256", e.Message);
    }
}
