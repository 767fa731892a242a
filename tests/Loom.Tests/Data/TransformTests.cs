using Loom.Data;
using Xunit;

namespace Loom.Tests.Data;

public sealed class TransformTests
{
    private static float[] Ramp(int n) { var x = new float[n]; for (int i = 0; i < n; i++) x[i] = i + 1; return x; }

    [Fact]
    public void FlipTwiceIsIdentity()
    {
        int[] shape = [2, 3, 4];
        var original = Ramp(24);
        var x = (float[])original.Clone();
        var flip = new RandomHorizontalFlip(p: 1f);
        var rng = new Rng(1);

        flip.Apply(x, shape, rng);
        Assert.Equal([4f, 3, 2, 1], x[..4]);
        Assert.Equal([16f, 15, 14, 13], x[12..16]);
        flip.Apply(x, shape, rng);
        Assert.Equal(original, x);
    }

    [Fact]
    public void FlipWithZeroProbabilityKeepsTheSampleButStillDraws()
    {
        var x = Ramp(6);
        var rng = new Rng(3);
        new RandomHorizontalFlip(p: 0f).Apply(x, [1, 2, 3], rng);
        Assert.Equal(Ramp(6), x);
        var reference = new Rng(3);
        reference.NextFloat();
        Assert.Equal(reference.NextUInt(), rng.NextUInt());
    }

    [Fact]
    public void FlipFlipsAboutHalfTheSamples()
    {
        var rng = new Rng(7);
        var flip = new RandomHorizontalFlip();
        int flipped = 0;
        for (int i = 0; i < 1000; i++)
        {
            float[] x = [1, 2];
            flip.Apply(x, [1, 1, 2], rng);
            if (x[0] == 2) flipped++;
        }
        Assert.InRange(flipped, 430, 570);
    }

    [Fact]
    public void ShiftMovesContentAndZeroFills()
    {
        // 1×3×3 image 1..9, shifted so that out[y, x] = in[y + 1, x − 1].
        var x = Ramp(9);
        RandomCrop.Shift(x, 1, 3, 3, dy: 1, dx: -1);
        Assert.Equal([0f, 4, 5, 0, 7, 8, 0, 0, 0], x);

        x = Ramp(9);
        RandomCrop.Shift(x, 1, 3, 3, dy: -2, dx: 2);
        Assert.Equal([0f, 0, 0, 0, 0, 0, 3, 0, 0], x);

        x = Ramp(18);
        RandomCrop.Shift(x, 2, 3, 3, dy: 0, dx: 1);
        Assert.Equal([2f, 3, 0, 5, 6, 0, 8, 9, 0, 11, 12, 0, 14, 15, 0, 17, 18, 0], x);

        x = Ramp(9);
        RandomCrop.Shift(x, 1, 3, 3, dy: 3, dx: 0);
        Assert.All(x, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void ShiftMatchesANaivePadAndCrop()
    {
        var rng = new Rng(11);
        for (int trial = 0; trial < 50; trial++)
        {
            int c = 1 + rng.NextInt(3), h = 1 + rng.NextInt(7), w = 1 + rng.NextInt(7);
            int dy = rng.NextInt(2 * h + 1) - h, dx = rng.NextInt(2 * w + 1) - w;
            var input = Ramp(c * h * w);
            var expected = new float[input.Length];
            for (int ch = 0; ch < c; ch++)
                for (int y = 0; y < h; y++)
                    for (int xx = 0; xx < w; xx++)
                    {
                        int sy = y + dy, sx = xx + dx;
                        if (sy >= 0 && sy < h && sx >= 0 && sx < w) expected[(ch * h + y) * w + xx] = input[(ch * h + sy) * w + sx];
                    }
            RandomCrop.Shift(input, c, h, w, dy, dx);
            Assert.Equal(expected, input);
        }
    }

    [Fact]
    public void RandomCropKeepsShapeAndShiftsWithinPadding()
    {
        var crop = new RandomCrop(28, padding: 4);
        var rng = new Rng(5);
        var offsets = new HashSet<(int, int)>();
        for (int trial = 0; trial < 400; trial++)
        {
            // A single lit pixel at (12, 12): after the crop it sits at (12 − dy, 12 − dx) with |d| ≤ 4.
            var x = new float[28 * 28];
            x[12 * 28 + 12] = 1;
            crop.Apply(x, [1, 28, 28], rng);
            Assert.Equal(28 * 28, x.Length);
            Assert.Equal(1f, x.Sum());
            int at = Array.IndexOf(x, 1f);
            int y = at / 28, xx = at % 28;
            Assert.InRange(y, 8, 16);
            Assert.InRange(xx, 8, 16);
            offsets.Add((y, xx));
        }
        Assert.True(offsets.Count > 60, $"only {offsets.Count} of 81 offsets seen");

        var ex = Assert.Throws<ArgumentException>(() => crop.Apply(new float[32 * 32], [1, 32, 32], rng));
        Assert.Contains("28×28", ex.Message);
    }

    [Fact]
    public void NormalizeSingleAndPerChannel()
    {
        float[] x = [0f, 0.5f, 1f, 0.25f];
        new Normalize(0.5f, 0.25f).Apply(x, [1, 2, 2], new Rng(0));
        Assert.Equal([-2f, 0f, 2f, -1f], x);

        float[] y = [1f, 3f, 10f, 20f];
        new Normalize([1f, 10f], [2f, 5f]).Apply(y, [2, 1, 2], new Rng(0));
        Assert.Equal([0f, 1f, 0f, 2f], y);

        Assert.Throws<ArgumentException>(() => new Normalize([1f, 2f, 3f], [1f, 1f, 1f]).Apply(new float[4], [2, 1, 2], new Rng(0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Normalize(0f, 0f));
    }
}
