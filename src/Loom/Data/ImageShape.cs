namespace Loom.Data;

/// <summary>Reads (C, H, W) from a sample shape for the image transforms; (H, W) counts as one channel.</summary>
internal static class ImageShape
{
    public static (int Channels, int Height, int Width) Of(int[] sampleShape, int sampleLength, string transform)
    {
        (int c, int h, int w) = sampleShape.Length switch
        {
            3 => (sampleShape[0], sampleShape[1], sampleShape[2]),
            2 => (1, sampleShape[0], sampleShape[1]),
            _ => throw new ArgumentException($"{transform} needs image samples of shape (C, H, W) or (H, W), not {ShapeUtil.Format(sampleShape)}."),
        };
        if ((long)c * h * w != sampleLength)
            throw new ArgumentException($"{transform}: the sample has {sampleLength} elements but shape {ShapeUtil.Format(sampleShape)} needs {(long)c * h * w}.");
        return (c, h, w);
    }
}
