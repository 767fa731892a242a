using Loom.IO;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Loom.Serialization;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
/// mapping each tensor name to its dtype, shape and byte range (plus an optional string map under
/// <c>__metadata__</c>), then the raw little-endian data. Loom's tensors are float32; F64, F16, BF16
/// and integer tensors are converted on reading, and tensors listed as integer are written as I64.
/// </summary>
public static class Safetensors
{
    private const long MaxHeaderBytes = 100_000_000;

    /// <summary>The tensors of a file, in file order, and its metadata.</summary>
    public sealed record Contents(IReadOnlyList<(string Name, Tensor Value)> Tensors, IReadOnlyDictionary<string, string> Metadata)
    {
        public Dictionary<string, Tensor> ToDictionary() => Tensors.ToDictionary(t => t.Name, t => t.Value);
    }

    /// <summary>
    /// Writes atomically (<see cref="AtomicFile"/>), so a crash never leaves a half-written file. Names in <paramref name="integerNames"/> are stored as I64.
    /// </summary>
    public static void Save(string path, IEnumerable<(string Name, Tensor Value)> tensors, IReadOnlyDictionary<string, string>? metadata = null,
        ISet<string>? integerNames = null)
    {
        AtomicFile.Write(path, stream => Write(stream, tensors, metadata, integerNames));
    }

    public static void Write(Stream stream, IEnumerable<(string Name, Tensor Value)> tensors, IReadOnlyDictionary<string, string>? metadata = null,
        ISet<string>? integerNames = null)
    {
        var list = tensors.ToList();
        var names = new HashSet<string>();
        using var headerStream = new MemoryStream();
        using (var json = new Utf8JsonWriter(headerStream))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, t) in list)
            {
                if (!names.Add(name)) throw new ArgumentException($"Duplicate tensor name '{name}' in safetensors output.");
                bool integer = integerNames?.Contains(name) ?? false;
                long bytes = (long)t.Size * (integer ? 8 : 4);
                json.WriteStartObject(name);
                json.WriteString("dtype", integer ? "I64" : "F32");
                json.WriteStartArray("shape");
                foreach (int d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        // The format pads the header with spaces to a multiple of 8 bytes so the data is aligned.
        int pad = (int)((8 - headerStream.Length % 8) % 8);
        for (int i = 0; i < pad; i++) headerStream.WriteByte((byte)' ');
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)headerStream.Length);
        stream.Write(len);
        headerStream.Position = 0;
        headerStream.CopyTo(stream);
        foreach (var (name, t) in list)
        {
            if (integerNames?.Contains(name) ?? false)
            {
                var buf = new byte[t.Size * 8];
                for (int i = 0; i < t.Size; i++) BinaryPrimitives.WriteInt64LittleEndian(buf.AsSpan(i * 8), (long)t.Data[i]);
                stream.Write(buf);
            }
            else stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.Data.AsSpan()));
        }
    }

    /// <summary>Reads a file; errors name the file and what is wrong with it.</summary>
    public static Contents Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model file '{path}' does not exist.", path);
        byte[] bytes = File.ReadAllBytes(path);
        try { return Read(bytes); }
        catch (InvalidDataException e) { throw new InvalidDataException($"'{path}' is not a valid safetensors file: {e.Message}", e); }
    }

    public static Contents Read(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 8) throw new InvalidDataException($"it has {bytes.Length} bytes, fewer than the 8-byte header length.");
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLen > MaxHeaderBytes || (long)headerLen > bytes.Length - 8)
            throw new InvalidDataException($"the header claims {headerLen} bytes but the file has {bytes.Length - 8} after the length.");
        var data = bytes[(8 + (int)headerLen)..];
        JsonDocument doc;
        try { doc = JsonDocument.Parse(Encoding.UTF8.GetString(bytes.Slice(8, (int)headerLen)).TrimEnd()); }
        catch (JsonException e) { throw new InvalidDataException($"the header is not valid JSON ({e.Message})."); }
        using var _ = doc;
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException("the header is not a JSON object.");
        var tensors = new List<(string, Tensor, long)>();
        var metadata = new Dictionary<string, string>();
        var names = new HashSet<string>();
        foreach (var prop in doc.RootElement.EnumerateObject())
        {
            // JSON parsers differ on repeated keys (first or last wins); the format forbids them.
            if (!names.Add(prop.Name)) throw new InvalidDataException($"the header lists '{prop.Name}' more than once.");
            if (prop.Name == "__metadata__")
            {
                if (prop.Value.ValueKind != JsonValueKind.Object) throw new InvalidDataException("the __metadata__ entry is not a JSON object.");
                foreach (var m in prop.Value.EnumerateObject())
                    metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
                continue;
            }
            try
            {
                string dtype = prop.Value.GetProperty("dtype").GetString() ?? "";
                var shape = prop.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
                var offsets = prop.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > data.Length)
                    throw new InvalidDataException($"tensor '{prop.Name}' has byte range [{string.Join(", ", offsets)}] outside the {data.Length}-byte data section.");
                int count = ShapeUtil.CheckedSize(shape);
                int width = DtypeWidth(dtype, prop.Name);
                if ((offsets[1] - offsets[0]) != (long)count * width)
                    throw new InvalidDataException($"tensor '{prop.Name}' of shape {ShapeUtil.Format(shape)} and dtype {dtype} needs {(long)count * width} bytes, its range holds {offsets[1] - offsets[0]}.");
                var values = Decode(data.Slice((int)offsets[0], (int)(offsets[1] - offsets[0])), dtype, count);
                tensors.Add((prop.Name, new Tensor(values, shape), offsets[0]));
            }
            // ArgumentException: a negative dimension, or more elements than an array can hold.
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
            {
                throw new InvalidDataException($"tensor '{prop.Name}' has a malformed header entry ({e.Message}).");
            }
        }
        var ordered = tensors.OrderBy(t => t.Item3).Select(t => (t.Item1, t.Item2)).ToList();
        return new Contents(ordered, metadata);
    }

    private static int DtypeWidth(string dtype, string name) => dtype switch
    {
        "F32" or "I32" or "U32" => 4,
        "F64" or "I64" or "U64" => 8,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "I8" or "U8" or "BOOL" => 1,
        _ => throw new InvalidDataException($"tensor '{name}' has unsupported dtype '{dtype}'."),
    };

    private static float[] Decode(ReadOnlySpan<byte> raw, string dtype, int count)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = dtype switch
            {
                "F32" => BinaryPrimitives.ReadSingleLittleEndian(raw[(i * 4)..]),
                "F64" => (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(i * 8)..]),
                "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(raw[(i * 2)..]),
                "BF16" => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw[(i * 2)..]) << 16),
                "I64" => BinaryPrimitives.ReadInt64LittleEndian(raw[(i * 8)..]),
                "U64" => BinaryPrimitives.ReadUInt64LittleEndian(raw[(i * 8)..]),
                "I32" => BinaryPrimitives.ReadInt32LittleEndian(raw[(i * 4)..]),
                "U32" => BinaryPrimitives.ReadUInt32LittleEndian(raw[(i * 4)..]),
                "I16" => BinaryPrimitives.ReadInt16LittleEndian(raw[(i * 2)..]),
                "U16" => BinaryPrimitives.ReadUInt16LittleEndian(raw[(i * 2)..]),
                "I8" => (sbyte)raw[i],
                _ => raw[i],
            };
        }
        return v;
    }
}
