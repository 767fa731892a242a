using Loom.Audio;
using Loom.Tests.Parity;
using Xunit;

namespace Loom.Tests.Audio;

/// <summary>The power spectrogram against torch.stft (reflect-centred, windows, odd n_fft, magnitude), framing and errors.</summary>
public class SpectrogramTests
{
    private static SpectrogramOptions OptionsOf(string @case)
    {
        var f = AudioFixture.Instance;
        return new SpectrogramOptions
        {
            NFft = f.Int(@case, "n_fft"),
            WinLength = f.Int(@case, "win_length"),
            HopLength = f.Int(@case, "hop_length"),
            Window = Enum.Parse<WindowFunction>(f.Meta(@case, "window"), ignoreCase: true),
            Center = f.Meta(@case, "center") == "true",
            Power = f.Int(@case, "power"),
        };
    }

    public static TheoryData<string> Cases => AudioFixture.CasesOf("stft_");

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTorchStft(string @case)
    {
        var expected = AudioFixture.Instance.Get(@case, "spec");
        var actual = new Spectrogram(OptionsOf(@case)).Compute(AudioFixture.Instance.Clip);
        // float32 FFT errors are a few ulps of a frame's energy, not of each bin: an absolute part at 1e-6 of the
        // largest value, and 1e-4 relative.
        float max = expected.Data.Max();
        ParityAssert.Close(expected, actual, new Tolerance(1e-6 * max, 1e-4), $"{@case} spectrogram");
    }

    [Fact]
    public void FrameCountsFollowTorch()
    {
        var centred = new Spectrogram();
        Assert.Equal(101, centred.FrameCount(16000)); // 1 s at 10 ms: 1 + 16000/160
        Assert.Equal(2, centred.FrameCount(201)); // the shortest clip a centred frame can mirror: 1 + 201/160
        Assert.Equal(3, centred.FrameCount(320));
        var plain = new Spectrogram(new SpectrogramOptions { Center = false });
        Assert.Equal(98, plain.FrameCount(16000)); // 1 + (16000 − 400)/160
        Assert.Equal(1, plain.FrameCount(400));
        Assert.Equal((201, 101), (centred.Compute(new float[16000]).Shape[0], centred.Compute(new float[16000]).Shape[1]));
    }

    [Fact]
    public void ShortOrNonFiniteClipsGetClearErrors()
    {
        var s = new Spectrogram();
        var e = Assert.Throws<ArgumentException>(() => s.Compute(new float[200]));
        Assert.Contains("200 samples is too short", e.Message);
        Assert.Contains("201 samples", e.Message);
        Assert.Throws<ArgumentException>(() => s.Compute([]));
        var plain = new Spectrogram(new SpectrogramOptions { Center = false });
        Assert.Contains("shorter than one frame", Assert.Throws<ArgumentException>(() => plain.Compute(new float[399])).Message);
        var clip = new float[1000];
        clip[637] = float.NaN;
        Assert.Contains("sample 637 of 1000 is NaN", Assert.Throws<ArgumentException>(() => s.Compute(clip)).Message);
    }

    [Fact]
    public void BadOptionsAreNamed()
    {
        Assert.Contains("win_length", Assert.Throws<ArgumentException>(() => new Spectrogram(new SpectrogramOptions { WinLength = 500 })).Message);
        Assert.Contains("hop_length", Assert.Throws<ArgumentException>(() => new Spectrogram(new SpectrogramOptions { HopLength = 0 })).Message);
        Assert.Contains("power", Assert.Throws<ArgumentException>(() => new Spectrogram(new SpectrogramOptions { Power = 3 })).Message);
        Assert.Contains("n_fft", Assert.Throws<ArgumentException>(() => new Spectrogram(new SpectrogramOptions { NFft = 0 })).Message);
    }

    [Fact]
    public void WindowsAreTorchs()
    {
        // torch.hann_window(4) = [0, 0.5, 1, 0.5]; torch.hamming_window(4) = [0.08, 0.54, 1, 0.54]; symmetric hann(5) ends in 0.
        Assert.Equal([0f, 0.5f, 1f, 0.5f], Window.Create(WindowFunction.Hann, 4).Select(v => MathF.Round(v, 6)).ToArray());
        Assert.Equal([0.08f, 0.54f, 1f, 0.54f], Window.Create(WindowFunction.Hamming, 4).Select(v => MathF.Round(v, 6)).ToArray());
        Assert.Equal(0f, Window.Create(WindowFunction.Hann, 5, periodic: false)[4], 6);
        Assert.Equal([1f], Window.Create(WindowFunction.Hann, 1));
    }
}
