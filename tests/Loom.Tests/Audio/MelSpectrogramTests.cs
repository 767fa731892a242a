using Loom.Audio;
using Loom.Tests.Parity;
using Xunit;

namespace Loom.Tests.Audio;

/// <summary>Log-mel and MFCC features of the fixture clip against the float64 references.</summary>
public class MelSpectrogramTests
{
    public static TheoryData<string> Cases => AudioFixture.CasesOf("logmel_");

    [Theory]
    [MemberData(nameof(Cases))]
    public void LogMelMatchesReference(string @case)
    {
        var f = AudioFixture.Instance;
        bool db = f.Meta(@case, "log") == "db";
        var mel = new MelSpectrogram(nMels: f.Int(@case, "n_mels"),
            scale: Enum.Parse<MelScale>(f.Meta(@case, "scale"), ignoreCase: true), norm: Enum.Parse<MelNorm>(f.Meta(@case, "norm"), ignoreCase: true),
            log: db ? LogCompression.Decibels : LogCompression.Natural,
            logEps: db ? 1e-6f : (float)f.Double(@case, "eps"), topDb: db ? (float)f.Double(@case, "top_db") : null);
        var actual = mel.Compute(f.Clip);
        // In log units an error is relative to the mel power: 3e-4 nepers (natural) or 1e-3 dB (≈ 2.3e-4 relative);
        // measured 8.2e-5 and 1.0e-4 (AVX2 path).
        ParityAssert.Close(f.Get(@case, "features"), actual, new Tolerance(db ? 1e-3 : 3e-4, 1e-5), @case);
    }

    [Theory]
    [InlineData("mfcc_13_db")]
    [InlineData("mfcc_40_natural")]
    public void MfccMatchesReference(string @case)
    {
        var f = AudioFixture.Instance;
        bool db = f.Meta(@case, "log") == "db";
        var mel = new MelSpectrogram(nMels: 40, log: db ? LogCompression.Decibels : LogCompression.Natural);
        var actual = new Mfcc(f.Int(@case, "n_mfcc"), mel).Compute(f.Clip);
        // A coefficient sums 40 log-mels of up to ~100 (dB) or ~10 (natural): the reduction's rounding on top of theirs.
        ParityAssert.Close(f.Get(@case, "mfcc"), actual, new Tolerance(db ? 5e-3 : 5e-4, 1e-4), @case);
    }

    [Fact]
    public void DefaultsGiveEightyMelsAHundredFramesASecond()
    {
        var mel = new MelSpectrogram();
        var clip = new float[16000];
        for (int i = 0; i < clip.Length; i++) clip[i] = 0.3f * MathF.Sin(2 * MathF.PI * 440 * i / 16000f);
        var features = mel.Compute(clip);
        Assert.Equal([80, 101], features.Shape);
        // The 440 Hz tone lands in the filter whose centre is nearest 440 Hz, in every interior frame.
        int expectedBand = -1;
        double best = double.MaxValue, melMax = MelFilterbank.HzToMel(8000);
        for (int m = 0; m < 80; m++)
        {
            double centre = MelFilterbank.MelToHz(melMax * (m + 1) / 81);
            if (Math.Abs(centre - 440) < best) { best = Math.Abs(centre - 440); expectedBand = m; }
        }
        for (int t = 5; t < 96; t++)
        {
            int argmax = 0;
            for (int m = 1; m < 80; m++) if (features.Data[m * 101 + t] > features.Data[argmax * 101 + t]) argmax = m;
            Assert.Equal(expectedBand, argmax);
        }
        Assert.Equal([40, 101], new Mfcc().Compute(clip).Shape);
    }

    [Fact]
    public void DctIsOrthonormal()
    {
        var d = Mfcc.DctMatrix(40, 40);
        for (int i = 0; i < 40; i++)
            for (int j = 0; j < 40; j++)
            {
                double dot = 0;
                for (int m = 0; m < 40; m++) dot += (double)d[i * 40 + m] * d[j * 40 + m];
                Assert.Equal(i == j ? 1.0 : 0.0, dot, 5);
            }
    }

    [Fact]
    public void BadParametersAreNamed()
    {
        Assert.Contains("n_mfcc", Assert.Throws<ArgumentException>(() => new Mfcc(41)).Message);
        Assert.Contains("log-compressed", Assert.Throws<ArgumentException>(() => new Mfcc(13, new MelSpectrogram(log: LogCompression.None))).Message);
        Assert.Contains("top_db", Assert.Throws<ArgumentException>(() => new MelSpectrogram(topDb: -1)).Message);
        var mel = new MelSpectrogram();
        Assert.Contains("needed", Assert.Throws<ArgumentException>(() => mel.Compute(new float[1600], new float[10])).Message);
    }
}
