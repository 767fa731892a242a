using System.Buffers.Binary;
using Loom.Audio;
using Loom.IO;
using Xunit;
using static Loom.Tests.Audio.WavFiles;

namespace Loom.Tests.Audio;

/// <summary>
/// The WAV reader on files written by sox 14.4.2 and espeak-ng 1.51 (Fixtures/audio/wav: the same 50 ms, 440 Hz sine
/// at half scale, 8 kHz, in every encoding; see the README there) and on files built byte by byte.
/// </summary>
public sealed class WavReaderTests
{
    private static WavAudio ReadFixture(string name) => WavReader.Read(Fixture(name));

    [Theory]
    [InlineData("sox-u8-mono.wav", 8, false, 1 / 128.0)]
    [InlineData("sox-s16-mono.wav", 16, false, 1 / 32768.0)]
    [InlineData("sox-s24-mono.wav", 24, false, 1 / 8388608.0)]
    [InlineData("sox-s32-mono.wav", 32, false, 1e-7)]
    [InlineData("sox-f32-mono.wav", 32, true, 1e-7)]
    public void EveryEncodingOfTheSameSineAgreesWithTheDoublePrecisionFile(string file, int bits, bool isFloat, double step)
    {
        var reference = ReadFixture("sox-f64-mono.wav");
        var audio = ReadFixture(file);
        Assert.Equal((8000, 1, bits, isFloat), (audio.SampleRate, audio.Channels, audio.BitsPerSample, audio.IsFloat));
        Assert.Equal(400, audio.Samples.Length);
        Assert.Equal(0.05, audio.Seconds, 12);
        for (int i = 0; i < 400; i++)
            Assert.True(Math.Abs(audio.Samples[i] - reference.Samples[i]) <= step, $"{file} sample {i}: {audio.Samples[i]} vs {reference.Samples[i]}");
        // Half scale, and a real sine: the peak is near 0.5, not 0 or 1 (a wrong scale or byte order shows here).
        Assert.InRange(reference.Samples.Max(), 0.49, 0.5);
        Assert.InRange(reference.Samples.Min(), -0.5, -0.49);
    }

    [Fact]
    public void SixteenBitSamplesAreTheStoredIntegersOver32768()
    {
        byte[] bytes = File.ReadAllBytes(Fixture("sox-s16-mono.wav"));
        var audio = WavReader.Read(bytes, "sox-s16-mono.wav");
        for (int i = 0; i < audio.Samples.Length; i++)
            Assert.Equal(BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(44 + 2 * i)) / 32768f, audio.Samples[i]);
        Assert.Equal(595 / 32768f, audio.Samples[0]);     // 0x0253, the first sample's bytes
    }

    [Theory]
    [InlineData("sox-s16-stereo.wav", 2, 11025)]
    [InlineData("sox-s16-3ch.wav", 3, 8000)]     // sox writes WAVE_FORMAT_EXTENSIBLE for more than two channels
    public void ChannelsAreAveragedToMono(string file, int channels, int rate)
    {
        byte[] bytes = File.ReadAllBytes(Fixture(file));
        var audio = WavReader.Read(bytes, file);
        Assert.Equal((channels, rate), (audio.Channels, audio.SampleRate));
        int data = bytes.AsSpan().IndexOf("data"u8) + 8;
        int frames = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(data - 4)) / (2 * channels);
        Assert.Equal(frames, audio.Samples.Length);
        for (int f = 0; f < frames; f++)
        {
            double sum = 0;
            for (int c = 0; c < channels; c++) sum += BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(data + 2 * (f * channels + c))) / 32768.0;
            Assert.Equal(sum / channels, audio.Samples[f], 6);
        }
        // The channels hold different tones, so the average is not any one of them.
        Assert.NotEqual(BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(data + 2 * channels * 10)) / 32768f, audio.Samples[10]);
    }

    [Fact]
    public void AnOddSizedDataChunkAndItsPadByteAreRead()
    {
        var audio = ReadFixture("sox-u8-odd.wav");     // 67 one-byte frames, then the pad byte
        Assert.Equal(67, audio.Samples.Length);
        Assert.Equal((0x82 - 128) / 128f, audio.Samples[0]);
    }

    [Fact]
    public void EspeakNgFilesAreRead_BothTheSeekedAndTheStreamedOne()
    {
        var go = ReadFixture("espeak-go.wav");
        Assert.Equal((22050, 1, 16), (go.SampleRate, go.Channels, go.BitsPerSample));
        Assert.Equal((7720 - 44) / 2, go.Samples.Length);
        // espeak-ng --stdout cannot seek back: its sizes are the placeholder 0x7FFFF000, and the audio runs to the end.
        var no = ReadFixture("espeak-no-stdout.wav");
        Assert.Equal((8628 - 44) / 2, no.Samples.Length);
        Assert.True(no.Samples.Max() > 0.1, "speech, not silence");
    }

    [Theory]
    [InlineData("sox-alaw.wav", "A-law", "0x0006")]
    [InlineData("sox-ulaw.wav", "µ-law", "0x0007")]
    [InlineData("sox-ima-adpcm.wav", "IMA ADPCM", "0x0011")]
    [InlineData("sox-ms-adpcm.wav", "Microsoft ADPCM", "0x0002")]
    [InlineData("sox-gsm.wav", "GSM 6.10", "0x0031")]
    public void CompressedFormatsAreNamedWithTheirCode(string file, string format, string code)
    {
        var e = Assert.Throws<InvalidDataException>(() => ReadFixture(file));
        Assert.Contains(file, e.Message);
        Assert.Contains($"holds {format} audio (WAV format code {code})", e.Message);
        Assert.Contains("PCM (1) and IEEE float (3)", e.Message);
    }

    [Fact]
    public void ExtensibleWith24ValidBitsIn32BitContainersIsRead()
    {
        // 24-bit audio left-justified in 32-bit words: read as the container, exact.
        byte[] data = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(data, 0x40000000);          // +0.5
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(4), unchecked((int)0xC0000000));     // −0.5
        var audio = WavReader.Read(Riff(Chunk("fmt ", FmtExtensible(1, 1, 16000, 32, 24)), Chunk("data", data)), "ext.wav");
        Assert.Equal([0.5f, -0.5f], audio.Samples);
        var floats = new byte[8];
        BinaryPrimitives.WriteSingleLittleEndian(floats, 0.25f);
        BinaryPrimitives.WriteSingleLittleEndian(floats.AsSpan(4), -1.5f);     // float may exceed full scale; kept as stored
        Assert.Equal([0.25f, -1.5f], WavReader.Read(Riff(Chunk("fmt ", FmtExtensible(3, 1, 16000, 32, 32)), Chunk("data", floats)), "extf.wav").Samples);
    }

    [Fact]
    public void UnknownAndListChunksAnywhereAreSkipped_FmtMayFollowData()
    {
        byte[] list = Chunk("LIST", [.. "INFOICMT"u8, 5, 0, 0, 0, .. "hello"u8, 0]);     // odd-sized inner, padded
        byte[] odd = Chunk("junk", [1, 2, 3]);                                       // odd size: one pad byte follows
        var audio = WavReader.Read(Riff(odd, list, Chunk("data", Int16(16384, -16384, 1)), Chunk("fmt ", Fmt(1, 1, 8000, 16)), list), "chunks.wav");
        Assert.Equal([0.5f, -0.5f, 1 / 32768f], audio.Samples);
    }

    [Fact]
    public void StreamingPlaceholderSizesRunToTheEndOfTheFile()
    {
        foreach (uint placeholder in new uint[] { 0xFFFFFFFF, 0x7FFFF000, 0 })
        {
            var audio = WavReader.Read(Riff(Chunk("fmt ", Fmt(1, 1, 8000, 16)), Chunk("data", Int16(100, 200, 300), claimedSize: placeholder)), "stream.wav");
            Assert.Equal(3, audio.Samples.Length);
        }
        // A zero-size data chunk followed by another chunk is a silent clip, not a placeholder.
        var empty = WavReader.Read(Riff(Chunk("fmt ", Fmt(1, 1, 8000, 16)), Chunk("data", []), Chunk("LIST", [.. "INFO"u8])), "empty.wav");
        Assert.Empty(empty.Samples);
        // A partial last frame (a stream cut mid-sample) is dropped.
        var cut = WavReader.Read(Riff(Chunk("fmt ", Fmt(1, 2, 8000, 16)), Chunk("data", [1, 0, 2, 0, 3, 0], claimedSize: 0xFFFFFFFF, pad: false)), "cut.wav");
        Assert.Single(cut.Samples);
    }

    [Fact]
    public void Rf64WithItsDs64SizeIsRead()
    {
        byte[] ds64 = new byte[28];
        BinaryPrimitives.WriteInt64LittleEndian(ds64.AsSpan(8), 4);     // data size
        byte[] file = RiffAs("RF64", Chunk("ds64", ds64), Chunk("fmt ", Fmt(1, 1, 8000, 16)), Chunk("data", Int16(8192, 8192, 7), claimedSize: 0xFFFFFFFF));
        Assert.Equal([0.25f, 0.25f], WavReader.Read(file, "rf64.wav").Samples);
    }

    [Fact]
    public void TwelveBitSamplesInSixteenBitContainersAreRead()
    {
        var audio = WavReader.Read(Riff(Chunk("fmt ", Fmt(1, 1, 8000, 12, blockAlign: 2)), Chunk("data", Int16(0x4000))), "12bit.wav");
        Assert.Equal([0.5f], audio.Samples);
    }

    [Fact]
    public void ReadsFromAStreamThatCannotSeek()
    {
        byte[] bytes = File.ReadAllBytes(Fixture("sox-s16-mono.wav"));
        var audio = WavReader.Read(new OneWayStream(bytes), "pipe");
        Assert.Equal(WavReader.Read(bytes, "file").Samples, audio.Samples);
    }

    public static TheoryData<string, byte[], string> BadFiles() => new()
    {
        { "empty", [], "empty.wav is empty, not a WAV file" },
        { "short", [.. "RIFF"u8, 0, 0], "not a WAV file: 6 bytes, shorter than a RIFF header" },
        { "png", [0x89, .. "PNG\r\n\u001a\n"u8, 0, 0, 0, 0], "not a WAV file: it starts with '\\u0089PNG'" },
        { "avi", [.. "RIFF"u8, 4, 0, 0, 0, .. "AVI "u8], "not a WAV file: it starts with 'RIFF'…'AVI ', not 'RIFF'…'WAVE'" },
        { "rifx", [.. "RIFX"u8, 4, 0, 0, 0, .. "WAVE"u8], "big-endian WAV file (RIFX)" },
        { "no chunks", Riff(), "has no 'fmt ' chunk and no 'data' chunk" },
        { "no data", Riff(Chunk("fmt ", Fmt(1, 1, 8000, 16))), "has no 'data' chunk" },
        { "fmt cut", Riff(Chunk("fmt ", Fmt(1, 1, 8000, 16))[..14]), "truncated: its 'fmt ' chunk at offset 12 claims 16 bytes but only 6 follow" },
        { "data cut", Riff(Chunk("fmt ", Fmt(1, 1, 8000, 16)), Chunk("data", Int16(1, 2, 3), claimedSize: 1000)), "truncated: its 'data' chunk at offset 36 claims 1000 bytes but only 6 follow" },
        { "zero channels", Riff(Chunk("fmt ", Fmt(1, 0, 8000, 16, blockAlign: 2)), Chunk("data", Int16(1))), "says 0 channels; expected 1 to 256" },
        { "zero rate", Riff(Chunk("fmt ", Fmt(1, 1, 0, 16)), Chunk("data", Int16(1))), "sample rate of 0 Hz" },
        { "huge rate", Riff(Chunk("fmt ", Fmt(1, 1, 2_000_000_000, 16)), Chunk("data", Int16(1))), "sample rate of 2000000000 Hz" },
        { "zero align", Riff(Chunk("fmt ", Fmt(1, 1, 8000, 16, blockAlign: 0)), Chunk("data", Int16(1))), "frames of 0 bytes" },
        { "odd align", Riff(Chunk("fmt ", Fmt(1, 2, 8000, 16, blockAlign: 3)), Chunk("data", Int16(1))), "2 channels in frames of 3 bytes" },
        { "40 bits", Riff(Chunk("fmt ", Fmt(1, 1, 8000, 40)), Chunk("data", new byte[5])), "40-bit PCM samples in 5-byte containers" },
        { "16-bit float", Riff(Chunk("fmt ", Fmt(3, 1, 8000, 16)), Chunk("data", Int16(1))), "16-bit float samples in 2-byte containers" },
        { "short fmt", Riff(Chunk("fmt ", new byte[10]), Chunk("data", Int16(1))), "'fmt ' chunk is 10 bytes, shorter than the 16" },
        { "short extensible", Riff(Chunk("fmt ", Fmt(0xFFFE, 1, 8000, 16)), Chunk("data", Int16(1))), "WAVE_FORMAT_EXTENSIBLE (0xFFFE) but is 16 bytes" },
        { "mp3", Riff(Chunk("fmt ", Fmt(0x55, 1, 8000, 0, blockAlign: 1)), Chunk("data", [1])), "holds MP3 audio (WAV format code 0x0055)" },
        { "extensible mp3", Riff(Chunk("fmt ", FmtExtensible(0x55, 1, 8000, 16, 16)), Chunk("data", Int16(1))), "holds MP3 audio (WAV format code 0x0055)" },
        { "two fmt", Riff(Chunk("fmt ", Fmt(1, 1, 8000, 16)), Chunk("fmt ", Fmt(1, 1, 8000, 16)), Chunk("data", Int16(1))), "has two 'fmt ' chunks" },
        { "two data", Riff(Chunk("fmt ", Fmt(1, 1, 8000, 16)), Chunk("data", Int16(1)), Chunk("data", Int16(1))), "has two 'data' chunks" },
        { "NaN", Riff(Chunk("fmt ", Fmt(3, 1, 8000, 32)), Chunk("data", [0, 0, 0, 0, 0, 0, 0xC0, 0x7F])), "holds 1 non-finite float sample(s) (NaN or ±Inf), the first at frame 1" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void BadFilesGetOneClearMessageNamingTheFile(string what, byte[] bytes, string expected)
    {
        string name = what.Replace(' ', '-') + ".wav";
        var e = Assert.Throws<InvalidDataException>(() => WavReader.Read(bytes, name));
        Assert.StartsWith(name, e.Message);
        Assert.Contains(expected, e.Message);
        Assert.True(ErrorText.IsClean(e.Message), e.Message);
    }

    [Fact]
    public void AFileAboveTheByteLimitIsRejectedBeforeItIsRead()
    {
        string path = Path.Combine(Path.GetTempPath(), $"loom-wav-{Guid.NewGuid():N}.wav");
        File.Copy(Fixture("sox-s16-mono.wav"), path);
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => WavReader.Read(path, ReaderLimits.Default with { MaxWavBytes = 100 }));
            Assert.Contains("the file's size in bytes is 844, above the limit of 100 (ReaderLimits.MaxWavBytes", e.Message);
            Assert.StartsWith(path, e.Message);
            Assert.Equal(844, WavReader.Read(path, ReaderLimits.Default with { MaxWavBytes = 844 }).Samples.Length * 2 + 44);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void AMissingFileIsFileNotFound() =>
        Assert.Throws<FileNotFoundException>(() => WavReader.Read(Path.Combine(Path.GetTempPath(), "no-such-loom-clip.wav")));

    /// <summary>A stream that reads forward only, as a pipe does.</summary>
    private sealed class OneWayStream(byte[] bytes) : Stream
    {
        private int _at;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(Math.Min(count, 100), bytes.Length - _at);
            Array.Copy(bytes, _at, buffer, offset, n);
            _at += n;
            return n;
        }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
