namespace Loom.Data;

/// <summary>
/// Pads a (C, H, W) sample with <see cref="Padding"/> zeros on every side and crops a random
/// <see cref="Height"/>×<see cref="Width"/> window back out, as torchvision's
/// <c>RandomCrop(size, padding)</c>: the image shifts by up to ±padding pixels in each direction
/// and the uncovered border is zero. The transform works in place, so the window must have the
/// input's size (H, W).
/// </summary>
public sealed class RandomCrop : ITransform
{
    public int Height { get; }
    public int Width { get; }
    public int Padding { get; }

    /// <summary>A square <paramref name="size"/>×<paramref name="size"/> window, e.g. RandomCrop(28, padding: 4).</summary>
    public RandomCrop(int size, int padding = 0) : this(size, size, padding) { }

    /// <summary>A <paramref name="height"/>×<paramref name="width"/> window.</summary>
    public RandomCrop(int height, int width, int padding)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        Height = height;
        Width = width;
        Padding = padding;
    }

    public void Apply(Span<float> sample, int[] sampleShape, Rng rng)
    {
        var (channels, height, width) = ImageShape.Of(sampleShape, sample.Length, nameof(RandomCrop));
        if (height != Height || width != Width)
            throw new ArgumentException($"RandomCrop({Height}×{Width}, padding: {Padding}) transforms in place and needs {Height}×{Width} samples, not {ShapeUtil.Format(sampleShape)}.");
        // Top-left corner of the window in padded coordinates, uniform in [0, 2·padding] as torchvision's
        // randint(0, H + 2p − size + 1); always two draws so the stream does not depend on the image.
        int top = rng.NextInt(2 * Padding + 1);
        int left = rng.NextInt(2 * Padding + 1);
        Shift(sample, channels, height, width, top - Padding, left - Padding);
    }

    /// <summary>
    /// Sets out[c, y, x] = in[c, y + dy, x + dx], or 0 where that falls outside the image, in place
    /// and without a scratch buffer.
    /// </summary>
    internal static void Shift(Span<float> sample, int channels, int height, int width, int dy, int dx)
    {
        if (dy == 0 && dx == 0) return;
        int plane = height * width;
        // Output row y reads input row y + dy. Walking rows in the direction of the shift reads every
        // source row before it is overwritten; within a row, Span.CopyTo is safe for overlap.
        int first = dy >= 0 ? 0 : height - 1, step = dy >= 0 ? 1 : -1;
        int copyLength = Math.Max(0, width - Math.Abs(dx));
        int dstX = Math.Max(0, -dx), srcX = Math.Max(0, dx);
        for (int c = 0; c < channels; c++)
        {
            var image = sample.Slice(c * plane, plane);
            for (int i = 0, y = first; i < height; i++, y += step)
            {
                var dst = image.Slice(y * width, width);
                int sy = y + dy;
                if ((uint)sy >= (uint)height || copyLength == 0) { dst.Clear(); continue; }
                image.Slice(sy * width + srcX, copyLength).CopyTo(dst.Slice(dstX, copyLength));
                dst[..dstX].Clear();
                dst[(dstX + copyLength)..].Clear();
            }
        }
    }
}
