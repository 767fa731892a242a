using Loom.Audio;
using Loom.Tests.Parity;
using Xunit;

namespace Loom.Tests.Audio;

/// <summary>Mel scales and filterbanks against the published definitions (fixtures written from them in numpy).</summary>
public class MelFilterbankTests
{
    public static TheoryData<string> Cases => AudioFixture.CasesOf("fb_");

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTheDefinition(string @case)
    {
        var f = AudioFixture.Instance;
        var fb = MelFilterbank.Create(f.Int(@case, "n_freqs"), f.Int(@case, "n_mels"), f.Int(@case, "sample_rate"),
            f.Double(@case, "f_min"), f.Double(@case, "f_max"),
            Enum.Parse<MelScale>(f.Meta(@case, "scale"), ignoreCase: true), Enum.Parse<MelNorm>(f.Meta(@case, "norm"), ignoreCase: true));
        var expected = f.Get(@case, "fb");
        // Weights are computed in double and rounded once: float32 rounding of the same value, plus the floor.
        ParityAssert.Close(expected, new Tensor(fb, expected.Shape), Tolerance.Elementwise, @case);
    }

    [Fact]
    public void ScalesHaveTheirAnchorPoints()
    {
        // HTK: 1000 Hz is 999.99 mels (the scale was fitted to make it 1000); Slaney: 1000 Hz is 15 mels, 6400 Hz is 42.
        Assert.Equal(999.9855, MelFilterbank.HzToMel(1000, MelScale.Htk), 3);
        Assert.Equal(15.0, MelFilterbank.HzToMel(1000, MelScale.Slaney), 12);
        Assert.Equal(42.0, MelFilterbank.HzToMel(6400, MelScale.Slaney), 12);
        Assert.Equal(7.5, MelFilterbank.HzToMel(500, MelScale.Slaney), 12);
        foreach (var scale in new[] { MelScale.Htk, MelScale.Slaney })
            foreach (double hz in new[] { 0.0, 20, 440, 999, 1000, 1001, 4000, 8000, 11025 })
                Assert.Equal(hz, MelFilterbank.MelToHz(MelFilterbank.HzToMel(hz, scale), scale), 9);
    }

    [Fact]
    public void SlaneyNormGivesEqualAreas()
    {
        // With Slaney's norm every triangle has area 1 in Hz (peak 2/width, width/2 · 2/width · 2 = … = 1), up to bin sampling.
        int nFreqs = 2049;
        var fb = MelFilterbank.Create(nFreqs, 40, 16000, norm: MelNorm.Slaney, scale: MelScale.Slaney);
        double binHz = 8000.0 / (nFreqs - 1);
        for (int m = 0; m < 40; m++)
        {
            double area = 0;
            for (int k = 0; k < nFreqs; k++) area += fb[m * nFreqs + k] * binHz;
            Assert.InRange(area, 0.97, 1.03);
        }
    }

    [Fact]
    public void TooManyMelsForTheBinsIsAnError()
    {
        var e = Assert.Throws<ArgumentException>(() => MelFilterbank.Create(201, 128, 16000));
        Assert.Contains("would be empty", e.Message);
        Assert.Contains("40.0 Hz apart", e.Message);
        Assert.Contains("f_max", Assert.Throws<ArgumentException>(() => MelFilterbank.Create(201, 40, 16000, fMax: 9000)).Message);
    }
}
