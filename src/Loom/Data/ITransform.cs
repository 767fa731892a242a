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

    /// <summary>
    /// As <see cref="Apply(Span{float}, int[], Rng)"/> for a sequence padded to <paramref name="sampleShape"/>[0] steps of
    /// which the first <paramref name="validSteps"/> are its own (the loader calls this for an
    /// <see cref="IVariableLengthDataset"/>); a transform that must not touch the padding, or that scales by the length,
    /// overrides it. The default ignores the length.
    /// </summary>
    void Apply(Span<float> sample, int[] sampleShape, int validSteps, Rng rng) => Apply(sample, sampleShape, rng);
}
