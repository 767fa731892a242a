using Loom.Data;
using Xunit;

namespace Loom.Tests.Data;

public sealed class TensorDatasetTests
{
    /// <summary>N samples of shape (2, 3) whose features are 10·i + j and whose label is i % classes.</summary>
    internal static TensorDataset Numbered(int n, int classes = 3)
    {
        var features = new float[n * 6];
        var labels = new float[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < 6; j++) features[i * 6 + j] = 10 * i + j;
            labels[i] = i % classes;
        }
        return new TensorDataset(new Tensor(features, n, 2, 3), new Tensor(labels, n), classes);
    }

    [Fact]
    public void GetCopiesOneSample()
    {
        var ds = Numbered(5);
        Assert.Equal(5, ds.Count);
        Assert.Equal([2, 3], ds.SampleShape);
        Assert.Equal(3, ds.ClassCount);

        var buffer = new float[6];
        float label = ds.GetLabeled(4, buffer);

        Assert.Equal(1f, label);
        Assert.Equal([40f, 41, 42, 43, 44, 45], buffer);
    }

    [Fact]
    public void ChecksCountsAndLabels()
    {
        var ex = Assert.Throws<ArgumentException>(() => new TensorDataset(Tensor.Zeros(4, 2), Tensor.Zeros(3)));
        Assert.Contains("4 samples", ex.Message);
        Assert.Contains("labels have 3", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => new TensorDataset(Tensor.Zeros(2, 2), new Tensor([0f, 2.5f], 2), 3));
        Assert.Contains("Label 2.5 of sample 1", ex.Message);

        Assert.Throws<ArgumentException>(() => new TensorDataset(Tensor.Zeros(2, 2), new Tensor([0f, 3f], 2), 3));
        Assert.Throws<ArgumentException>(() => Numbered(2).GetLabeled(0, new float[5]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Numbered(2).GetLabeled(2, new float[6]));
    }

    [Fact]
    public void InfersClassCount()
    {
        var ds = new TensorDataset(Tensor.Zeros(3, 1), new Tensor([0f, 4f, 1f], 3));
        Assert.Equal(5, ds.ClassCount);
    }

    [Fact]
    public void SubsetCopiesInIndexOrder()
    {
        var ds = Numbered(6);
        var sub = ds.Subset([5, 0, 5]);

        Assert.Equal(3, sub.Count);
        Assert.Equal([3, 2, 3], sub.Features.Shape);
        Assert.Equal([2f, 0f, 2f], sub.Labels.Data);
        Assert.Equal(50f, sub.Features.Data[0]);
        Assert.Equal(0f, sub.Features.Data[6]);
        Assert.Equal(3, sub.ClassCount);

        sub.Features.Data[0] = -1;
        Assert.Equal(50f, ds.Features.Data[30]);

        Assert.Throws<ArgumentOutOfRangeException>(() => ds.Subset([6]));
        var slice = ds.Slice(1, 2);
        Assert.Equal([10f, 20f], new[] { slice.Features.Data[0], slice.Features.Data[6] });
    }

    [Fact]
    public void CountsClasses() => Assert.Equal([3, 2, 2], Numbered(7).ClassCounts());
}

public class SubsetDatasetTests
{
    [Fact]
    public void ASplitPartitionsTheSamplesAndIsSeeded()
    {
        var data = TensorDatasetTests.Numbered(50);
        var (train, validation) = SubsetDataset.Split(data, 0.2, seed: 7);
        Assert.Equal(40, train.Count);
        Assert.Equal(10, validation.Count);
        var features = new float[data.SampleShape.Aggregate(1, (a, b) => a * b)];
        int[] Labels(IDataset d) => Enumerable.Range(0, d.Count).Select(i => d.GetLabeled(i, features)).ToArray();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => data.GetLabeled(i, features)).Order(), Labels(train).Concat(Labels(validation)).Order());
        var (_, again) = SubsetDataset.Split(data, 0.2, seed: 7);
        Assert.Equal(Labels(validation), Labels(again));
        Assert.IsNotAssignableFrom<IVariableLengthDataset>(train);
    }
}
