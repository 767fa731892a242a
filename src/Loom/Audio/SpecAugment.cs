using Loom.Data;

namespace Loom.Audio;

/// <summary>
/// SpecAugment's masking (Park et al. 2019) as a training transform over (features, frames) samples: a number of
/// frequency masks, each a band of f consecutive feature rows with f uniform in [0, F], and of time masks, each a run of
/// t consecutive frames with t uniform in [0, min(T, p·frames)], every mask placed uniformly where it fits and set to
/// <see cref="MaskValue"/> (0: after <see cref="UtteranceNormalization"/> that is the clip's mean, the paper's choice).
/// Time warping is left out: the paper found it the least useful of the three and the most costly.
/// </summary>
/// <remarks>
/// Each mask draws exactly two numbers from the loader's generator (width, then start), whatever the sample's size,
/// so the stream — and every later draw — is the same for every clip length. The paper's LibriSpeech policy LD is two
/// frequency masks of F = 27 (of 80 mels) and two time masks of T = 100 with p = 1; for short phrases at 10 ms a frame
/// the defaults here are two masks of F = 15 and two of T = 40 (0.4 s) capped at p = 0.2 of the clip.
/// </remarks>
public sealed class SpecAugment : ITransform
{
    public int FrequencyMasks { get; }
    public int MaxFrequencyWidth { get; }
    public int TimeMasks { get; }
    public int MaxTimeWidth { get; }

    /// <summary>The largest fraction of a clip's frames one time mask may cover (the paper's p).</summary>
    public float MaxTimeFraction { get; }

    public float MaskValue { get; }

    /// <summary>
    /// Whether samples are (frames, features), a sequence of frames as recurrent layers and the loader's trimming
    /// take them, rather than (features, frames).
    /// </summary>
    public bool FramesFirst { get; }

    public SpecAugment(int frequencyMasks = 2, int maxFrequencyWidth = 15, int timeMasks = 2, int maxTimeWidth = 40,
        float maxTimeFraction = 0.2f, float maskValue = 0f, bool framesFirst = false)
    {
        FramesFirst = framesFirst;
        if (frequencyMasks < 0 || timeMasks < 0) throw new ArgumentException($"SpecAugment: mask counts must not be negative (got {frequencyMasks} frequency, {timeMasks} time).");
        if (maxFrequencyWidth < 0 || maxTimeWidth < 0) throw new ArgumentException($"SpecAugment: mask widths must not be negative (got F = {maxFrequencyWidth}, T = {maxTimeWidth}).");
        if (!(maxTimeFraction >= 0 && maxTimeFraction <= 1)) throw new ArgumentException($"SpecAugment: the time fraction p must be in [0, 1], not {maxTimeFraction}.");
        if (!float.IsFinite(maskValue)) throw new ArgumentException($"SpecAugment: the mask value must be finite, not {maskValue}.");
        (FrequencyMasks, MaxFrequencyWidth, TimeMasks, MaxTimeWidth, MaxTimeFraction, MaskValue) =
            (frequencyMasks, maxFrequencyWidth, timeMasks, maxTimeWidth, maxTimeFraction, maskValue);
    }

    /// <summary>Masks a (features, frames) or (1, features, frames) sample in place; (frames, features) with <see cref="FramesFirst"/>.</summary>
    public void Apply(Span<float> sample, int[] sampleShape, Rng rng) => Apply(sample, sampleShape, -1, rng);

    /// <summary>As <see cref="Apply(Span{float}, int[], Rng)"/>, time masks within the first <paramref name="validSteps"/> frames (a padded clip's own).</summary>
    public void Apply(Span<float> sample, int[] sampleShape, int validSteps, Rng rng)
    {
        if (!FramesFirst)
        {
            var (rows, frames) = FeatureShape.Of(sampleShape, sample.Length, nameof(SpecAugment));
            Apply(sample, rows, frames, validSteps < 0 ? frames : validSteps, rng);
            return;
        }
        if (sampleShape is not [int steps, int features] || (long)steps * features != sample.Length)
            throw new ArgumentException($"{nameof(SpecAugment)} (frames first) needs samples of shape (frames, features) holding {sample.Length} values, not {ShapeUtil.Format(sampleShape)}.");
        ApplyFramesFirst(sample, features, steps, validSteps < 0 ? steps : validSteps, rng);
    }

    /// <summary>Masks <paramref name="frames"/> (frames, features) row-major, in place, as <see cref="Apply(Span{float}, int, int, int, Rng)"/> does (features, frames): the same draws in the same order.</summary>
    public void ApplyFramesFirst(Span<float> frames, int features, int steps, int validFrames, Rng rng) =>
        Mask(frames, features, steps, validFrames, framesFirst: true, rng);

    /// <summary>
    /// Masks <paramref name="features"/>, (rows, frames) row-major, in place; time masks fall within the first
    /// <paramref name="validFrames"/> frames (a padded clip's own length) and p is a fraction of those.
    /// </summary>
    public void Apply(Span<float> features, int rows, int frames, int validFrames, Rng rng) =>
        Mask(features, rows, frames, validFrames, framesFirst: false, rng);

    /// <summary>Both layouts: the frequency masks, then the time masks, two draws each; only where a band lies differs.</summary>
    private void Mask(Span<float> x, int features, int steps, int validFrames, bool framesFirst, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (features < 0 || steps < 0 || (long)features * steps > x.Length)
            throw new ArgumentException($"SpecAugment: {features} features × {steps} frames do not fit the {x.Length} values given.");
        if (validFrames < 0 || validFrames > steps)
            throw new ArgumentException($"SpecAugment: valid frames must be between 0 and {steps}, not {validFrames}.");
        for (int i = 0; i < FrequencyMasks; i++)
        {
            var (start, width) = Draw(Math.Min(MaxFrequencyWidth, features), features, rng);
            if (framesFirst) for (int t = 0; t < validFrames; t++) x.Slice(t * features + start, width).Fill(MaskValue);
            else x.Slice(start * steps, width * steps).Fill(MaskValue);
        }
        int maxTime = Math.Min(MaxTimeWidth, (int)(MaxTimeFraction * validFrames));
        for (int i = 0; i < TimeMasks; i++)
        {
            var (start, width) = Draw(maxTime, validFrames, rng);
            if (framesFirst) x.Slice(start * features, width * features).Fill(MaskValue);
            else for (int r = 0; r < features; r++) x.Slice(r * steps + start, width).Fill(MaskValue);
        }
    }

    // A width uniform in [0, maxWidth] and a start uniform in [0, size − width]: always two draws.
    private static (int Start, int Width) Draw(int maxWidth, int size, Rng rng)
    {
        int width = rng.NextInt(maxWidth + 1);
        int start = rng.NextInt(size - width + 1);
        return (start, width);
    }
}
