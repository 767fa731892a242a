using System.Buffers.Binary;
using System.Text;

namespace Loom.Tests.Audio;

/// <summary>
/// WAV files built byte by byte for the reader's tests: a RIFF header and any chunks, so each case says exactly which
/// bytes it holds (the committed fixtures under Fixtures/audio/wav were written by sox and espeak-ng instead).
/// </summary>
internal static class WavFiles
{
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "audio", "wav", name);

    /// <summary>A 16-byte PCM/float "fmt " body.</summary>
    public static byte[] Fmt(int code, int channels, int rate, int bits, int? blockAlign = null)
    {
        var b = new byte[16];
        int align = blockAlign ?? channels * ((bits + 7) / 8);
        BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)code);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2), (ushort)channels);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), (uint)rate);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), (uint)(rate * align));
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(12), (ushort)align);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(14), (ushort)bits);
        return b;
    }

    /// <summary>A 40-byte WAVE_FORMAT_EXTENSIBLE "fmt " body around sub-format <paramref name="subFormat"/>.</summary>
    public static byte[] FmtExtensible(int subFormat, int channels, int rate, int containerBits, int validBits)
    {
        var b = new byte[40];
        Fmt(0xFFFE, channels, rate, containerBits).CopyTo(b, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(16), 22);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(18), (ushort)validBits);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(20), channels == 1 ? 4u : 3u);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(24), (ushort)subFormat);
        byte[] suffix = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71];
        suffix.CopyTo(b, 26);
        return b;
    }

    /// <summary>One chunk: id, size (the body's length unless <paramref name="claimedSize"/> says otherwise), body, pad byte if odd.</summary>
    public static byte[] Chunk(string id, byte[] body, uint? claimedSize = null, bool pad = true)
    {
        var b = new byte[8 + body.Length + (pad ? body.Length & 1 : 0)];
        Encoding.ASCII.GetBytes(id).CopyTo(b, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), claimedSize ?? (uint)body.Length);
        body.CopyTo(b, 8);
        return b;
    }

    /// <summary>"RIFF" size "WAVE" and the chunks.</summary>
    public static byte[] Riff(params byte[][] chunks) => RiffAs("RIFF", chunks);

    public static byte[] RiffAs(string magic, params byte[][] chunks)
    {
        int length = 12 + chunks.Sum(c => c.Length);
        var b = new byte[length];
        Encoding.ASCII.GetBytes(magic).CopyTo(b, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), (uint)(length - 8));
        "WAVE"u8.CopyTo(b.AsSpan(8));
        int at = 12;
        foreach (var c in chunks) { c.CopyTo(b, at); at += c.Length; }
        return b;
    }

    /// <summary>16-bit little-endian samples.</summary>
    public static byte[] Int16(params short[] values)
    {
        var b = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(2 * i), values[i]);
        return b;
    }
}
