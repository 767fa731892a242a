using Loom.Audio;
using Loom.Tests.Parity;
using Xunit;

namespace Loom.Tests.Audio;

public class UtteranceNormalizationTests
{
    [Fact]
    public void MatchesLayerNormOverFrames()
    {
        var f = AudioFixture.Instance;
        var x = f.Get("cmvn", "x");
        new UtteranceNormalization((float)f.Double("cmvn", "eps")).Apply(x.Data, x.Shape, new Rng(0));
        ParityAssert.Close(f.Get("cmvn", "y"), x, Tolerance.Reduction, "per-utterance normalisation");
    }

    [Fact]
    public void PaddedFramesAreLeftOutOfTheStatisticsAndZeroed()
    {
        // Two rows of 3 valid frames padded to 5: the statistics are those of the 3, the padding becomes 0.
        float[] x = [1, 2, 3, 99, 99, 10, 10, 13, -5, -5];
        UtteranceNormalization.Apply(x, 2, 5, 3, eps: 0);
        float s = MathF.Sqrt(2f / 3);
        Assert.Equal(new[] { -1 / s, 0, 1 / s, 0, 0 }, x[..5], new FloatTolerance(1e-5f));
        Assert.Equal(new[] { -1 / MathF.Sqrt(2), -1 / MathF.Sqrt(2), 2 / MathF.Sqrt(2), 0, 0 }, x[5..], new FloatTolerance(1e-5f));
        Assert.Throws<ArgumentException>(() => UtteranceNormalization.Apply(x, 2, 5, 0));
        Assert.Contains("(features, frames)", Assert.Throws<ArgumentException>(() => new UtteranceNormalization().Apply(x, [2, 1, 5], new Rng(0))).Message);
    }

    private sealed class FloatTolerance(float tol) : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => Math.Abs(a - b) <= tol;
        public int GetHashCode(float v) => 0;
    }
}
