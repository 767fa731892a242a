using Loom.Data;

namespace Loom.Audio;

/// <summary>
/// Vocal tract length perturbation (Jaitly and Hinton 2013) on (frames, mel bands) features: each clip's bands are
/// stretched or squeezed by one factor α drawn uniformly from [1 − <see cref="MaxWarp"/>, 1 + <see cref="MaxWarp"/>],
/// band f taking the value at f·α (linearly interpolated, the top band held beyond the end), as a longer or shorter
/// vocal tract moves the formants. It makes a model trained on some speakers meet others' voices; a training transform
/// only, one draw per clip from the loader's generator.
/// </summary>
public sealed class FrequencyWarp : ITransform
{
    /// <summary>The largest relative stretch (0.1: factors 0.9 to 1.1).</summary>
    public float MaxWarp { get; }

    public FrequencyWarp(float maxWarp = 0.1f)
    {
        if (!(maxWarp >= 0 && maxWarp < 0.5f)) throw new ArgumentException($"Frequency warp: the largest stretch must be in [0, 0.5), not {maxWarp}.");
        MaxWarp = maxWarp;
    }

    public void Apply(Span<float> sample, int[] sampleShape, Rng rng) => Apply(sample, sampleShape, -1, rng);

    /// <summary>Warps the first <paramref name="validSteps"/> frames of a (frames, bands) sample in place.</summary>
    public void Apply(Span<float> sample, int[] sampleShape, int validSteps, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (sampleShape is not [int steps, int bands] || (long)steps * bands != sample.Length)
            throw new ArgumentException($"Frequency warp needs samples of shape (frames, bands) holding {sample.Length} values, not {ShapeUtil.Format(sampleShape)}.");
        float alpha = 1 + MaxWarp * (2 * rng.NextFloat() - 1);
        int frames = validSteps < 0 ? steps : Math.Min(validSteps, steps);
        if (bands < 2 || frames == 0) return;
        Span<float> row = bands <= 512 ? stackalloc float[bands] : new float[bands];
        for (int t = 0; t < frames; t++)
        {
            var frame = sample.Slice(t * bands, bands);
            frame.CopyTo(row);
            for (int f = 0; f < bands; f++)
            {
                float x = Math.Min(f * alpha, bands - 1);
                int lo = (int)x;
                int hi = Math.Min(lo + 1, bands - 1);
                float w = x - lo;
                frame[f] = row[lo] + w * (row[hi] - row[lo]);
            }
        }
    }
}
