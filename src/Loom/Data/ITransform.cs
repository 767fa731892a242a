namespace Loom.Data;

/// <summary>
/// A per-sample transform (augmentation or normalisation) that a <see cref="DataLoader"/> applies
/// in place while it assembles a batch. Samples are (C, H, W); a transform keeps the shape.
/// </summary>
/// <remarks>
/// Draw all randomness from <c>rng</c>, never from a generator of your own: the loader seeds it from
/// its seed and the epoch, so augmented epochs are as repeatable as shuffled ones. Implementations
/// are called from the loader's prefetch task and must not allocate per call.
/// </remarks>
public interface ITransform
{
    /// <summary>Transforms <paramref name="sample"/> (shape <paramref name="sampleShape"/>, usually (C, H, W)) in place.</summary>
    void Apply(Span<float> sample, int[] sampleShape, Rng rng);
}
