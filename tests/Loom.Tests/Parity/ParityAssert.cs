using System.Globalization;
using Xunit;

namespace Loom.Tests.Parity;

/// <summary>
/// A tolerance |actual − expected| ≤ Abs + Rel·|expected|, element-wise. The references are float64
/// results rounded to float32 once, so the tolerance budgets Loom's float32 arithmetic only.
/// </summary>
internal readonly record struct Tolerance(double Abs, double Rel)
{
    // Measured against the torch 1.13 fixtures: Loom's largest error is about a tenth of these budgets
    // or less everywhere, while moving any single reference element by 0.1% fails its test.

    /// <summary>
    /// Element-wise maps (activations, pooling, optimizer updates): a few float32 ulps of the value,
    /// and an absolute floor for values near zero.
    /// </summary>
    public static readonly Tolerance Elementwise = new(1e-6, 1e-5);

    /// <summary>
    /// Dot products and reductions of up to a few hundred O(1) terms (linear, conv, batch norm, losses):
    /// float32 sums taken in another order than float64's differ by about √K·ε·Σ|terms| (K terms), which
    /// is large next to a result that mostly cancels (a conv weight gradient sums ~400 products of
    /// either sign; errors of 2e-5 on values near 2 occur). Loom's GEMM may also block or split its sums
    /// across threads, changing the order again.
    /// </summary>
    public static readonly Tolerance Reduction = new(1e-5, 1e-4);

    /// <summary>
    /// A whole small network forward and backward. Its values are small (logits ≈ 0.1, gradients
    /// 1e-3 … 0.4) and the observed errors ≈ 1e-7, so the floor is lower than <see cref="Reduction"/>'s
    /// while the relative part allows errors to compound through five layers.
    /// </summary>
    public static readonly Tolerance Model = new(1e-6, 1e-4);
}

internal static class ParityAssert
{
    /// <summary>
    /// Asserts the shapes are equal and every element is within <paramref name="tol"/>; on failure
    /// names the worst element (flat and multi-index), its values and the tolerance there.
    /// </summary>
    public static void Close(Tensor expected, Tensor? actual, Tolerance tol, string what)
    {
        Assert.True(actual is not null, $"{what}: Loom produced nothing (null tensor), expected shape {ShapeUtil.Format(expected.Shape)}.");
        Assert.True(expected.Shape.SequenceEqual(actual!.Shape),
            $"{what}: shape {ShapeUtil.Format(actual.Shape)}, expected {ShapeUtil.Format(expected.Shape)}.");
        Close(expected.Data, actual.Data, tol, what, expected.Shape);
    }

    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, Tolerance tol, string what, int[]? shape = null)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} elements, expected {expected.Length}.");
        Assert.True(expected.Length > 0, $"{what}: nothing to compare.");
        int worst = -1;
        double worstRatio = 0, maxErr = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            double err = Math.Abs(a - e);
            double allowed = tol.Abs + tol.Rel * Math.Abs(e);
            // NaN in either side fails: the ratio is NaN, so it is treated as infinitely bad.
            double ratio = double.IsNaN(err) ? double.PositiveInfinity : err / allowed;
            if (ratio > worstRatio || worst < 0) { worstRatio = ratio; worst = i; }
            if (!double.IsNaN(err)) maxErr = Math.Max(maxErr, err);
        }
        if (worstRatio <= 1) return;
        double ex = expected[worst], ac = actual[worst];
        Assert.Fail(string.Create(CultureInfo.InvariantCulture,
            $"{what}: element {worst}{Index(shape, worst)} is {ac:G9}, PyTorch gives {ex:G9} (error {Math.Abs(ac - ex):G3}, " +
            $"tolerance {tol.Abs:G2} + {tol.Rel:G2}·|expected| = {tol.Abs + tol.Rel * Math.Abs(ex):G3}); largest error anywhere {maxErr:G3}."));
    }

    private static string Index(int[]? shape, int flat)
    {
        if (shape is null || shape.Length < 2) return "";
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return " [" + string.Join(", ", index) + "]";
    }
}
