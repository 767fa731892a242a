using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Loom.Serialization;
using Xunit;

namespace Loom.Tests.Serialization;

/// <summary>
/// The safetensors reader and writer: an exact round trip (names, order, shapes, values, metadata,
/// integer tensors as I64), the layout of what is written (8-byte header length, header padded with
/// spaces to a multiple of 8, contiguous data offsets), decoding of files laid out as PyTorch writes
/// them (F64, F16, BF16, I64, …), a precise <see cref="InvalidDataException"/> for every kind of
/// malformed file, and atomic saving.
/// </summary>
public sealed class SafetensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("loom-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (string, Tensor)[] Sample() =>
    [
        ("layer.weight", new Tensor([1.5f, -2.25f, 3e-8f, float.MaxValue, -0f, 7f], 2, 3)),
        ("scalar", new Tensor([42.5f], 1)),
        ("rank0", new Tensor([-1f], [])),
        ("empty", new Tensor([], 0, 4)),
        ("bn.num_batches_tracked", new Tensor([16_777_216f, -3f, 0f], 3)),
        ("z.last", new Tensor([float.Epsilon, 1f / 3f], 1, 2)),
    ];

    private static readonly HashSet<string> Integers = ["bn.num_batches_tracked"];

    private static readonly Dictionary<string, string> Meta = new()
    {
        ["format"] = "pt",
        ["note"] = "quotes \" and \\ backslashes, ünïcødé, new\nline",
        ["empty"] = "",
    };

    private static byte[] WriteBytes(IEnumerable<(string, Tensor)> tensors, IReadOnlyDictionary<string, string>? meta = null, ISet<string>? integers = null)
    {
        var ms = new MemoryStream();
        Safetensors.Write(ms, tensors, meta, integers);
        return ms.ToArray();
    }

    [Fact]
    public void RoundTripKeepsNamesOrderShapesValuesAndMetadata()
    {
        var written = Sample();
        var read = Safetensors.Read(WriteBytes(written, Meta, Integers));

        Assert.Equal(written.Select(t => t.Item1), read.Tensors.Select(t => t.Name));
        for (int i = 0; i < written.Length; i++)
        {
            var (name, expected) = written[i];
            var actual = read.Tensors[i].Value;
            Assert.True(expected.Shape.SequenceEqual(actual.Shape), $"{name}: shape {ShapeUtil.Format(actual.Shape)}, expected {ShapeUtil.Format(expected.Shape)}");
            Assert.Equal(expected.Data.Select(BitConverter.SingleToInt32Bits), actual.Data.Select(BitConverter.SingleToInt32Bits));
        }
        Assert.Equal(Meta.OrderBy(kv => kv.Key), read.Metadata.OrderBy(kv => kv.Key));
    }

    [Fact]
    public void LayoutIsPaddedHeaderThenContiguousData()
    {
        var bytes = WriteBytes(Sample(), Meta, Integers);
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, (8 + headerLen) % 8);
        var headerText = Encoding.UTF8.GetString(bytes, 8, (int)headerLen);
        var json = headerText.TrimEnd(' ');
        Assert.EndsWith("}", json);
        Assert.InRange(headerText.Length - json.Length, 0, 7);
        using var header = JsonDocument.Parse(headerText);

        var expected = new (string Name, string Dtype, int[] Shape, long Bytes)[]
        {
            ("layer.weight", "F32", [2, 3], 24), ("scalar", "F32", [1], 4), ("rank0", "F32", [], 4),
            ("empty", "F32", [0, 4], 0), ("bn.num_batches_tracked", "I64", [3], 24), ("z.last", "F32", [1, 2], 8),
        };
        long offset = 0;
        foreach (var (name, dtype, shape, size) in expected)
        {
            var e = header.RootElement.GetProperty(name);
            Assert.Equal(dtype, e.GetProperty("dtype").GetString());
            Assert.Equal(shape, e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
            Assert.Equal([offset, offset + size], e.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()));
            offset += size;
        }
        Assert.Equal(8 + (long)headerLen + offset, bytes.Length);
        Assert.Equal("pt", header.RootElement.GetProperty("__metadata__").GetProperty("format").GetString());

        // The integer tensor is stored as little-endian int64, not as float bits.
        long start = 8 + (long)headerLen + 24 + 4 + 4;
        Assert.Equal(16_777_216L, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan((int)start)));
        Assert.Equal(-3L, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan((int)start + 8)));
        // And a float32 tensor as its raw little-endian bits.
        Assert.Equal(1.5f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(8 + (int)headerLen)));
    }

    [Fact]
    public void NoMetadataWritesNoMetadataEntry()
    {
        var bytes = WriteBytes([("a", Tensor.Ones(2))]);
        var text = Encoding.UTF8.GetString(bytes, 8, (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        Assert.DoesNotContain("__metadata__", text);
        Assert.Empty(Safetensors.Read(bytes).Metadata);
    }

    /// <summary>A file laid out by hand as PyTorch's safetensors writes it: header entries in name order, data in another order.</summary>
    [Fact]
    public void ReadsEveryDtypeOfAFileWrittenElsewhere()
    {
        var data = new List<byte>();
        var entries = new List<string>();
        void Add(string name, string dtype, int[] shape, byte[] raw)
        {
            entries.Add($"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{data.Count},{data.Count + raw.Length}]}}");
            data.AddRange(raw);
        }
        static byte[] Le<T>(T[] values, int width, Action<byte[], int, T> put)
        {
            var b = new byte[values.Length * width];
            for (int i = 0; i < values.Length; i++) put(b, i * width, values[i]);
            return b;
        }
        Add("f64", "F64", [3], Le([0.1, -1e300, 2.5], 8, (b, o, v) => BinaryPrimitives.WriteDoubleLittleEndian(b.AsSpan(o), v)));
        // F16: 1.5 = 0x3E00, -2 = 0xC000, 65504 (largest half) = 0x7BFF, 2^-24 (smallest subnormal) = 0x0001.
        Add("f16", "F16", [2, 2], Le<ushort>([0x3E00, 0xC000, 0x7BFF, 0x0001], 2, (b, o, v) => BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(o), v)));
        // BF16 is the top half of a float32: 0x4049 = 3.140625, 0xC2F7 = -123.5, 0x7F80 = +inf.
        Add("bf16", "BF16", [3], Le<ushort>([0x4049, 0xC2F7, 0x7F80], 2, (b, o, v) => BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(o), v)));
        Add("i64", "I64", [], Le([-7L], 8, (b, o, v) => BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(o), v)));
        Add("i64_big", "I64", [2], Le([1L << 40, long.MinValue], 8, (b, o, v) => BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(o), v)));
        Add("i32", "I32", [2], Le([-5, int.MaxValue], 4, (b, o, v) => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(o), v)));
        Add("u8", "U8", [3], [0, 200, 255]);
        Add("i8", "I8", [2], [0x80, 0x7F]);
        Add("bool", "BOOL", [2], [1, 0]);
        Add("f32", "F32", [1], Le([0.25f], 4, (b, o, v) => BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(o), v)));
        // Header entries sorted by name (as the Rust library writes them), unlike the data order.
        entries.Sort(StringComparer.Ordinal);
        var bytes = Assemble("{\"__metadata__\":{\"format\":\"pt\"}," + string.Join(",", entries) + "}", [.. data]);

        var read = Safetensors.Read(bytes);
        Assert.Equal(["f64", "f16", "bf16", "i64", "i64_big", "i32", "u8", "i8", "bool", "f32"], read.Tensors.Select(t => t.Name));
        var t = read.ToDictionary();
        Assert.Equal([0.1f, -float.PositiveInfinity, 2.5f], t["f64"].Data);
        Assert.Equal([1.5f, -2f, 65504f, MathF.Pow(2, -24)], t["f16"].Data);
        Assert.Equal([2, 2], t["f16"].Shape);
        Assert.Equal([3.140625f, -123.5f, float.PositiveInfinity], t["bf16"].Data);
        Assert.Equal([-7f], t["i64"].Data);
        Assert.Empty(t["i64"].Shape);
        Assert.Equal([1099511627776f, -9.223372e18f], t["i64_big"].Data);
        Assert.Equal([-5f, 2147483648f], t["i32"].Data);
        Assert.Equal([0f, 200f, 255f], t["u8"].Data);
        Assert.Equal([-128f, 127f], t["i8"].Data);
        Assert.Equal([1f, 0f], t["bool"].Data);
        Assert.Equal([0.25f], t["f32"].Data);
        Assert.Equal("pt", read.Metadata["format"]);
    }

    /// <summary>8-byte length, the header padded with spaces to a multiple of 8, then the data.</summary>
    private static byte[] Assemble(string header, byte[] data, ulong? claimedLength = null)
    {
        var h = Encoding.UTF8.GetBytes(header).ToList();
        while (h.Count % 8 != 0) h.Add((byte)' ');
        var bytes = new byte[8 + h.Count + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, claimedLength ?? (ulong)h.Count);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Count);
        return bytes;
    }

    public static TheoryData<string, byte[], string> Malformed()
    {
        static byte[] One(string entry, int dataBytes) => Assemble("{" + entry + "}", new byte[dataBytes]);
        return new TheoryData<string, byte[], string>
        {
            { "empty file", [], "0 bytes, fewer than the 8-byte header length" },
            { "too short", [1, 0, 0], "3 bytes, fewer than the 8-byte header length" },
            { "header length beyond the file", Assemble("{}", [], claimedLength: 1000), "header claims 1000 bytes but the file has 8" },
            { "absurd header length", Assemble("{}", [], claimedLength: ulong.MaxValue), "header claims 18446744073709551615 bytes" },
            { "header not JSON", Assemble("{\"a\": [1, 2", []), "header is not valid JSON" },
            { "header a JSON array", Assemble("[1, 2]", []), "header is not a JSON object" },
            { "offsets past the data", One("\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 4), "tensor 'w' has byte range [0, 8] outside the 4-byte data section" },
            { "offsets reversed", One("\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}", 4), "tensor 'w' has byte range [4, 0]" },
            { "negative offset", One("\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}", 4), "tensor 'w' has byte range [-4, 0]" },
            { "one offset", One("\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4]}", 4), "tensor 'w' has byte range [4]" },
            { "size mismatch", One("\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}", 12), "tensor 'w' of shape (2, 2) and dtype F32 needs 16 bytes, its range holds 12" },
            { "size mismatch for dtype", One("\"w\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]}", 8), "dtype F16 needs 4 bytes, its range holds 8" },
            { "unknown dtype", One("\"w\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}", 8), "tensor 'w' has unsupported dtype 'C64'" },
            { "missing dtype", One("\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}", 4), "tensor 'w' has a malformed header entry" },
            { "missing shape", One("\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}", 4), "tensor 'w' has a malformed header entry" },
            { "fractional dimension", One("\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}", 4), "tensor 'w' has a malformed header entry" },
            { "dtype not a string", One("\"w\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}", 4), "tensor 'w' has a malformed header entry" },
            { "entry not an object", One("\"w\":7", 4), "tensor 'w' has a malformed header entry" },
            { "negative dimension", One("\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}", 0), "tensor 'w'" },
            { "too many elements", One("\"w\":{\"dtype\":\"F32\",\"shape\":[100000,100000],\"data_offsets\":[0,0]}", 0), "tensor 'w'" },
            { "metadata not an object", One("\"__metadata__\":[1]", 0), "metadata" },
            { "duplicate names", One("\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}", 8), "'w' more than once" },
        };
    }

    [Theory, MemberData(nameof(Malformed))]
    public void MalformedInputIsInvalidDataNamingTheProblem(string what, byte[] bytes, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => Safetensors.Read(bytes));
        Assert.True(e.Message.Contains(message, StringComparison.Ordinal), $"{what}: message '{e.Message}' does not contain '{message}'");

        // Through a file, the message also names the file.
        var path = Path.Combine(_dir, "bad.safetensors");
        File.WriteAllBytes(path, bytes);
        var fromFile = Assert.Throws<InvalidDataException>(() => Safetensors.Load(path));
        Assert.Contains(path, fromFile.Message);
        Assert.Contains("is not a valid safetensors file", fromFile.Message);
        Assert.Contains(message, fromFile.Message);
    }

    [Fact]
    public void DuplicateNamesOnWriteAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => WriteBytes([("w", Tensor.Ones(1)), ("b", Tensor.Ones(1)), ("w", Tensor.Ones(2))]));
        Assert.Contains("Duplicate tensor name 'w'", e.Message);
    }

    [Fact]
    public void LoadOfAMissingFileNamesThePath()
    {
        var path = Path.Combine(_dir, "nowhere", "model.safetensors");
        var e = Assert.Throws<FileNotFoundException>(() => Safetensors.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Equal(path, e.FileName);
    }

    [Fact]
    public void SaveThenLoadRoundTripsAndLeavesOnlyTheFile()
    {
        var path = Path.Combine(_dir, "model.safetensors");
        Safetensors.Save(path, Sample(), Meta, Integers);
        Assert.Equal([path], Directory.GetFiles(_dir));
        var loaded = Safetensors.Load(path);
        Assert.Equal(Sample().Select(t => t.Item1), loaded.Tensors.Select(t => t.Name));
        Assert.Equal(Meta["note"], loaded.Metadata["note"]);
        Assert.Equal(WriteBytes(Sample(), Meta, Integers), File.ReadAllBytes(path));

        // Saving over an existing file replaces it (still no temporary file left).
        Safetensors.Save(path, [("only", Tensor.Ones(3))]);
        Assert.Equal([path], Directory.GetFiles(_dir));
        Assert.Equal(["only"], Safetensors.Load(path).Tensors.Select(t => t.Name));
    }

    [Fact]
    public void SaveIntoAMissingFolderFailsAndCreatesNothing()
    {
        var folder = Path.Combine(_dir, "missing");
        var path = Path.Combine(folder, "model.safetensors");
        var e = Assert.Throws<DirectoryNotFoundException>(() => Safetensors.Save(path, Sample()));
        Assert.Contains(path, e.Message);
        Assert.False(Directory.Exists(folder));
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void AFailedSaveLeavesTheOldFileIntactAndNoTemporaryFile()
    {
        var path = Path.Combine(_dir, "model.safetensors");
        Safetensors.Save(path, [("old", Tensor.Full(5f, 2))]);
        var before = File.ReadAllBytes(path);

        Assert.Throws<ArgumentException>(() => Safetensors.Save(path, [("w", Tensor.Ones(1)), ("w", Tensor.Ones(1))]));

        Assert.Equal([path], Directory.GetFiles(_dir));
        Assert.Equal(before, File.ReadAllBytes(path));

        // A failed first save creates no file at all.
        var other = Path.Combine(_dir, "new.safetensors");
        Assert.Throws<ArgumentException>(() => Safetensors.Save(other, [("w", Tensor.Ones(1)), ("w", Tensor.Ones(1))]));
        Assert.False(File.Exists(other));
        Assert.Equal([path], Directory.GetFiles(_dir));
    }
}
