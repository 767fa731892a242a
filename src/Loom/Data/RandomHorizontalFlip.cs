namespace Loom.Data;

/// <summary>
/// Mirrors a (C, H, W) sample left to right with probability <see cref="P"/>, as torchvision's
/// <c>RandomHorizontalFlip</c>. Draws exactly one number per sample, flipped or not, so the
/// generator's stream (and every later draw) does not depend on the outcome.
/// </summary>
public sealed class RandomHorizontalFlip : ITransform
{
    public float P { get; }

    public RandomHorizontalFlip(float p = 0.5f)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "The flip probability must be in [0, 1].");
        P = p;
    }

    public void Apply(Span<float> sample, int[] sampleShape, Rng rng)
    {
        var (channels, height, width) = ImageShape.Of(sampleShape, sample.Length, nameof(RandomHorizontalFlip));
        if (!(rng.NextFloat() < P)) return;
        Flip(sample, channels * height, width);
    }

    /// <summary>Reverses each of <paramref name="rows"/> rows of length <paramref name="width"/>.</summary>
    internal static void Flip(Span<float> sample, int rows, int width)
    {
        for (int r = 0; r < rows; r++) sample.Slice(r * width, width).Reverse();
    }
}
