namespace Loom.Audio;

/// <summary>Reads (features, frames) from a feature sample's shape for the audio transforms; (1, F, T) counts too.</summary>
internal static class FeatureShape
{
    public static (int Rows, int Frames) Of(int[] sampleShape, int sampleLength, string transform)
    {
        (int rows, int frames) = sampleShape switch
        {
            [int f, int t] => (f, t),
            [1, int f, int t] => (f, t),
            _ => throw new ArgumentException($"{transform} needs feature samples of shape (features, frames) or (1, features, frames), not {ShapeUtil.Format(sampleShape)}."),
        };
        if ((long)rows * frames != sampleLength)
            throw new ArgumentException($"{transform}: the sample has {sampleLength} elements but shape {ShapeUtil.Format(sampleShape)} needs {(long)rows * frames}.");
        return (rows, frames);
    }
}
