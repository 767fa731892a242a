namespace Loom.Data;

/// <summary>A finite, indexable set of labelled samples of one shape.</summary>
public interface IDataset
{
    /// <summary>Number of samples.</summary>
    int Count { get; }

    /// <summary>Shape of one sample's features, e.g. (1, 28, 28).</summary>
    int[] SampleShape { get; }

    /// <summary>Number of classes (targets are 0..ClassCount−1).</summary>
    int ClassCount { get; }

    /// <summary>Copies sample <paramref name="index"/>'s features into <paramref name="features"/> (length = product of SampleShape) and returns its label.</summary>
    float Get(int index, Span<float> features);
}
