using Loom.Audio;
using Xunit;

namespace Loom.Tests.Audio;

/// <summary>SpecAugment's masks: whole bands and runs, within the stated widths, repeatable by seed, nothing else touched.</summary>
public class SpecAugmentTests
{
    private const int Rows = 40, Frames = 120;

    private static float[] Ramp()
    {
        var x = new float[Rows * Frames];
        for (int i = 0; i < x.Length; i++) x[i] = 1 + i; // no cell equals the mask value 0
        return x;
    }

    [Fact]
    public void MasksAreWholeBandsAndRunsWithinTheirWidths()
    {
        var aug = new SpecAugment(frequencyMasks: 2, maxFrequencyWidth: 7, timeMasks: 3, maxTimeWidth: 30, maxTimeFraction: 0.2f);
        bool sawFrequency = false, sawTime = false;
        for (ulong seed = 0; seed < 200; seed++)
        {
            var x = Ramp();
            aug.Apply(x, [Rows, Frames], new Rng(seed));
            var rowMasked = new bool[Rows];
            var colMasked = new bool[Frames];
            for (int r = 0; r < Rows; r++) rowMasked[r] = Enumerable.Range(0, Frames).All(t => x[r * Frames + t] == 0);
            for (int t = 0; t < Frames; t++) colMasked[t] = Enumerable.Range(0, Rows).All(r => x[r * Frames + t] == 0);
            // Every cell is either untouched or inside a fully masked row or column.
            for (int r = 0; r < Rows; r++)
                for (int t = 0; t < Frames; t++)
                {
                    float v = x[r * Frames + t];
                    Assert.True(v == 1 + r * Frames + t || (v == 0 && (rowMasked[r] || colMasked[t])), $"seed {seed}: cell ({r}, {t}) is {v}.");
                }
            // Masked rows: at most 2 bands of at most 7; masked frames: at most 3 runs of at most min(30, 0.2·120) = 24.
            Assert.InRange(rowMasked.Count(m => m), 0, 14);
            Assert.InRange(Runs(colMasked).DefaultIfEmpty(0).Max(), 0, 3 * 24);
            Assert.True(Runs(rowMasked).Count() <= 2 && Runs(colMasked).Count() <= 3, $"seed {seed}: too many masks.");
            sawFrequency |= rowMasked.Any(m => m);
            sawTime |= colMasked.Any(m => m);
        }
        Assert.True(sawFrequency && sawTime, "200 seeds drew no mask of one kind.");
    }

    [Fact]
    public void SameSeedSameMasksAndTheStreamDoesNotDependOnTheClip()
    {
        var aug = new SpecAugment();
        var a = Ramp();
        var b = Ramp();
        aug.Apply(a, [1, Rows, Frames], new Rng(42));
        aug.Apply(b, [1, Rows, Frames], new Rng(42));
        Assert.Equal(a, b);
        // Two draws per mask whatever the size: a short clip leaves the generator where a long one does.
        var r1 = new Rng(5);
        var r2 = new Rng(5);
        aug.Apply(new float[80 * 10], [80, 10], r1);
        aug.Apply(new float[80 * 500], [80, 500], r2);
        Assert.Equal(r1.NextUInt(), r2.NextUInt());
    }

    [Fact]
    public void TimeMasksStayInsideTheValidFrames()
    {
        var aug = new SpecAugment(frequencyMasks: 0, timeMasks: 2, maxTimeWidth: 50, maxTimeFraction: 1f);
        for (ulong seed = 0; seed < 100; seed++)
        {
            var x = Ramp();
            aug.Apply(x, Rows, Frames, validFrames: 60, new Rng(seed));
            for (int r = 0; r < Rows; r++)
                for (int t = 60; t < Frames; t++) Assert.Equal(1 + r * Frames + t, x[r * Frames + t]);
        }
    }

    [Fact]
    public void NoMasksIsTheIdentityAndBadArgumentsAreNamed()
    {
        var x = Ramp();
        new SpecAugment(0, 10, 0, 10).Apply(x, [Rows, Frames], new Rng(1));
        Assert.Equal(Ramp(), x);
        Assert.Contains("counts", Assert.Throws<ArgumentException>(() => new SpecAugment(frequencyMasks: -1)).Message);
        Assert.Contains("fraction", Assert.Throws<ArgumentException>(() => new SpecAugment(maxTimeFraction: 2)).Message);
        Assert.Contains("(features, frames)", Assert.Throws<ArgumentException>(() => new SpecAugment().Apply(x, [2, Rows, Frames / 2], new Rng(1))).Message);
    }

    private static IEnumerable<int> Runs(bool[] mask)
    {
        int run = 0;
        foreach (bool m in mask)
        {
            if (m) run++;
            else if (run > 0) { yield return run; run = 0; }
        }
        if (run > 0) yield return run;
    }
}
