using Loom.Data;
using Xunit;

namespace Loom.Tests.Data;

public sealed class DatasetRegistryTests
{
    [Fact]
    public void LoadsTheMiniSetByName()
    {
        var (train, test) = DatasetRegistry.Load("fashion-mnist-mini");
        Assert.Equal(6000, train.Count);
        Assert.Equal(1000, test.Count);
        Assert.Equal([1, 28, 28], train.SampleShape);

        var info = DatasetRegistry.Info("Fashion-MNIST-mini");
        Assert.Equal("embedded", info.Location);
        Assert.Equal(10, info.ClassCount);
    }

    [Fact]
    public void UnknownNameListsKnownNames()
    {
        var ex = Assert.Throws<ArgumentException>(() => DatasetRegistry.Load("cifar-10"));
        Assert.Contains("cifar-10", ex.Message);
        Assert.Contains("fashion-mnist-mini", ex.Message);
        Assert.Contains("known: fashion-mnist-mini, fashion-mnist, spoken-phrases-mini, spoken-phrases.", ex.Message);
        Assert.Equal(["fashion-mnist-mini", "fashion-mnist", "spoken-phrases-mini", "spoken-phrases"], DatasetRegistry.Names);
        Assert.True(DatasetRegistry.Contains("fashion-mnist"));
        Assert.False(DatasetRegistry.Contains("mnist"));
    }

    [Fact]
    public void FullSetNotFoundInAGivenDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "loom-no-such-dir-" + Guid.NewGuid().ToString("N"));
        Assert.Throws<FileNotFoundException>(() => DatasetRegistry.Load("fashion-mnist", dir));
        Assert.False(DatasetRegistry.Info("fashion-mnist", dir).Found);
    }
}
