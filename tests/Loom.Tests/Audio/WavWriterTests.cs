using Loom.Audio;
using Xunit;

namespace Loom.Tests.Audio;

public sealed class WavWriterTests
{
    [Theory]
    [InlineData(16, 1 / 65536.0)]
    [InlineData(8, 1 / 256.0)]
    public void WrittenFilesReadBackWithinHalfAStep(int bits, double halfStep)
    {
        var rng = new Random(5);
        float[] samples = new float[1001];     // odd: the 8-bit file needs its pad byte
        for (int i = 0; i < samples.Length; i++) samples[i] = (float)(rng.NextDouble() * 1.98 - 0.99);
        samples[0] = 1f; samples[1] = -1f; samples[2] = 3f; samples[3] = -7f;     // full scale and beyond: clipped
        byte[] bytes = WavWriter.ToBytes(samples, 16000, bits);
        Assert.Equal(44 + samples.Length * bits / 8 + (bits == 8 ? 1 : 0), bytes.Length);
        var audio = WavReader.Read(bytes, "written.wav");
        Assert.Equal((16000, 1, bits, false), (audio.SampleRate, audio.Channels, audio.BitsPerSample, audio.IsFloat));
        Assert.Equal(samples.Length, audio.Samples.Length);
        float max = (bits == 16 ? 32767 : 127) / (bits == 16 ? 32768f : 128f);
        Assert.Equal([max, -1f, max, -1f], audio.Samples[..4]);
        for (int i = 4; i < samples.Length; i++)
            Assert.True(Math.Abs(audio.Samples[i] - samples[i]) <= halfStep + 1e-9, $"sample {i}: {audio.Samples[i]} vs {samples[i]}");
    }

    [Fact]
    public void WriteIsAtomicAndSoxReadsTheSameHeader()
    {
        string dir = Directory.CreateTempSubdirectory("loom-wav-").FullName;
        try
        {
            string path = Path.Combine(dir, "clip.wav");
            WavWriter.Write(path, [0.5f, -0.25f], 8000);
            Assert.Equal(["clip.wav"], Directory.GetFiles(dir).Select(Path.GetFileName));
            // The 44-byte header of sox's own 16-bit mono 8 kHz file (Fixtures/audio/wav/sox-s16-mono.wav), sizes aside.
            byte[] sox = File.ReadAllBytes(WavFiles.Fixture("sox-s16-mono.wav"));
            byte[] ours = File.ReadAllBytes(path);
            Assert.Equal(sox[8..40], ours[8..40]);
            Assert.Equal([0.5f, -0.25f], WavReader.Read(path).Samples);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void BadArgumentsAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => WavWriter.ToBytes([0f], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => WavWriter.ToBytes([0f], 8000, 24));
        Assert.Throws<DirectoryNotFoundException>(() => WavWriter.Write("/no/such/loom/dir/x.wav", [0f], 8000));
    }
}
