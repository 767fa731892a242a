using System.Buffers.Binary;
using Loom.IO;

namespace Loom.Audio;

/// <summary>
/// Writes mono integer-PCM WAV files (16-bit, or 8-bit where size matters more than noise, as in the embedded
/// sample), the plain 44-byte header every reader knows. Samples are clipped to [-1, 1] and rounded to the nearest
/// step, the inverse of <see cref="WavReader"/>'s scaling (16-bit: s / 32768), so a read of a written file returns
/// each sample within half a step.
/// </summary>
public static class WavWriter
{
    /// <summary>Writes <paramref name="samples"/> (frames) to <paramref name="path"/> atomically (via <see cref="AtomicFile"/>).</summary>
    /// <exception cref="ArgumentException">The rate is not positive or the bit depth is not 8 or 16.</exception>
    public static void Write(string path, ReadOnlySpan<float> samples, int sampleRate, int bitsPerSample = 16)
    {
        byte[] bytes = ToBytes(samples, sampleRate, bitsPerSample);
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    /// <summary>The bytes of the WAV file that <see cref="Write"/> would write.</summary>
    public static byte[] ToBytes(ReadOnlySpan<float> samples, int sampleRate, int bitsPerSample = 16)
    {
        if (sampleRate <= 0 || sampleRate > WavReader.MaxSampleRate)
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, $"A sample rate is 1 to {WavReader.MaxSampleRate} Hz.");
        if (bitsPerSample is not (8 or 16))
            throw new ArgumentOutOfRangeException(nameof(bitsPerSample), bitsPerSample, "WavWriter writes 8- or 16-bit PCM.");
        int bytesPerSample = bitsPerSample / 8;
        long dataBytes = (long)samples.Length * bytesPerSample;
        if (dataBytes + 36 > uint.MaxValue) throw new ArgumentException($"{samples.Length} samples do not fit in a WAV file (4 GiB).", nameof(samples));
        var file = new byte[44 + dataBytes + (dataBytes & 1)];
        var h = file.AsSpan();
        "RIFF"u8.CopyTo(h);
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)(file.Length - 8));
        "WAVEfmt "u8.CopyTo(h[8..]);
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], 16);
        BinaryPrimitives.WriteUInt16LittleEndian(h[20..], 1);     // PCM
        BinaryPrimitives.WriteUInt16LittleEndian(h[22..], 1);     // mono
        BinaryPrimitives.WriteUInt32LittleEndian(h[24..], (uint)sampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(h[28..], (uint)(sampleRate * bytesPerSample));
        BinaryPrimitives.WriteUInt16LittleEndian(h[32..], (ushort)bytesPerSample);
        BinaryPrimitives.WriteUInt16LittleEndian(h[34..], (ushort)bitsPerSample);
        "data"u8.CopyTo(h[36..]);
        BinaryPrimitives.WriteUInt32LittleEndian(h[40..], (uint)dataBytes);
        var data = h[44..];
        if (bitsPerSample == 16)
            for (int i = 0; i < samples.Length; i++)
                BinaryPrimitives.WriteInt16LittleEndian(data[(2 * i)..], (short)Quantize(samples[i], 32768f, 32767));
        else
            for (int i = 0; i < samples.Length; i++)
                data[i] = (byte)(Quantize(samples[i], 128f, 127) + 128);
        return file;
    }

    // Round to nearest, clipped to the codes that exist; NaN (which no clip should hold) becomes silence.
    private static int Quantize(float x, float scale, int max) =>
        float.IsNaN(x) ? 0 : (int)Math.Clamp(MathF.Round(x * scale), -max - 1, max);
}
