using Xunit;
using static Loom.Tests.GradCheck.GradChecker;

namespace Loom.Tests.GradCheck;

/// <summary>MaxPool2d (inputs without ties), AvgPool2d in both padding-count modes, AdaptiveAvgPool2d.</summary>
public class PoolingGradTests
{
    [Theory]
    [InlineData(2, 3, 6, 6, 2, 2, 0, 1)]   // classic 2×2, stride 2
    [InlineData(1, 2, 7, 5, 3, 2, 1, 1)]   // overlapping windows, padding, odd sizes
    [InlineData(2, 1, 7, 7, 3, 1, 1, 1)]   // stride 1
    [InlineData(1, 2, 9, 8, 3, 2, 1, 2)]   // dilation
    public void MaxPool2d(int n, int c, int h, int w, int k, int s, int p, int d)
    {
        // Distinct values 0.05 apart: a step of 0.01 never changes which element wins.
        var x = Distinct(new Rng(70), 0.05f, n, c, h, w);
        Check(t => Functional.MaxPool2d(t, (k, k), (s, s), (p, p), (d, d)), x);
    }

    [Fact]
    public void MaxPool2dRectangular()
    {
        var x = Distinct(new Rng(71), 0.05f, 2, 2, 6, 7);
        Check(t => Functional.MaxPool2d(t, (2, 3), (2, 2), (1, 1), (1, 1)), x);
    }

    [Theory]
    [InlineData(2, 2, 6, 6, 2, 2, 0, true)]
    [InlineData(1, 2, 7, 5, 3, 2, 1, true)]
    [InlineData(1, 2, 7, 5, 3, 2, 1, false)]
    [InlineData(2, 1, 5, 6, 3, 1, 1, false)]
    [InlineData(1, 1, 8, 8, 4, 3, 2, true)]
    [InlineData(1, 1, 8, 8, 4, 3, 2, false)]
    public void AvgPool2d(int n, int c, int h, int w, int k, int s, int p, bool countIncludePad)
    {
        var x = Randn(new Rng(72), n, c, h, w);
        Check(t => Functional.AvgPool2d(t, (k, k), (s, s), (p, p), countIncludePad), x);
    }

    [Theory]
    [InlineData(6, 6, 3, 3)]
    [InlineData(7, 5, 3, 2)]   // overlapping adaptive windows
    [InlineData(5, 7, 1, 1)]   // global average
    [InlineData(3, 4, 5, 6)]   // upsampling: output larger than input
    public void AdaptiveAvgPool2d(int h, int w, int oh, int ow)
    {
        var x = Randn(new Rng(73), 2, 2, h, w);
        Check(t => Functional.AdaptiveAvgPool2d(t, (oh, ow)), x);
    }
}
