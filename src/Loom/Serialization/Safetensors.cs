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
        /// <summary>
        /// Each tensor's dtype as the file stores it (F32, F16, BF16, I64, …): the values are float32 either way, but an
        /// importer must know whether a weight arrived as an integer (<see cref="StateDictImport"/>).
        /// </summary>
        public IReadOnlyDictionary<string, string> Dtypes { get; init; } = new Dictionary<string, string>();

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
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The content is not a safetensors file within <paramref name="limits"/>.</exception>
    public static Contents Load(string path, ReaderLimits? limits = null)
    {
        // Messages from deeper down quote file content; the entry point lets out only clean, bounded ones (ErrorText.Bounded).
        try { return LoadCore(path, limits); }
        catch (InvalidDataException e) when (!Loom.IO.ErrorText.IsClean(e.Message)) { throw Loom.IO.ErrorText.Bounded(e); }
    }

    private static Contents LoadCore(string path, ReaderLimits? limits)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model file '{path}' does not exist.", path);
        byte[] bytes = File.ReadAllBytes(path);
        try { return Read(bytes, limits); }
        catch (InvalidDataException e) { throw new InvalidDataException($"'{path}' is not a valid safetensors file: {e.Message}", e); }
    }

    /// <summary>
    /// Parses safetensors bytes. Every claim of the header is checked before anything is allocated for it: the
    /// header length against the bytes there, the tensor count, ranks, element counts and their total against
    /// <paramref name="limits"/>, each byte range against the data section, and the ranges together must cover
    /// the data section exactly, without gap or overlap (as the format requires), so a header length that is off
    /// by one — which shifts every tensor by a byte — is an error rather than silently wrong weights.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not such a file; the message says what and where.</exception>
    public static Contents Read(ReadOnlySpan<byte> bytes, ReaderLimits? limits = null)
    {
        // Messages from deeper down quote file content; the entry point lets out only clean, bounded ones (ErrorText.Bounded).
        try { return ReadCore(bytes, limits); }
        catch (InvalidDataException e) when (!Loom.IO.ErrorText.IsClean(e.Message)) { throw Loom.IO.ErrorText.Bounded(e); }
        // The parser checks escapes only when a string is decoded, so a name like "\uDD00" (a lone UTF-16 surrogate)
        // surfaces from deep inside as InvalidOperationException (found by the 30-minute fuzz run).
        catch (InvalidOperationException e) when (e.Source?.StartsWith("System.Text.Json", StringComparison.Ordinal) == true)
        {
            throw new InvalidDataException($"the header holds a string that is not valid text ({ErrorText.Clean(e.Message, 120)}).", e);
        }
    }

    private static Contents ReadCore(ReadOnlySpan<byte> bytes, ReaderLimits? limits)
    {
        limits ??= ReaderLimits.Default;
        if (bytes.Length < 8) throw new InvalidDataException($"it has {bytes.Length} bytes, fewer than the 8-byte header length.");
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLen > (ulong)(bytes.Length - 8))
            throw new InvalidDataException($"the header claims {headerLen} bytes but the file has {bytes.Length - 8} after the length at offset 0.");
        if (headerLen > (ulong)Math.Min(MaxHeaderBytes, limits.MaxJsonBytes))
            throw new InvalidDataException($"the header length at offset 0 is {headerLen} bytes, above the limit of {Math.Min(MaxHeaderBytes, limits.MaxJsonBytes)} (ReaderLimits.MaxJsonBytes).");
        var header = bytes.Slice(8, (int)headerLen);
        var data = bytes[(8 + (int)headerLen)..];
        // Names and strings are decoded only when read, and invalid UTF-8 then surfaces as InvalidOperationException
        // from deep inside the parser; checked once here instead, with the offset.
        if (!System.Text.Unicode.Utf8.IsValid(header))
            throw new InvalidDataException($"the header is not valid UTF-8 (at or after file offset {8 + FirstInvalidUtf8(header)}).");
        JsonDocument doc;
        // Parsed from the bytes, not a decoded string: the parser rejects invalid UTF-8, which decoding would
        // silently replace. Repeated keys are rejected below, naming the key.
        var options = new JsonDocumentOptions { MaxDepth = limits.MaxJsonDepth };
        try { doc = JsonDocument.Parse(header.ToArray(), options); }
        catch (JsonException e) { throw new InvalidDataException($"the header is not valid JSON ({ErrorText.Clean(e.Message)})."); }
        using var _ = doc;
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException("the header is not a JSON object.");
        int entries = 0;
        foreach (var __ in doc.RootElement.EnumerateObject())
            if (++entries > limits.MaxTensors + 1)
                throw new InvalidDataException($"the header lists more than {limits.MaxTensors} tensors (ReaderLimits.MaxTensors).");
        var entriesFound = new List<(string Name, string Dtype, int[] Shape, long Begin, long End, int Count, int Index)>();
        var metadata = new Dictionary<string, string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        long total = 0;
        foreach (var prop in doc.RootElement.EnumerateObject())
        {
            string shown = ErrorText.Clean(prop.Name, 80);
            // JSON parsers differ on repeated keys (first or last wins); the format forbids them.
            if (!names.Add(prop.Name)) throw new InvalidDataException($"the header lists '{shown}' more than once.");
            if (prop.Name == "__metadata__")
            {
                if (prop.Value.ValueKind != JsonValueKind.Object) throw new InvalidDataException("the __metadata__ entry is not a JSON object.");
                foreach (var m in prop.Value.EnumerateObject())
                    metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
                continue;
            }
            if (prop.Value.ValueKind != JsonValueKind.Object) throw Malformed(shown, "not a JSON object");
            var keys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var field in prop.Value.EnumerateObject())
                if (!keys.Add(field.Name)) throw Malformed(shown, $"\"{ErrorText.Clean(field.Name, 40)}\" given twice");
            string dtype = prop.Value.TryGetProperty("dtype", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()!
                : throw Malformed(shown, "no \"dtype\" string");
            int width = DtypeWidth(dtype, shown);
            var shape = Numbers(prop.Value, "shape", shown, limits.MaxRank, static (JsonElement e, out long v) => { bool ok = e.TryGetInt32(out int i); v = i; return ok; }, "32-bit integers");
            var offsets = Numbers(prop.Value, "data_offsets", shown, 16, static (JsonElement e, out long v) => e.TryGetInt64(out v), "64-bit byte offsets");
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > data.Length)
                throw new InvalidDataException($"tensor '{shown}' has byte range [{string.Join(", ", offsets)}] outside the {data.Length}-byte data section; expected [begin, end] within it.");
            var dims = shape.Select(v => (int)v).ToArray();
            long count;
            try { count = ShapeUtil.SizeOf(dims); }
            catch (ArgumentException e) { throw new InvalidDataException($"tensor '{shown}': {e.Message}"); }
            ReaderLimits.Check(count, limits.MaxElementsPerTensor, $"the element count of tensor '{shown}' {ShapeUtil.Format(dims)}", nameof(ReaderLimits.MaxElementsPerTensor), "the header");
            if (offsets[1] - offsets[0] != count * width)
                throw new InvalidDataException($"tensor '{shown}' of shape {ShapeUtil.Format(dims)} and dtype {dtype} needs {count * width} bytes, its range holds {offsets[1] - offsets[0]}.");
            total += count;
            ReaderLimits.Check(total, limits.MaxTotalParameters, "the total element count of the tensors", nameof(ReaderLimits.MaxTotalParameters), "the header");
            entriesFound.Add((prop.Name, dtype, dims, offsets[0], offsets[1], (int)count, entriesFound.Count));
        }
        // The ranges must tile the data section: sorted by start (file order among empty tensors at one offset), each
        // begins where the previous ended.
        entriesFound.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End != b.End ? a.End.CompareTo(b.End) : a.Index.CompareTo(b.Index));
        long expected = 0;
        foreach (var e in entriesFound)
        {
            if (e.Begin != expected)
                throw new InvalidDataException(e.Begin < expected
                    ? $"tensor '{ErrorText.Clean(e.Name, 80)}' starts at data byte {e.Begin}, inside the previous tensor (which ends at {expected})."
                    : $"tensor '{ErrorText.Clean(e.Name, 80)}' starts at data byte {e.Begin}, leaving a gap after byte {expected}.");
            expected = e.End;
        }
        if (expected != data.Length)
            throw new InvalidDataException($"the tensors cover {expected} bytes of the {data.Length}-byte data section (at file offset {8 + (long)headerLen}); the header length or a byte range is wrong.");
        var tensors = new List<(string, Tensor)>(entriesFound.Count);
        foreach (var e in entriesFound)
            tensors.Add((e.Name, new Tensor(Decode(data.Slice((int)e.Begin, (int)(e.End - e.Begin)), e.Dtype, e.Count), e.Shape)));
        return new Contents(tensors, metadata) { Dtypes = entriesFound.ToDictionary(e => e.Name, e => e.Dtype, StringComparer.Ordinal) };
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        int lo = 0, hi = bytes.Length;
        // The longest valid prefix, by bisection (a prefix cut inside a character is invalid too, so this may point up
        // to three bytes early; the message says "at or after").
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (System.Text.Unicode.Utf8.IsValid(bytes[..mid])) lo = mid; else hi = mid - 1;
        }
        return lo;
    }

    private static InvalidDataException Malformed(string tensor, string problem) =>
        new($"tensor '{tensor}' has a malformed header entry ({problem}).");

    private delegate bool NumberReader(JsonElement element, out long value);

    /// <summary>The array <paramref name="key"/> of a tensor entry, at most <paramref name="max"/> numbers, each read by <paramref name="read"/>.</summary>
    private static long[] Numbers(JsonElement entry, string key, string tensor, int max, NumberReader read, string expected)
    {
        if (!entry.TryGetProperty(key, out var array) || array.ValueKind != JsonValueKind.Array)
            throw Malformed(tensor, $"no \"{key}\" array");
        int length = array.GetArrayLength();
        if (length > max) throw Malformed(tensor, $"{length} entries in \"{key}\"; at most {max} are allowed (ReaderLimits.MaxRank for shapes)");
        var values = new long[length];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !read(item, out values[i]))
                throw Malformed(tensor, $"\"{key}\"[{i}] is {ErrorText.Clean(item.GetRawText(), 40)}; expected {expected}");
            i++;
        }
        return values;
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
