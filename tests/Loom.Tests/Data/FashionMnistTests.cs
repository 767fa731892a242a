using Loom.Data;
using Xunit;

namespace Loom.Tests.Data;

public sealed class FashionMnistTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static bool DebianCopyPresent =>
        FashionMnist.FileNames.All(f => FashionMnist.FindFile(FashionMnist.DebianDirectory, f) is not null);

    [Fact]
    public void MiniSetIsBalancedAndScaled()
    {
        var (train, test) = FashionMnist.LoadMini();

        Assert.Equal(6000, train.Count);
        Assert.Equal(1000, test.Count);
        Assert.Equal([1, 28, 28], train.SampleShape);
        Assert.Equal([6000, 1, 28, 28], train.Features.Shape);
        Assert.Equal([1000], test.Labels.Shape);
        Assert.Equal(10, train.ClassCount);
        Assert.All(train.ClassCounts(), c => Assert.Equal(600, c));
        Assert.All(test.ClassCounts(), c => Assert.Equal(100, c));

        float min = float.MaxValue, max = float.MinValue;
        double sum = 0;
        foreach (float v in train.Features.Data) { min = Math.Min(min, v); max = Math.Max(max, v); sum += v; }
        Assert.Equal(0f, min);
        Assert.Equal(1f, max);
        // Fashion-MNIST's mean pixel is 0.286; a balanced subset is close to it.
        Assert.InRange(sum / train.Features.Size, 0.25, 0.32);
        Assert.Equal(255f / 255f, test.Features.Data.Max());
    }

    [Fact]
    public void MiniSetKeepsTheFirstImagesOfEachClass()
    {
        if (!DebianCopyPresent) return;
        var (miniTrain, _) = FashionMnist.LoadMini();
        var labels = Idx.ReadLabels(FashionMnist.FindFile(FashionMnist.DebianDirectory, FashionMnist.TrainLabelsFile)!);
        var images = Idx.ReadImages(FashionMnist.FindFile(FashionMnist.DebianDirectory, FashionMnist.TrainImagesFile)!);

        // The mini set's first images are the full set's first images (sample 0 is class 9, "Ankle boot").
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(labels.Data[i], miniTrain.Labels.Data[i]);
            for (int p = 0; p < 784; p++) Assert.Equal(images.Data[i * 784 + p] / 255f, miniTrain.Features.Data[i * 784 + p]);
        }
    }

    [Fact]
    public void FullSetLoadsFromDebian()
    {
        if (!DebianCopyPresent) return;
        var (train, test) = FashionMnist.Load(FashionMnist.DebianDirectory);

        Assert.Equal(60000, train.Count);
        Assert.Equal(10000, test.Count);
        Assert.Equal([60000, 1, 28, 28], train.Features.Shape);
        Assert.All(train.ClassCounts(), c => Assert.Equal(6000, c));
        Assert.All(test.ClassCounts(), c => Assert.Equal(1000, c));
        Assert.Equal(9f, train.Labels.Data[0]);

        var info = FashionMnist.Info();
        Assert.Equal(FashionMnist.DebianDirectory, info.Location);
        Assert.Equal(60000, info.TrainCount);
        Assert.Equal(10000, info.TestCount);
    }

    [Fact]
    public void MissingDirectoryExplainsHowToGetTheData()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(_dir.Path));
        Assert.Contains(_dir.Path, ex.Message);
        Assert.Contains("train-images-idx3-ubyte", ex.Message);
        Assert.Contains("t10k-labels-idx1-ubyte", ex.Message);
        Assert.Contains("apt-get install dataset-fashion-mnist", ex.Message);
        Assert.Contains("loom data download fashion-mnist", ex.Message);
        Assert.False(FashionMnist.Info(_dir.Path).Found);
    }

    [Fact]
    public void LoadsRawAndGzipFilesFromADirectory()
    {
        // Two tiny splits in the upstream layout, one raw and the others gzip.
        byte[] trainPixels = new byte[3 * 784], testPixels = new byte[2 * 784];
        trainPixels[0] = 255; trainPixels[784] = 51; testPixels[1] = 102;
        IdxWriter.Write(_dir.File("train-images-idx3-ubyte"), 0x803, [3, 28, 28], trainPixels, gzip: false);
        IdxWriter.Write(_dir.File("train-labels-idx1-ubyte.gz"), 0x801, [3], [9, 0, 4], gzip: true);
        IdxWriter.Write(_dir.File("t10k-images-idx3-ubyte.gz"), 0x803, [2, 28, 28], testPixels, gzip: true);
        IdxWriter.Write(_dir.File("t10k-labels-idx1-ubyte.gz"), 0x801, [2], [1, 2], gzip: true);

        var (train, test) = FashionMnist.Load(_dir.Path);

        Assert.Equal([3, 1, 28, 28], train.Features.Shape);
        Assert.Equal([9f, 0f, 4f], train.Labels.Data);
        Assert.Equal(1f, train.Features.Data[0]);
        Assert.Equal(0.2f, train.Features.Data[784]);
        Assert.Equal(0.4f, test.Features.Data[1]);
        Assert.Equal(_dir.Path, FashionMnist.Info(_dir.Path).Location);
        Assert.Equal(3, FashionMnist.Info(_dir.Path).TrainCount);
    }

    [Fact]
    public void MismatchedCountsAndBadLabelsNameTheFiles()
    {
        IdxWriter.Write(_dir.File("train-images-idx3-ubyte"), 0x803, [2, 28, 28], new byte[2 * 784], gzip: false);
        IdxWriter.Write(_dir.File("train-labels-idx1-ubyte"), 0x801, [3], [1, 2, 3], gzip: false);
        IdxWriter.Write(_dir.File("t10k-images-idx3-ubyte"), 0x803, [1, 28, 28], new byte[784], gzip: false);
        IdxWriter.Write(_dir.File("t10k-labels-idx1-ubyte"), 0x801, [1], [10], gzip: false);

        var ex = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(_dir.Path));
        Assert.Contains("train-labels-idx1-ubyte has 3 labels but", ex.Message);

        IdxWriter.Write(_dir.File("train-labels-idx1-ubyte"), 0x801, [2], [1, 2], gzip: false);
        ex = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(_dir.Path));
        Assert.Contains("t10k-labels-idx1-ubyte: label 10 of sample 0", ex.Message);
    }

    [Fact]
    public void ChecksumAcceptsTheRealFilesAndRejectsAModifiedOne()
    {
        if (!DebianCopyPresent) return;
        // The labels files are small; the images are checked by Verify in FullSetVerifies.
        string labels = FashionMnist.FindFile(FashionMnist.DebianDirectory, FashionMnist.TestLabelsFile)!;
        FashionMnist.VerifyChecksum(labels);

        // The same content decompressed and under the raw name still passes: the checksum is of the content.
        var content = Idx.ReadLabels(labels);
        string copy = IdxWriter.Write(_dir.File(FashionMnist.TestLabelsFile), 0x801, content.Dims, content.Data, gzip: false);
        FashionMnist.VerifyChecksum(copy);

        content.Data[17] ^= 1;
        string modified = IdxWriter.Write(_dir.File(FashionMnist.TestLabelsFile + ".gz"), 0x801, content.Dims, content.Data, gzip: true);
        var ex = Assert.Throws<InvalidDataException>(() => FashionMnist.VerifyChecksum(modified));
        Assert.StartsWith(modified + ": checksum mismatch", ex.Message);
        Assert.Contains(FashionMnist.Sha256[FashionMnist.TestLabelsFile], ex.Message);

        Assert.Throws<ArgumentException>(() => FashionMnist.VerifyChecksum(_dir.File("other.gz")));
    }

    [Fact]
    public void FullSetVerifies()
    {
        if (!DebianCopyPresent) return;
        Assert.Equal(FashionMnist.DebianDirectory, FashionMnist.Verify(FashionMnist.DebianDirectory));
    }

    [Fact]
    public void ADownloadThatFailsVerificationIsDeleted()
    {
        string temp = _dir.File("download.part");
        string destination = _dir.File("t10k-labels-idx1-ubyte.gz");
        IdxWriter.Write(temp, 0x801, [2], [1, 2], gzip: true);

        var ex = Assert.Throws<InvalidDataException>(() => Downloader.CommitVerified(temp, destination, FashionMnist.Sha256[FashionMnist.TestLabelsFile]));

        Assert.Contains("t10k-labels-idx1-ubyte.gz failed verification and was deleted", ex.Message);
        Assert.False(File.Exists(temp));
        Assert.False(File.Exists(destination));
    }

    [Fact]
    public void AVerifiedDownloadIsRenamedIntoPlace()
    {
        string temp = _dir.File("download.part");
        string destination = _dir.File("labels.gz");
        IdxWriter.Write(temp, 0x801, [2], [1, 2], gzip: true);
        string sha = FileChecksum.Sha256OfContent(temp);

        Downloader.CommitVerified(temp, destination, sha.ToUpperInvariant());

        Assert.False(File.Exists(temp));
        Assert.Equal([1, 2], Idx.ReadLabels(destination).Data);
    }

    [Fact]
    public void ClassNames()
    {
        Assert.Equal(10, FashionMnist.ClassNames.Count);
        Assert.Equal("T-shirt/top", FashionMnist.ClassNames[0]);
        Assert.Equal("Ankle boot", FashionMnist.ClassNames[9]);
    }
}
