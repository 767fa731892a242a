using Loom.Data;
using Xunit;

namespace Loom.Tests.Data;

public sealed class IdxTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static byte[] Pixels(int n) { var b = new byte[n]; for (int i = 0; i < n; i++) b[i] = (byte)(i * 7 + 3); return b; }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ImagesRoundTrip(bool gzip)
    {
        var pixels = Pixels(3 * 4 * 5);
        // A misleading name: gzip is recognised by content, not by extension.
        string path = IdxWriter.Write(_dir.File(gzip ? "images.bin" : "images.gz"), 0x803, [3, 4, 5], pixels, gzip);

        var idx = Idx.ReadImages(path);

        Assert.Equal([3, 4, 5], idx.Dims);
        Assert.Equal(pixels, idx.Data);
        Assert.Equal(3, idx.Count);
        Assert.Equal([3, 4, 5], Idx.ReadDims(path, Idx.ImagesMagic));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LabelsRoundTrip(bool gzip)
    {
        byte[] labels = [0, 9, 3, 3, 1];
        string path = IdxWriter.Write(_dir.File("labels"), 0x801, [5], labels, gzip);

        var idx = Idx.ReadLabels(path);

        Assert.Equal([5], idx.Dims);
        Assert.Equal(labels, idx.Data);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsFromStreamWithDisplayName(bool gzip)
    {
        var content = IdxWriter.Encode(0x801, [3], [1, 2, 3]);
        using var stream = new MemoryStream(gzip ? IdxWriter.Gzip(content) : content);

        var idx = Idx.Read(stream, "resource:labels", Idx.LabelsMagic);

        Assert.Equal([1, 2, 3], idx.Data);
        Assert.True(stream.CanRead, "the caller's stream stays open");
    }

    [Fact]
    public void StreamErrorsNameTheDisplayName()
    {
        using var stream = new MemoryStream(IdxWriter.Encode(0x801, [10], [1, 2, 3]));
        var ex = Assert.Throws<InvalidDataException>(() => Idx.Read(stream, "resource:labels"));
        Assert.StartsWith("resource:labels: truncated file", ex.Message);
    }

    [Fact]
    public void MissingFile()
    {
        string path = _dir.File("nope-idx3-ubyte");
        var ex = Assert.Throws<FileNotFoundException>(() => Idx.ReadImages(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("not found", ex.Message);
        Assert.Equal(path, ex.FileName);
    }

    [Theory]
    [InlineData(false, "expected 88 bytes for dims (3, 4, 6), found 76.")]
    [InlineData(true, "expected 88 bytes (decompressed) for dims (3, 4, 6), found 76.")]
    public void TruncatedPayload(bool gzip, string expected)
    {
        // The header promises 3×4×6 = 72 pixels after its 16 bytes; the file holds 60.
        string path = IdxWriter.Write(_dir.File("short"), 0x803, [3, 4, 6], Pixels(60), gzip);
        var ex = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.Equal($"{path}: truncated file: {expected}", ex.Message);
    }

    [Fact]
    public void TruncatedHeader()
    {
        string path = _dir.File("header");
        File.WriteAllBytes(path, [0, 0, 8, 3, 0, 0, 0, 2, 0, 0]);
        var ex = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.Equal($"{path}: truncated file: expected at least 16 bytes (header of 3 dimensions), found 10.", ex.Message);

        File.WriteAllBytes(path, []);
        ex = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.Equal($"{path}: truncated file: expected at least 4 bytes (the magic number), found 0.", ex.Message);
    }

    [Fact]
    public void TrailingData()
    {
        string path = _dir.File("long");
        var content = IdxWriter.Encode(0x801, [2], [1, 2]);
        File.WriteAllBytes(path, [.. content, 0]);
        var ex = Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(path));
        Assert.Equal($"{path}: unexpected data after the last element: expected 10 bytes for dims (2), found 11.", ex.Message);
    }

    [Fact]
    public void WrongMagic()
    {
        string path = IdxWriter.Write(_dir.File("labels-as-images"), 0x801, [2], [1, 2], gzip: true);
        var ex = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.StartsWith(path + ": wrong magic number 0x00000801", ex.Message);
        Assert.Contains("expected 0x00000803", ex.Message);

        string text = _dir.File("not-idx");
        File.WriteAllText(text, "hello world");
        ex = Assert.Throws<InvalidDataException>(() => Idx.Read(text));
        Assert.StartsWith(text + ": wrong magic number 0x68656C6C: not an IDX file", ex.Message);
    }

    [Fact]
    public void UnsupportedDtype()
    {
        string path = IdxWriter.Write(_dir.File("floats"), 0x00000D01, [1], [0, 0, 0, 0], gzip: false);
        var ex = Assert.Throws<InvalidDataException>(() => Idx.Read(path));
        Assert.StartsWith(path + ": unsupported dtype 0x0D (float32)", ex.Message);
    }

    [Fact]
    public void CorruptGzip()
    {
        string path = _dir.File("corrupt.gz");
        var gz = IdxWriter.Gzip(IdxWriter.Encode(0x803, [2, 8, 8], Pixels(128)));
        // Keep the gzip header (magic 1f 8b, method, flags…), scramble the deflate data.
        for (int i = 10; i < gz.Length - 8; i++) gz[i] = (byte)(0xFF - i);
        File.WriteAllBytes(path, gz);

        var ex = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.StartsWith(path + ": corrupt gzip stream", ex.Message);
    }

    [Fact]
    public void TruncatedGzipIsReportedAgainstTheFile()
    {
        string path = _dir.File("cut.gz");
        var gz = IdxWriter.Gzip(IdxWriter.Encode(0x803, [4, 28, 28], Pixels(4 * 28 * 28)));
        File.WriteAllBytes(path, gz[..(gz.Length / 2)]);

        var ex = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.StartsWith(path + ": ", ex.Message);
        Assert.True(ex.Message.Contains("truncated file") || ex.Message.Contains("corrupt gzip stream"), ex.Message);
    }

    [Fact]
    public void DescribesMagic()
    {
        Assert.Equal("0x00000803 (unsigned byte, 3 dimensions)", Idx.DescribeMagic(Idx.ImagesMagic));
        Assert.Equal("0x00000801 (unsigned byte, 1 dimension)", Idx.DescribeMagic(Idx.LabelsMagic));
    }
}
