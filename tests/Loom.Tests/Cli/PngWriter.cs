using System.IO.Compression;

namespace Loom.Tests.Cli;

/// <summary>A minimal 8-bit grayscale PNG encoder for test images (signature, IHDR, one IDAT, IEND).</summary>
internal static class PngWriter
{
    public static void WriteGray(string path, int width, int height, Func<int, int, byte> pixel)
    {
        using var raw = new MemoryStream();
        for (int y = 0; y < height; y++)
        {
            raw.WriteByte(0); // filter type: none
            for (int x = 0; x < width; x++) raw.WriteByte(pixel(x, y));
        }
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true)) z.Write(raw.ToArray());
        using var file = System.IO.File.Create(path);
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        WriteBigEndian(ihdr, 0, width);
        WriteBigEndian(ihdr, 4, height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 0; // colour type: grayscale
        Chunk(file, "IHDR", ihdr);
        Chunk(file, "IDAT", compressed.ToArray());
        Chunk(file, "IEND", []);
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var len = new byte[4];
        WriteBigEndian(len, 0, data.Length);
        s.Write(len);
        var typed = new byte[4 + data.Length];
        for (int i = 0; i < 4; i++) typed[i] = (byte)type[i];
        data.CopyTo(typed, 4);
        s.Write(typed);
        var crc = new byte[4];
        WriteBigEndian(crc, 0, (int)Crc32(typed));
        s.Write(crc);
    }

    private static uint Crc32(byte[] data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return c ^ 0xFFFFFFFF;
    }

    private static void WriteBigEndian(byte[] b, int offset, int v)
    {
        b[offset] = (byte)(v >> 24); b[offset + 1] = (byte)(v >> 16); b[offset + 2] = (byte)(v >> 8); b[offset + 3] = (byte)v;
    }
}
