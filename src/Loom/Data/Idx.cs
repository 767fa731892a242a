using System.Buffers.Binary;
using System.IO.Compression;
using Loom.IO;

namespace Loom.Data;

/// <summary>
/// Reader for the IDX format of MNIST and Fashion-MNIST: a 4-byte big-endian magic number
/// (0, 0, dtype, number of dimensions), one big-endian u32 per dimension, then the elements
/// row-major. Files may be raw or gzip; gzip is recognised by its magic bytes (1f 8b), not by
/// the file name, because downloads and package managers rename files freely.
/// </summary>
/// <remarks>
/// Only unsigned-byte data (dtype 0x08) is supported, which is what MNIST-style sets use.
/// Every malformed input fails with an <see cref="InvalidDataException"/> whose message starts
/// with the file path (or the display name given for a stream) and says what is wrong.
/// </remarks>
public static class Idx
{
    /// <summary>Magic number of unsigned-byte images with 3 dimensions (N, rows, cols).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic number of unsigned-byte labels with 1 dimension (N).</summary>
    public const int LabelsMagic = 0x00000801;

    private const byte UnsignedByte = 0x08;

    /// <summary>Reads an image file: magic 0x00000803, dims (N, rows, cols).</summary>
    public static IdxArray ReadImages(string path) => Read(path, ImagesMagic);

    /// <summary>Reads a label file: magic 0x00000801, dims (N).</summary>
    public static IdxArray ReadLabels(string path) => Read(path, LabelsMagic);

    /// <summary>
    /// Reads an unsigned-byte IDX file, raw or gzip. With <paramref name="expectedMagic"/> the
    /// magic number must match it exactly (e.g. <see cref="ImagesMagic"/>).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is truncated, has the wrong magic number or an unsupported dtype, or its gzip stream is corrupt.</exception>
    public static IdxArray Read(string path, int? expectedMagic = null, ReaderLimits? limits = null)
    {
        using var file = OpenFile(path);
        return Read(file, path, expectedMagic, limits);
    }

    /// <summary>
    /// Reads an unsigned-byte IDX array from <paramref name="stream"/> (raw or gzip, e.g. an
    /// embedded resource); <paramref name="displayName"/> names it in error messages. The stream
    /// is read to its end but not closed.
    /// </summary>
    public static IdxArray Read(Stream stream, string displayName, int? expectedMagic = null, ReaderLimits? limits = null)
    {
        // Messages from deeper down quote file content; the entry point lets out only clean, bounded ones (ErrorText.Bounded).
        try { return ReadCore(stream, displayName, expectedMagic, limits); }
        catch (InvalidDataException e) when (!Loom.IO.ErrorText.IsClean(e.Message)) { throw Loom.IO.ErrorText.Bounded(e); }
    }

    private static IdxArray ReadCore(Stream stream, string displayName, int? expectedMagic, ReaderLimits? limits)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(displayName);
        limits ??= ReaderLimits.Default;
        using var source = OpenContent(stream, displayName, out bool gzip, leaveOpen: true);
        var reader = new Reader(source, displayName, gzip);
        int[] dims = ReadHeader(ref reader, expectedMagic, limits);
        long size = ElementCount(dims, displayName);
        ReaderLimits.Check(size, limits.MaxIdxBytes, $"the data size in bytes of dims {ShapeUtil.Format(dims)}", nameof(ReaderLimits.MaxIdxBytes), displayName);
        long expectedTotal = reader.Position + size;

        // A raw seekable stream tells its length up front, so a short file is reported before a
        // large buffer is allocated for it.
        if (!gzip && source.CanSeek)
        {
            long found = reader.Position + (source.Length - source.Position);
            if (found != expectedTotal) throw reader.WrongLength(expectedTotal, found, dims);
        }

        // A raw seekable stream has been checked against its length; a gzip (or one-way) stream cannot tell how much
        // it holds without decompressing, so its buffer grows with the data that actually arrives, never ahead of it
        // by more than a doubling: a 28-byte gzip file claiming 2 GB costs 64 KB, not 2 GB, before its rejection.
        byte[] data = !gzip && source.CanSeek ? new byte[size] : new byte[Math.Min(size, InitialChunk)];
        long filled = 0;
        while (true)
        {
            filled += reader.Fill(data.AsSpan((int)filled));
            if (filled < data.Length || data.Length == size) break;
            Array.Resize(ref data, (int)Math.Min(size, 2L * data.Length));
        }
        if (filled < size) throw reader.WrongLength(expectedTotal, reader.Position, dims);
        long trailing = reader.CountRemaining();
        if (trailing > 0) throw reader.WrongLength(expectedTotal, reader.Position, dims);
        return new IdxArray(dims, data);
    }

    /// <summary>
    /// Reads only the header of an IDX file (decompressing a few bytes of a gzip one) and returns
    /// its dims, e.g. to report sample counts without loading the data.
    /// </summary>
    public static int[] ReadDims(string path, int? expectedMagic = null)
    {
        using var file = OpenFile(path);
        using var source = OpenContent(file, path, out bool gzip, leaveOpen: true);
        var reader = new Reader(source, path, gzip);
        int[] dims = ReadHeader(ref reader, expectedMagic, ReaderLimits.Default);
        ElementCount(dims, path);
        return dims;
    }

    /// <summary>Describes a magic number for messages, e.g. "0x00000803 (unsigned byte, 3 dimensions)".</summary>
    public static string DescribeMagic(int magic)
    {
        uint m = (uint)magic;
        string hex = $"0x{m:X8}";
        if ((m & 0xFFFF0000) != 0) return hex;
        string dims = (m & 0xFF) == 1 ? "1 dimension" : $"{m & 0xFF} dimensions";
        return $"{hex} ({DtypeName((byte)(m >> 8))}, {dims})";
    }

    /// <summary>Opens a file for reading, with a missing file reported by name.</summary>
    internal static FileStream OpenFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found.", path);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
    }

    /// <summary>
    /// Returns a stream of the decompressed content of <paramref name="stream"/>: a
    /// <see cref="GZipStream"/> when it starts with the gzip magic bytes, otherwise the stream itself.
    /// </summary>
    internal static Stream OpenContent(Stream stream, string displayName, out bool gzip, bool leaveOpen)
    {
        // Peeking needs to rewind; a one-way stream (e.g. a network body) is buffered in memory first.
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            stream = copy;
            leaveOpen = false;
        }
        long start = stream.Position;
        Span<byte> head = stackalloc byte[2];
        int n = stream.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        stream.Position = start;
        gzip = n == 2 && head[0] == 0x1F && head[1] == 0x8B;
        if (!gzip) return leaveOpen ? new NonClosingStream(stream) : stream;
        return new GZipStream(stream, CompressionMode.Decompress, leaveOpen);
    }

    /// <summary>The first buffer for data whose size cannot be checked up front (gzip); it doubles as data arrives.</summary>
    private const int InitialChunk = 1 << 16;

    private static int[] ReadHeader(ref Reader reader, int? expectedMagic, ReaderLimits limits)
    {
        Span<byte> word = stackalloc byte[4];
        if (reader.Fill(word) < 4)
            throw reader.Invalid($"truncated file: expected at least 4 bytes (the magic number), found {reader.Position}.");
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(word);
        string expected = expectedMagic is int e
            ? $"expected {DescribeMagic(e)}"
            : $"expected 0x0000{UnsignedByte:X2}NN (unsigned byte, NN dimensions), e.g. {DescribeMagic(ImagesMagic)} or {DescribeMagic(LabelsMagic)}";

        // The first two bytes are always zero in IDX; anything else is not an IDX file at all.
        if ((magic & 0xFFFF0000) != 0)
            throw reader.Invalid($"wrong magic number 0x{magic:X8}: not an IDX file; {expected}.");
        byte dtype = (byte)(magic >> 8);
        if (dtype != UnsignedByte)
            throw reader.Invalid($"unsupported dtype 0x{dtype:X2} ({DtypeName(dtype)}) in magic number 0x{magic:X8}: only unsigned byte (0x08) is supported; {expected}.");
        if (expectedMagic is int want && magic != (uint)want)
            throw reader.Invalid($"wrong magic number {DescribeMagic((int)magic)}; {expected}.");
        int rank = (int)(magic & 0xFF);
        if (rank == 0)
            throw reader.Invalid($"magic number 0x{magic:X8} declares 0 dimensions; {expected}.");
        if (rank > limits.MaxRank)
            throw reader.Invalid($"magic number 0x{magic:X8} declares {rank} dimensions, above the limit of {limits.MaxRank} (ReaderLimits.MaxRank).");

        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            if (reader.Fill(word) < 4)
                throw reader.Invalid($"truncated file: expected at least {4 + 4 * rank} bytes (header of {rank} dimensions), found {reader.Position}.");
            uint d = BinaryPrimitives.ReadUInt32BigEndian(word);
            if (d > int.MaxValue) throw reader.Invalid($"dimension {i} is {d}, too large.");
            dims[i] = (int)d;
        }
        return dims;
    }

    private static long ElementCount(int[] dims, string displayName)
    {
        long size = 1;
        foreach (int d in dims)
        {
            size *= d;
            if (size > Array.MaxLength)
                throw new InvalidDataException($"{displayName}: dims {ShapeUtil.Format(dims)} give more elements than an array can hold ({Array.MaxLength}).");
        }
        return size;
    }

    private static string DtypeName(byte dtype) => dtype switch
    {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "int16",
        0x0C => "int32",
        0x0D => "float32",
        0x0E => "float64",
        _ => "unknown dtype",
    };

    /// <summary>Counts bytes consumed and turns decompression failures into messages naming the file.</summary>
    private struct Reader(Stream stream, string name, bool gzip)
    {
        public long Position;

        /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; returns the count read.</summary>
        public int Fill(Span<byte> buffer)
        {
            int total = 0;
            try
            {
                while (total < buffer.Length)
                {
                    int n = stream.Read(buffer[total..]);
                    if (n == 0) break;
                    total += n;
                }
            }
            catch (InvalidDataException ex) when (gzip)
            {
                throw Invalid($"corrupt gzip stream after {Position + total} decompressed bytes: {ex.Message}", ex);
            }
            Position += total;
            return total;
        }

        /// <summary>Reads to the end and returns how many bytes were left.</summary>
        public long CountRemaining()
        {
            Span<byte> scratch = stackalloc byte[4096];
            long start = Position;
            while (Fill(scratch) > 0) { }
            return Position - start;
        }

        public readonly InvalidDataException WrongLength(long expected, long found, int[] dims)
        {
            string what = gzip ? " (decompressed)" : "";
            string problem = found < expected ? "truncated file" : "unexpected data after the last element";
            return Invalid($"{problem}: expected {expected} bytes{what} for dims {ShapeUtil.Format(dims)}, found {found}.");
        }

        public readonly InvalidDataException Invalid(string problem, Exception? inner = null) =>
            new($"{name}: {problem}", inner);
    }

    /// <summary>Lets the raw path share the disposal logic of the gzip path without closing the caller's stream.</summary>
    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
