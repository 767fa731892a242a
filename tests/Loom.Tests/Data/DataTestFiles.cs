using System.Buffers.Binary;
using System.IO.Compression;

namespace Loom.Tests.Data;

/// <summary>A temporary directory for one test class, removed when the class is done.</summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("loom-data-tests-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Writes IDX files by hand (independently of the reader under test).</summary>
internal static class IdxWriter
{
    public static byte[] Encode(uint magic, int[] dims, byte[] data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, magic);
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 + 4 * i), (uint)dims[i]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    public static byte[] Gzip(byte[] content)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Optimal)) gz.Write(content);
        return output.ToArray();
    }

    public static string Write(string path, uint magic, int[] dims, byte[] data, bool gzip)
    {
        var content = Encode(magic, dims, data);
        System.IO.File.WriteAllBytes(path, gzip ? Gzip(content) : content);
        return path;
    }
}
