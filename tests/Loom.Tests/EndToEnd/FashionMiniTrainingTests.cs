using Loom.Data;
using Loom.Nn;
using Loom.Optim;
using Loom.Training;
using Xunit;

namespace Loom.Tests.EndToEnd;

/// <summary>A small CNN really learns the embedded Fashion-MNIST subset.</summary>
public sealed class FashionMiniTrainingTests
{
    [Fact]
    public void SmallCnnReachesEightyPercentOnTheEmbeddedSubset()
    {
        var rng = new Rng(11);
        var (train, test) = FashionMnist.LoadMini();
        var model = new Sequential(
            new Conv2d(1, 8, kernelSize: 3, padding: 1), new Relu(), new MaxPool2d(2),
            new Conv2d(8, 16, kernelSize: 3, padding: 1), new Relu(), new MaxPool2d(2),
            new Flatten(), new Linear(16 * 7 * 7, 10));
        // Deterministic initialisation from a local generator, independent of other tests.
        foreach (var (name, p) in model.NamedParameters())
        {
            int fanIn = p.Size / p.Shape[0];
            if (p.Rank == 1) fanIn = 16;
            rng.FillUniform(p.Data, -1f / MathF.Sqrt(fanIn), 1f / MathF.Sqrt(fanIn));
        }
        var normalize = new Normalize(0.286f, 0.353f);
        var trainer = new Trainer(model, new Adam(model.Parameters(), lr: 2e-3f));
        var history = trainer.Fit(
            new DataLoader(train, 64, shuffle: true, seed: 5, transforms: [normalize]),
            new DataLoader(test, 250, transforms: [normalize]),
            epochs: 3);

        var last = history.Last!;
        Assert.Equal(3, history.Epochs.Count);
        Assert.True(history.Epochs[0].TrainLoss > last.TrainLoss, "training loss should fall");
        Assert.True(last.ValidationAccuracy >= 0.80, $"test accuracy {last.ValidationAccuracy:P1} is below 80 %");
    }
}
