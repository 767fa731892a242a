using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Loom.IO;

namespace Loom.Audio;

/// <summary>
/// Reads RIFF/WAVE files (and RF64, the 64-bit form) into mono float samples: integer PCM of 8 (unsigned), 16, 24 and
/// 32 bits, IEEE float of 32 and 64 bits, plain or wrapped in WAVE_FORMAT_EXTENSIBLE, any number of channels
/// (averaged to mono). Chunks other than "fmt " and "data" (LIST, fact, cue, bext, …) are skipped, odd-sized ones with
/// their pad byte. A data chunk whose size is a streaming writer's placeholder (espeak-ng --stdout writes 0x7FFFF000,
/// others 0xFFFFFFFF or 0) runs to the end of the file; any other size past the end is a truncated file.
/// </summary>
/// <remarks>
/// Every error is an <see cref="InvalidDataException"/> naming the file and what is wrong (not RIFF, truncated, a
/// compressed format by its code and name, an absurd header), per docs/reliability.md; the file's size is checked
/// against <see cref="ReaderLimits.MaxWavBytes"/> before it is read, and nothing is allocated beyond the file's size
/// and its samples.
/// </remarks>
public static class WavReader
{
    private const int FormatPcm = 1, FormatFloat = 3, FormatExtensible = 0xFFFE;

    /// <summary>Most channels accepted (WAVE_FORMAT_EXTENSIBLE names 18 speaker positions; ambisonic files use more).</summary>
    public const int MaxChannels = 256;

    /// <summary>Highest sample rate accepted (the fastest studio rates are 768 kHz; higher is a corrupt header).</summary>
    public const int MaxSampleRate = 1_000_000;

    // The 14 bytes that follow the format code in every standard WAVE_FORMAT_EXTENSIBLE sub-format GUID.
    private static ReadOnlySpan<byte> GuidSuffix => [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71];

    /// <summary>Reads the WAV file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file is not a WAV file Loom reads; the message names it and says why.</exception>
    public static WavAudio Read(string path, ReaderLimits? limits = null)
    {
        limits ??= ReaderLimits.Default;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Read(stream, path, limits);
    }

    /// <summary>Reads a WAV file from <paramref name="stream"/> (to its end); <paramref name="source"/> names it in messages.</summary>
    public static WavAudio Read(Stream stream, string source, ReaderLimits? limits = null)
    {
        limits ??= ReaderLimits.Default;
        byte[] bytes;
        if (stream.CanSeek)
        {
            long length = stream.Length - stream.Position;
            ReaderLimits.Check(length, limits.MaxWavBytes, "the file's size in bytes", nameof(ReaderLimits.MaxWavBytes), ErrorText.Clean(source));
            bytes = new byte[length];
            stream.ReadExactly(bytes);
        }
        else
        {
            // A pipe's length is unknown: copy as bytes arrive, stopping one past the limit.
            using var copy = new MemoryStream();
            var buffer = new byte[81920];
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                copy.Write(buffer, 0, read);
                ReaderLimits.Check(copy.Length, limits.MaxWavBytes, "the file's size in bytes", nameof(ReaderLimits.MaxWavBytes), ErrorText.Clean(source));
            }
            bytes = copy.ToArray();
        }
        return Read(bytes, source, limits);
    }

    /// <summary>Reads a WAV file held in <paramref name="bytes"/>; <paramref name="source"/> names it in messages.</summary>
    public static WavAudio Read(ReadOnlySpan<byte> bytes, string source, ReaderLimits? limits = null)
    {
        limits ??= ReaderLimits.Default;
        string name = ErrorText.Clean(source);
        ReaderLimits.Check(bytes.Length, limits.MaxWavBytes, "the file's size in bytes", nameof(ReaderLimits.MaxWavBytes), name);
        try { return Parse(bytes, name); }
        catch (InvalidDataException e) { throw ErrorText.Bounded(e); }
    }

    private static WavAudio Parse(ReadOnlySpan<byte> file, string name)
    {
        if (file.Length == 0) throw new InvalidDataException($"{name} is empty, not a WAV file.");
        if (file.Length < 12) throw new InvalidDataException($"{name} is not a WAV file: {file.Length} bytes, shorter than a RIFF header (12).");
        string riff = FourCc(file[..4]);
        if (riff == "RIFX") throw new InvalidDataException($"{name} is a big-endian WAV file (RIFX), which Loom does not read; convert it, e.g. with 'sox in.wav -L out.wav'.");
        if (riff is not ("RIFF" or "RF64") || FourCc(file.Slice(8, 4)) != "WAVE")
            throw new InvalidDataException($"{name} is not a WAV file: it starts with '{riff}'…'{FourCc(file.Slice(8, 4))}', not 'RIFF'…'WAVE'.");
        bool rf64 = riff == "RF64";

        // Walk every chunk first: "fmt " may follow "data", and a LIST or other chunk may sit anywhere.
        int fmtOffset = -1, fmtSize = 0, dataOffset = -1;
        long dataSize = 0, ds64DataSize = -1;
        int pos = 12;
        while (file.Length - pos >= 8)
        {
            string id = FourCc(file.Slice(pos, 4));
            uint claimed = BinaryPrimitives.ReadUInt32LittleEndian(file.Slice(pos + 4, 4));
            int body = pos + 8;
            long remaining = file.Length - body;
            if (id == "data")
            {
                if (dataOffset >= 0) throw new InvalidDataException($"{name} has two 'data' chunks (at offsets {dataOffset - 8} and {pos}); a WAV file has one.");
                dataOffset = body;
                long size = claimed;
                bool placeholder;
                if (rf64 && claimed == 0xFFFFFFFF && ds64DataSize >= 0) { size = ds64DataSize; placeholder = false; }
                else placeholder = IsStreamingPlaceholder(claimed) || (claimed == 0 && remaining > 0 && !StartsChunk(file, body));
                // A writer that could not seek back left a placeholder: the audio runs to the end of the file.
                if (placeholder) size = remaining;
                else if (size > remaining)
                    throw new InvalidDataException($"{name} is truncated: its 'data' chunk at offset {pos} claims {size} bytes but only {remaining} follow.");
                dataSize = size;
                if (size >= remaining) break;
                pos = (int)(body + size + (size & 1));
                continue;
            }
            if (claimed > remaining)
            {
                // Metadata cut off after the audio (a trailing LIST) costs nothing; a cut-off header is fatal.
                if (fmtOffset >= 0 && dataOffset >= 0) break;
                throw new InvalidDataException($"{name} is truncated: its '{ErrorText.Clean(id)}' chunk at offset {pos} claims {claimed} bytes but only {remaining} follow.");
            }
            if (id == "fmt ")
            {
                if (fmtOffset >= 0) throw new InvalidDataException($"{name} has two 'fmt ' chunks; a WAV file has one.");
                fmtOffset = body;
                fmtSize = (int)claimed;
            }
            else if (id == "ds64" && rf64 && claimed >= 24)
                ds64DataSize = BinaryPrimitives.ReadInt64LittleEndian(file.Slice(body + 8, 8));
            pos = (int)(body + claimed + (claimed & 1));     // claimed <= remaining: within the file
        }
        if (fmtOffset < 0) throw new InvalidDataException($"{name} is not a complete WAV file: it has no 'fmt ' chunk{(dataOffset < 0 ? " and no 'data' chunk" : "")} ({file.Length} bytes).");
        if (dataOffset < 0) throw new InvalidDataException($"{name} is not a complete WAV file: it has no 'data' chunk ({file.Length} bytes).");

        var format = ParseFormat(file.Slice(fmtOffset, fmtSize), name);
        var data = file.Slice(dataOffset, (int)dataSize);
        int frames = data.Length / format.BlockAlign;     // a partial last frame (a cut-off stream) is dropped
        var samples = new float[frames];
        Decode(data[..(frames * format.BlockAlign)], format, samples);
        if (format.IsFloat) CheckFinite(samples, name);
        return new WavAudio(samples, format.SampleRate, format.Channels, format.BytesPerSample * 8, format.IsFloat);
    }

    /// <summary>The header fields that decoding needs.</summary>
    private readonly record struct Format(int Channels, int SampleRate, int BlockAlign, int BytesPerSample, bool IsFloat);

    private static Format ParseFormat(ReadOnlySpan<byte> fmt, string name)
    {
        if (fmt.Length < 16) throw new InvalidDataException($"{name}: its 'fmt ' chunk is {fmt.Length} bytes, shorter than the 16 every WAV format needs.");
        int code = BinaryPrimitives.ReadUInt16LittleEndian(fmt);
        int channels = BinaryPrimitives.ReadUInt16LittleEndian(fmt[2..]);
        uint rate = BinaryPrimitives.ReadUInt32LittleEndian(fmt[4..]);
        int blockAlign = BinaryPrimitives.ReadUInt16LittleEndian(fmt[12..]);
        int bits = BinaryPrimitives.ReadUInt16LittleEndian(fmt[14..]);
        if (code == FormatExtensible)
        {
            if (fmt.Length < 40) throw new InvalidDataException($"{name}: its 'fmt ' chunk says WAVE_FORMAT_EXTENSIBLE (0xFFFE) but is {fmt.Length} bytes, not the 40 that format needs.");
            var guid = fmt.Slice(24, 16);
            int sub = BinaryPrimitives.ReadUInt16LittleEndian(guid);
            if (!guid[2..].SequenceEqual(GuidSuffix))
                throw new InvalidDataException($"{name}: its WAVE_FORMAT_EXTENSIBLE sub-format {Convert.ToHexString(guid)} is not a standard one (PCM or IEEE float).");
            code = sub;
        }
        if (code is not (FormatPcm or FormatFloat))
            throw new InvalidDataException($"{name} holds {FormatName(code)} audio (WAV format code 0x{code:X4}); Loom reads uncompressed PCM (1) and IEEE float (3) only: convert it, e.g. with 'sox in.wav -e signed -b 16 out.wav'.");
        if (channels == 0 || channels > MaxChannels) throw new InvalidDataException($"{name}: its header says {channels} channels; expected 1 to {MaxChannels}.");
        if (rate == 0 || rate > MaxSampleRate) throw new InvalidDataException($"{name}: its header says a sample rate of {rate} Hz; expected 1 to {MaxSampleRate}.");
        bool isFloat = code == FormatFloat;
        int bytesPerSample = blockAlign / channels;
        if (blockAlign == 0 || blockAlign % channels != 0)
            throw new InvalidDataException($"{name}: its header says {channels} channels in frames of {blockAlign} bytes, which do not divide.");
        // The container decides the layout; bits may be fewer (12 bits in 16, 20 or 24 in 32), left-justified.
        bool valid = isFloat ? bytesPerSample is 4 or 8 && bits <= bytesPerSample * 8 : bytesPerSample is >= 1 and <= 4 && bits <= bytesPerSample * 8 && bits > (bytesPerSample - 1) * 8;
        if (!valid)
            throw new InvalidDataException($"{name}: {bits}-bit {(isFloat ? "float" : "PCM")} samples in {bytesPerSample}-byte containers are not a layout Loom reads ({(isFloat ? "32- or 64-bit float" : "8-, 16-, 24- or 32-bit integer PCM")}).");
        return new Format(channels, (int)rate, blockAlign, bytesPerSample, isFloat);
    }

    /// <summary>Averages the channels of each frame of <paramref name="data"/> into <paramref name="mono"/> (frames).</summary>
    private static void Decode(ReadOnlySpan<byte> data, Format f, Span<float> mono)
    {
        int channels = f.Channels;
        if (channels == 1 && f.BytesPerSample == 2 && !f.IsFloat && BitConverter.IsLittleEndian)
        {
            // The common case (16-bit mono, every file the generator writes) in one vectorised conversion.
            var shorts = MemoryMarshal.Cast<byte, short>(data);
            System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<short, float>(shorts, mono);
            System.Numerics.Tensors.TensorPrimitives.Multiply(mono, 1f / 32768f, mono);
            return;
        }
        float scale = 1f / channels;
        int size = f.BytesPerSample;
        for (int frame = 0, at = 0; frame < mono.Length; frame++)
        {
            double sum = 0;
            for (int c = 0; c < channels; c++, at += size) sum += Sample(data.Slice(at, size), f.IsFloat);
            mono[frame] = (float)sum * scale;
        }
    }

    /// <summary>One stored sample as a float: integers scaled by 2^-(bits−1) (8-bit is unsigned, offset 128).</summary>
    private static double Sample(ReadOnlySpan<byte> s, bool isFloat) => isFloat
        ? s.Length == 4 ? BinaryPrimitives.ReadSingleLittleEndian(s) : BinaryPrimitives.ReadDoubleLittleEndian(s)
        : s.Length switch
        {
            1 => (s[0] - 128) / 128.0,
            2 => BinaryPrimitives.ReadInt16LittleEndian(s) / 32768.0,
            3 => ((s[2] << 24) | (s[1] << 16) | (s[0] << 8)) / 2147483648.0,     // into the top of an int: sign for free
            _ => BinaryPrimitives.ReadInt32LittleEndian(s) / 2147483648.0,
        };

    /// <summary>NaN or ±Inf in a float file would make every feature and prediction NaN: an error at load, not at use.</summary>
    private static void CheckFinite(ReadOnlySpan<float> samples, string name)
    {
        int bad = 0, first = -1;
        for (int i = 0; i < samples.Length; i++)
            if (!float.IsFinite(samples[i])) { bad++; if (first < 0) first = i; }
        if (bad > 0) throw new InvalidDataException($"{name} holds {bad} non-finite float sample(s) (NaN or ±Inf), the first at frame {first}.");
    }

    // A placeholder some writer leaves when it cannot seek back to fill in the size.
    private static bool IsStreamingPlaceholder(uint claimed) => claimed is 0xFFFFFFFF or 0x7FFFF000 or 0x7FFFFFFF or 0x80000000;

    /// <summary>
    /// Whether a chunk header (four printable ASCII characters and a size that fits) starts at <paramref name="at"/>:
    /// an empty 'data' chunk followed by one is a silent clip; followed by anything else, the 0 is a streaming writer's.
    /// </summary>
    private static bool StartsChunk(ReadOnlySpan<byte> file, int at)
    {
        if (file.Length - at < 8) return false;
        for (int i = 0; i < 4; i++) if (file[at + i] is < 0x20 or > 0x7E) return false;
        return BinaryPrimitives.ReadUInt32LittleEndian(file.Slice(at + 4, 4)) <= (uint)(file.Length - at - 8);
    }

    private static string FourCc(ReadOnlySpan<byte> b)
    {
        Span<char> c = stackalloc char[b.Length];
        for (int i = 0; i < b.Length; i++) c[i] = (char)b[i];
        return ErrorText.Clean(new string(c));
    }

    /// <summary>The registered name of a WAV format code, for the message that says why a file is not read.</summary>
    private static string FormatName(int code) => code switch
    {
        0x0000 => "unknown-format",
        0x0002 => "Microsoft ADPCM",
        0x0006 => "A-law",
        0x0007 => "µ-law",
        0x0011 => "IMA ADPCM",
        0x0022 => "TrueSpeech",
        0x0031 => "GSM 6.10",
        0x0040 => "G.721 ADPCM",
        0x0050 => "MPEG",
        0x0055 => "MP3",
        0x0092 => "Dolby AC-3",
        0x00FF => "AAC",
        0x0161 or 0x0162 or 0x0163 => "Windows Media Audio",
        0x2000 => "AC-3",
        0x2001 => "DTS",
        0xF1AC => "FLAC",
        _ => "compressed or unknown",
    };
}
