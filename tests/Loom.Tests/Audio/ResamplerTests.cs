using Loom.Audio;
using Xunit;

namespace Loom.Tests.Audio;

/// <summary>
/// The polyphase resampler against its naive twin (<see cref="ResamplerReference"/>) on random signals and odd
/// ratios, and its filter measured on tones: what passes, what is stopped, and what an upsampler's images leave.
/// </summary>
public sealed class ResamplerTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Theory]
    [InlineData(44100, 16000, 1000)]
    [InlineData(22050, 16000, 777)]
    [InlineData(8000, 16000, 333)]
    [InlineData(16000, 8000, 1001)]
    [InlineData(48000, 44100, 500)]
    [InlineData(11025, 16000, 17)]
    [InlineData(16000, 11025, 3)]
    [InlineData(44101, 16000, 300)]     // L = 16000 phases: past the table's size, taps computed per sample
    [InlineData(7, 5, 50)]
    public void MatchesTheNaiveTwinOnRandomSignals(int from, int to, int length)
    {
        var rng = new Random(from * 31 + to + length);
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        var r = new Resampler(from, to);
        float[] fast = r.Process(x);
        double[] naive = ResamplerReference.Resample(x, r);
        Assert.Equal(naive.Length, fast.Length);
        Assert.Equal(r.OutputLength(length), fast.Length);
        for (int k = 0; k < fast.Length; k++)
            Assert.True(Math.Abs(fast[k] - naive[k]) < 2e-5, $"{from}→{to} sample {k}: {fast[k]} vs {naive[k]}");
    }

    [Theory]
    [InlineData(44100, 16000, 160, 441)]
    [InlineData(22050, 16000, 320, 441)]
    [InlineData(8000, 16000, 2, 1)]
    public void TheRatioIsReduced(int from, int to, int up, int down)
    {
        var r = new Resampler(from, to);
        Assert.Equal((up, down), (r.Up, r.Down));
        Assert.Equal(to, r.OutputLength(from));     // one second in, one second out
    }

    [Fact]
    public void AConstantStaysConstantAndTheSameRateIsACopy()
    {
        var ones = Enumerable.Repeat(0.25f, 4000).ToArray();
        float[] y = new Resampler(44100, 16000).Process(ones);
        // Away from the edges (where the zeros outside the signal enter the filter), exactly the constant.
        for (int k = 200; k < y.Length - 200; k++) Assert.Equal(0.25f, y[k], 5e-6f);
        Assert.Equal(ones, Resampler.Resample(ones, 16000, 16000));
    }

    /// <summary>
    /// 44.1 kHz → 16 kHz: a 1 kHz tone passes within 0.01 dB; a 10 kHz tone (above the new Nyquist frequency, 8 kHz,
    /// so it would alias to 6 kHz) is measured at −95.6 dB at 6 kHz, asserted below −75 dB; a 7 kHz tone (under the passband edge, 7.2 kHz) keeps its level within 0.05 dB
    /// (measured 0.0005 dB).
    /// </summary>
    [Fact]
    public void DownsamplingPassesTheBandAndStopsWhatWouldAlias()
    {
        var r = new Resampler(44100, 16000);
        double passed = Amplitude(r.Process(Tone(1000, 44100, 44100)), 1000, 16000);
        Assert.InRange(20 * Math.Log10(passed), -0.01, 0.01);
        double aliased = Amplitude(r.Process(Tone(10000, 44100, 44100)), 6000, 16000);
        Assert.True(20 * Math.Log10(aliased) < -75, $"10 kHz tone left {20 * Math.Log10(aliased):F1} dB at 6 kHz");
        double passbandEdge = Amplitude(r.Process(Tone(7000, 44100, 44100)), 7000, 16000);
        output.WriteLine($"alias {20 * Math.Log10(aliased):F2} dB, pass {20 * Math.Log10(passed):F4} dB, 7 kHz {20 * Math.Log10(passbandEdge):F4} dB");
        Assert.InRange(20 * Math.Log10(passbandEdge), -0.05, 0.05);     // 7 kHz < 0.9 × 8 kHz: still flat
    }

    /// <summary>8 kHz → 16 kHz: a 3 kHz tone keeps its level, and its image (mirrored about the old Nyquist frequency, at 8 − 3 = 5 kHz) is stopped: measured −101.9 dB, asserted below −75 dB.</summary>
    [Fact]
    public void UpsamplingLeavesNoImage()
    {
        var r = new Resampler(8000, 16000);
        float[] y = r.Process(Tone(3000, 8000, 8000));
        Assert.InRange(20 * Math.Log10(Amplitude(y, 3000, 16000)), -0.01, 0.01);
        double image = Amplitude(y, 5000, 16000);
        output.WriteLine($"image {20 * Math.Log10(image):F2} dB");
        Assert.True(20 * Math.Log10(image) < -75, $"image at 5 kHz: {20 * Math.Log10(image):F1} dB");
    }

    [Fact]
    public void BadArgumentsAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Resampler(0, 16000));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Resampler(16000, 16000, attenuationDb: 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Resampler(16000, 8000, passband: 1));
        Assert.Throws<ArgumentException>(() => new Resampler(16000, 8000).Process(new float[10], new float[4]));
    }

    [Fact]
    public void BesselI0MatchesKnownValues()
    {
        Assert.Equal(1.0, Resampler.BesselI0(0), 15);
        Assert.Equal(1.2660658777520082, Resampler.BesselI0(1), 13);
        Assert.Equal(2815.716628466254, Resampler.BesselI0(10), 9);
    }

    private static float[] Tone(double hz, int rate, int length)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)Math.Sin(2 * Math.PI * hz * i / rate);
        return x;
    }

    /// <summary>The amplitude of the <paramref name="hz"/> component of the middle half of <paramref name="y"/> (edges excluded), by projection onto a sine and cosine.</summary>
    private static double Amplitude(float[] y, double hz, int rate)
    {
        int start = y.Length / 4, count = y.Length / 2;
        // A whole number of cycles, so the projection has no leakage from the other tones.
        double cycles = Math.Floor(count * hz / rate);
        count = (int)Math.Round(cycles * rate / hz);
        double c = 0, s = 0;
        for (int i = 0; i < count; i++)
        {
            double phase = 2 * Math.PI * hz * (start + i) / rate;
            c += y[start + i] * Math.Cos(phase);
            s += y[start + i] * Math.Sin(phase);
        }
        return 2 * Math.Sqrt(c * c + s * s) / count;
    }
}
