using System.Buffers.Binary;
using System.IO.Compression;
using Loom.IO;

namespace Loom.Cli.Inspect;

/// <summary>
/// An RGB picture built pixel by pixel and saved as PNG (8-bit truecolour, one zlib stream). The inspection
/// pictures are grids of small value maps — kernels, feature maps, heatmaps — where every value must be one crisp
/// block of pixels, which a plotting library's interpolating heatmap would blur; the format needs only zlib and a CRC.
/// </summary>
internal sealed class Raster(int width, int height)
{
    private readonly byte[] _rgb = Fill(width, height);

    public int Width { get; } = width;
    public int Height { get; } = height;

    private static byte[] Fill(int width, int height)
    {
        if (width <= 0 || height <= 0 || (long)width * height > 50_000_000) throw new ArgumentException($"A picture of {width}×{height} pixels is not drawable.");
        var rgb = new byte[width * height * 3];
        Array.Fill(rgb, (byte)255); // white background: gaps between tiles
        return rgb;
    }

    public void Set(int x, int y, (byte R, byte G, byte B) c)
    {
        int i = (y * Width + x) * 3;
        (_rgb[i], _rgb[i + 1], _rgb[i + 2]) = c;
    }

    /// <summary>Paints a rows×cols value map at (x0, y0), each value a scale×scale block coloured by <paramref name="color"/>.</summary>
    public void Paint(int x0, int y0, ReadOnlySpan<float> values, int rows, int cols, int scale, Func<float, (byte, byte, byte)> color)
    {
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                var rgb = color(values[r * cols + c]);
                for (int dy = 0; dy < scale; dy++)
                    for (int dx = 0; dx < scale; dx++) Set(x0 + c * scale + dx, y0 + r * scale + dy, rgb);
            }
    }

    /// <summary>
    /// A grid of equally sized maps (each rows×cols values, <paramref name="scale"/> pixels a value, a 2-pixel gap),
    /// <paramref name="columns"/> to a row.
    /// </summary>
    public static Raster Grid(IReadOnlyList<float[]> maps, int rows, int cols, int scale, int columns, Func<float[], Func<float, (byte, byte, byte)>> colorOf)
    {
        const int gap = 2;
        int gridRows = (maps.Count + columns - 1) / columns, shown = Math.Min(columns, maps.Count);
        var raster = new Raster(shown * (cols * scale + gap) + gap, gridRows * (rows * scale + gap) + gap);
        for (int i = 0; i < maps.Count; i++)
            raster.Paint(gap + i % columns * (cols * scale + gap), gap + i / columns * (rows * scale + gap), maps[i], rows, cols, scale, colorOf(maps[i]));
        return raster;
    }

    /// <summary>Writes the picture as PNG, atomically.</summary>
    public void Save(string path) => AtomicFile.Write(path, Write);

    private void Write(Stream stream)
    {
        stream.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, Width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), Height);
        (header[8], header[9], header[10], header[11], header[12]) = (8, 2, 0, 0, 0); // 8-bit RGB, deflate, no filter choice, no interlace
        Chunk(stream, "IHDR", header);
        using var packed = new MemoryStream();
        using (var z = new ZLibStream(packed, CompressionLevel.Optimal, leaveOpen: true))
            for (int y = 0; y < Height; y++)
            {
                z.WriteByte(0); // filter: none
                z.Write(_rgb, y * Width * 3, Width * 3);
            }
        Chunk(stream, "IDAT", packed.ToArray());
        Chunk(stream, "IEND", []);
    }

    private static void Chunk(Stream stream, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        stream.Write(word);
        var typed = new byte[4 + data.Length];
        for (int i = 0; i < 4; i++) typed[i] = (byte)type[i];
        data.CopyTo(typed, 4);
        stream.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        stream.Write(word);
    }

    private static readonly uint[] CrcTable = MakeCrcTable();

    private static uint[] MakeCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    /// <summary>The CRC-32 of PNG (and zip): reflected polynomial 0xEDB88320.</summary>
    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint c = 0xFFFFFFFFu;
        foreach (byte b in bytes) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }
}

/// <summary>Colour scales for value maps.</summary>
internal static class ValueColors
{
    /// <summary>Signed values: blue (−) through white (0) to red (+), scaled by the largest magnitude.</summary>
    public static Func<float, (byte, byte, byte)> Diverging(ReadOnlySpan<float> values)
    {
        float max = 1e-12f;
        foreach (float v in values) max = Math.Max(max, MathF.Abs(v));
        return v =>
        {
            float t = Math.Clamp(v / max, -1f, 1f);
            byte fade = (byte)(255 * (1 - MathF.Abs(t)));
            return t >= 0 ? ((byte)255, fade, fade) : (fade, fade, (byte)255);
        };
    }

    /// <summary>Magnitudes: dark blue (low) through teal and green to yellow (high), between the smallest and largest value.</summary>
    public static Func<float, (byte, byte, byte)> Sequential(ReadOnlySpan<float> values)
    {
        float lo = float.MaxValue, hi = float.MinValue;
        foreach (float v in values) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
        float range = Math.Max(hi - lo, 1e-12f);
        return v => Ramp((v - lo) / range);
    }

    /// <summary>Fixed [0, 1] values (probabilities, gates, normalised maps).</summary>
    public static (byte, byte, byte) Ramp(float t)
    {
        t = Math.Clamp(float.IsFinite(t) ? t : 0f, 0f, 1f);
        // A viridis-like ramp through four stops.
        (float R, float G, float B)[] stops = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)];
        float p = t * (stops.Length - 1);
        int i = Math.Min((int)p, stops.Length - 2);
        float f = p - i;
        var (a, b) = (stops[i], stops[i + 1]);
        return ((byte)(a.R + f * (b.R - a.R)), (byte)(a.G + f * (b.G - a.G)), (byte)(a.B + f * (b.B - a.B)));
    }
}
