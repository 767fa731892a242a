using Loom.Data;
using Loom.Nn;
using Loom.Optim;
using Loom.Training;
using Xunit;

namespace Loom.Tests.EndToEnd;

/// <summary>The README's C# example, kept compiling and working (one epoch on a slice of the data to stay quick).</summary>
public sealed class ReadmeExampleTests
{
    [Fact]
    public void ReadmeExampleRuns()
    {
        var (train, test) = FashionMnist.LoadMini();
        train = train.Slice(0, 1000);

        var model = new Sequential(
            new Conv2d(1, 32, kernelSize: 3, padding: 1), new Relu(), new MaxPool2d(2),
            new Conv2d(32, 64, kernelSize: 3, padding: 1), new Relu(), new MaxPool2d(2),
            new Flatten(), new Linear(3136, 128), new Relu(), new Linear(128, 10));

        var trainer = new Trainer(model, new Adam(model.Parameters(), lr: 1e-3f));
        var epochs = new List<EpochResult>();
        trainer.EpochEnded += epochs.Add;
        trainer.Fit(new DataLoader(train, batchSize: 64, shuffle: true, seed: 1), new DataLoader(test, batchSize: 256), epochs: 1);

        Assert.Single(epochs);
        Assert.InRange(epochs[0].ValidationAccuracy, 0.4, 1.0);
        Assert.Contains("Total params: 421,642", model.Summary(1, 28, 28).ToString());

        var x = Tensor.Uniform(-1, 1, [3, 4]);
        var w = Tensor.Uniform(-1, 1, [4, 2]);
        w.RequiresGrad = true;
        var b = Tensor.Zeros(2);
        b.RequiresGrad = true;
        var loss = (x.MatMul(w) + b).Relu().Sum();
        loss.Backward();
        Assert.NotNull(w.Grad);
        Assert.NotNull(b.Grad);
    }
}
