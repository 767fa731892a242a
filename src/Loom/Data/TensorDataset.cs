namespace Loom.Data;

/// <summary>
/// A data set held in memory: features (N, …) and labels (N), where labels are class indices
/// 0..ClassCount−1 stored as whole-number floats. Sample i is features[i] (shape <see cref="SampleShape"/>).
/// </summary>
public sealed class TensorDataset : IDataset
{
    private readonly int _sampleSize;

    /// <summary>All samples' features, (N, …).</summary>
    public Tensor Features { get; }

    /// <summary>All labels, (N).</summary>
    public Tensor Labels { get; }

    public int Count { get; }

    /// <summary>Shape of one sample: Features.Shape without its first dimension.</summary>
    public int[] SampleShape { get; }

    public int ClassCount { get; }

    /// <summary>
    /// Wraps <paramref name="features"/> (N, …) and <paramref name="labels"/> (N) without copying.
    /// <paramref name="classCount"/> defaults to the largest label + 1.
    /// </summary>
    /// <exception cref="ArgumentException">The counts differ, labels is not 1-D, or a label is not a whole number in [0, classCount).</exception>
    public TensorDataset(Tensor features, Tensor labels, int? classCount = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (features.Rank < 1)
            throw new ArgumentException($"Features must have a leading sample dimension (N, …), not shape {ShapeUtil.Format(features.Shape)}.", nameof(features));
        if (labels.Rank != 1)
            throw new ArgumentException($"Labels must have shape (N), not {ShapeUtil.Format(labels.Shape)}.", nameof(labels));
        if (features.Shape[0] != labels.Shape[0])
            throw new ArgumentException($"Features have {features.Shape[0]} samples (shape {ShapeUtil.Format(features.Shape)}) but labels have {labels.Shape[0]}.", nameof(labels));

        Features = features;
        Labels = labels;
        Count = features.Shape[0];
        SampleShape = features.Shape[1..];
        _sampleSize = Count == 0 ? (int)ShapeUtil.SizeOf(SampleShape) : features.Size / Count;
        ClassCount = classCount ?? InferClassCount(labels.Data);
        if (ClassCount < 1) throw new ArgumentOutOfRangeException(nameof(classCount), ClassCount, "A data set needs at least one class.");
        CheckLabels(labels.Data, ClassCount);
    }

    /// <inheritdoc/>
    public void Get(int index, Span<float> features, Span<float> target)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"The data set has {Count} samples.");
        if (features.Length != _sampleSize)
            throw new ArgumentException($"The features buffer has {features.Length} elements; a sample of shape {ShapeUtil.Format(SampleShape)} has {_sampleSize}.", nameof(features));
        Features.Data.AsSpan(index * _sampleSize, _sampleSize).CopyTo(features);
        target[0] = Labels.Data[index];
    }

    /// <summary>A new data set holding copies of the samples at <paramref name="indices"/>, in that order (repeats allowed).</summary>
    public TensorDataset Subset(ReadOnlySpan<int> indices)
    {
        var shape = new int[SampleShape.Length + 1];
        shape[0] = indices.Length;
        SampleShape.CopyTo(shape, 1);
        var features = new float[(long)indices.Length * _sampleSize];
        var labels = new float[indices.Length];
        var source = Features.Data;
        for (int i = 0; i < indices.Length; i++)
        {
            int j = indices[i];
            if ((uint)j >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), j, $"Index {j} at position {i} is outside the {Count} samples.");
            source.AsSpan(j * _sampleSize, _sampleSize).CopyTo(features.AsSpan(i * _sampleSize, _sampleSize));
            labels[i] = Labels.Data[j];
        }
        return new TensorDataset(new Tensor(features, shape), new Tensor(labels, indices.Length), ClassCount);
    }

    /// <summary>A new data set holding copies of samples [start, start + count).</summary>
    public TensorDataset Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start > Count - count)
            throw new ArgumentOutOfRangeException(nameof(count), $"Slice [{start}, {start + count}) is outside the {Count} samples.");
        var indices = new int[count];
        for (int i = 0; i < count; i++) indices[i] = start + i;
        return Subset(indices);
    }

    /// <summary>How many samples each class has: an array of length ClassCount.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[ClassCount];
        foreach (float label in Labels.Data) counts[(int)label]++;
        return counts;
    }

    private static int InferClassCount(float[] labels)
    {
        float max = -1;
        foreach (float label in labels) if (label > max) max = label;
        return max < 0 ? 1 : (int)max + 1;
    }

    private static void CheckLabels(float[] labels, int classCount)
    {
        for (int i = 0; i < labels.Length; i++)
        {
            float label = labels[i];
            // Catches NaN too: every comparison with NaN is false.
            if (!(label >= 0 && label < classCount && label == MathF.Floor(label)))
                throw new ArgumentException($"Label {label} of sample {i} is not a class index in [0, {classCount}).", nameof(labels));
        }
    }
}
