using System.Numerics.Tensors;
using Loom.Data;

namespace Loom.Audio;

/// <summary>
/// Per-utterance mean and variance normalisation (CMVN): each feature row of a (features, frames) clip is shifted to
/// mean 0 and scaled to variance 1 over the clip's frames, x ← (x − μ)/√(σ² + eps) with the population variance —
/// <c>F.layer_norm(x, (frames,), eps=1e-5)</c> without affine parameters. It removes what a channel and a speaker add to
/// every frame alike (a microphone's colouring is a constant offset in log-mel), so a model trained on some voices
/// meets others on the same scale. Deterministic; as an <see cref="ITransform"/> it ignores the generator.
/// </summary>
public sealed class UtteranceNormalization : ITransform
{
    public float Eps { get; }

    public UtteranceNormalization(float eps = 1e-5f)
    {
        if (!(eps > 0) || !float.IsFinite(eps)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be positive and finite.");
        Eps = eps;
    }

    /// <summary>Normalises a (features, frames) or (1, features, frames) sample in place.</summary>
    public void Apply(Span<float> sample, int[] sampleShape, Rng rng)
    {
        var (rows, frames) = FeatureShape.Of(sampleShape, sample.Length, nameof(UtteranceNormalization));
        Apply(sample, rows, frames, frames, Eps);
    }

    /// <summary>
    /// Normalises <paramref name="features"/>, (rows, frames) row-major, in place, taking the statistics of the first
    /// <paramref name="validFrames"/> frames (a clip padded to a batch's length is normalised by its own frames; the
    /// padding is set to 0, the normalised mean).
    /// </summary>
    public static void Apply(Span<float> features, int rows, int frames, int validFrames, float eps = 1e-5f)
    {
        if (rows < 0 || frames < 0 || (long)rows * frames > features.Length)
            throw new ArgumentException($"Utterance normalisation: {rows} rows × {frames} frames do not fit the {features.Length} features given.");
        if (validFrames < 1 || validFrames > frames)
            throw new ArgumentException($"Utterance normalisation: valid frames must be between 1 and {frames}, not {validFrames}.");
        for (int r = 0; r < rows; r++)
        {
            Span<float> row = features.Slice(r * frames, validFrames);
            float mean = TensorPrimitives.Sum(row) / validFrames;
            TensorPrimitives.Subtract(row, mean, row);
            float variance = TensorPrimitives.SumOfSquares(row) / validFrames;
            TensorPrimitives.Multiply(row, 1f / MathF.Sqrt(variance + eps), row);
            features.Slice(r * frames + validFrames, frames - validFrames).Clear();
        }
    }
}
