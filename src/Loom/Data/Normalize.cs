using System.Numerics.Tensors;

namespace Loom.Data;

/// <summary>
/// Normalises a (C, H, W) sample channel by channel: x ← (x − mean[c]) / std[c], as torchvision's
/// <c>Normalize</c>. One mean and std apply to every channel; otherwise give one per channel.
/// Fashion-MNIST's training set has mean 0.2860 and std 0.3530.
/// </summary>
public sealed class Normalize : ITransform
{
    private readonly float[] _mean;
    private readonly float[] _std;

    public IReadOnlyList<float> Mean => _mean;
    public IReadOnlyList<float> Std => _std;

    /// <summary>The same mean and std for every channel.</summary>
    public Normalize(float mean, float std) : this([mean], [std]) { }

    /// <summary>Per-channel means and stds (both of length C, or both of length 1).</summary>
    public Normalize(float[] mean, float[] std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Length == 0 || mean.Length != std.Length)
            throw new ArgumentException($"Normalize needs as many means as stds, at least one (got {mean.Length} and {std.Length}).");
        foreach (float s in std)
            if (!(s > 0) || float.IsInfinity(s)) throw new ArgumentOutOfRangeException(nameof(std), s, "Every std must be positive and finite.");
        _mean = (float[])mean.Clone();
        _std = (float[])std.Clone();
    }

    public void Apply(Span<float> sample, int[] sampleShape, Rng rng)
    {
        var (channels, height, width) = ImageShape.Of(sampleShape, sample.Length, nameof(Normalize));
        if (_mean.Length != 1 && _mean.Length != channels)
            throw new ArgumentException($"Normalize has {_mean.Length} channel statistics but the sample {ShapeUtil.Format(sampleShape)} has {channels} channels.");
        int plane = height * width;
        for (int c = 0; c < channels; c++)
        {
            int k = _mean.Length == 1 ? 0 : c;
            var x = sample.Slice(c * plane, plane);
            // Subtract then divide (not multiply by 1/std) to match torchvision bit for bit.
            TensorPrimitives.Subtract(x, _mean[k], x);
            TensorPrimitives.Divide(x, _std[k], x);
        }
    }
}
