using Loom.Nn;
using Loom.Optim;
using Loom.Training;
using Xunit;

namespace Loom.Tests.Training;

/// <summary>
/// <see cref="EarlyStopping"/> driven with fabricated epoch results (minimising a loss, maximising an
/// accuracy, min_delta, missing metrics) and inside a real <see cref="Trainer.Fit"/>;
/// <see cref="ModelCheckpoint"/> saving every epoch or only on improvement.
/// </summary>
public class CallbackTests
{
    private static Trainer NewTrainer()
    {
        var model = new Linear(2, 2);
        return new Trainer(model, new Sgd(model.Parameters(), 0.1f));
    }

    private static EpochResult Result(int epoch, double valLoss = double.NaN, double valAccuracy = double.NaN, double loss = 1, double accuracy = 0.5) =>
        new(epoch, loss, accuracy, valLoss, valAccuracy, 0.1f, 1, 100);

    /// <summary>Feeds values epoch by epoch; returns the epoch after which a stop was requested (0 if never).</summary>
    private static int Drive(EarlyStopping stopping, Func<int, double, EpochResult> make, params double[] values)
    {
        var trainer = NewTrainer();
        for (int i = 0; i < values.Length; i++)
        {
            stopping.OnEpochEnd(trainer, make(i + 1, values[i]));
            if (trainer.StopRequested) return i + 1;
        }
        return 0;
    }

    private static readonly Func<int, double, EpochResult> ValLoss = (e, v) => Result(e, valLoss: v);
    private static readonly Func<int, double, EpochResult> ValAccuracy = (e, v) => Result(e, valAccuracy: v);

    [Fact]
    public void StopsAfterPatienceEpochsWithoutALowerLoss()
    {
        // Best 0.9 at epoch 2; epochs 3 and 4 are no better: stop after epoch 4.
        var s = new EarlyStopping("val_loss", patience: 2);
        Assert.Equal(4, Drive(s, ValLoss, 1.0, 0.9, 0.95, 0.9, 0.1, 0.1));
        Assert.Equal(4, s.StoppedEpoch);
        Assert.Equal("val_loss", s.Monitor);
    }

    [Fact]
    public void AnImprovementResetsThePatience()
    {
        // One epoch without improvement, a new best at epoch 3, then two more without: stop after epoch 5
        // (a counter that was not reset would stop after epoch 4).
        var s = new EarlyStopping("val_loss", patience: 2);
        Assert.Equal(5, Drive(s, ValLoss, 1.0, 1.1, 0.8, 0.9, 0.85, 0.5));
    }

    [Fact]
    public void PatienceOneStopsAtTheFirstEpochWithoutImprovement()
    {
        Assert.Equal(3, Drive(new EarlyStopping("loss", patience: 1), (e, v) => Result(e, loss: v), 3.0, 2.0, 2.0));
    }

    [Fact]
    public void NeverStopsWhileImproving()
    {
        var s = new EarlyStopping("val_loss", patience: 1);
        Assert.Equal(0, Drive(s, ValLoss, 5, 4, 3, 2, 1, 0.5, 0.25));
        Assert.Equal(-1, s.StoppedEpoch);
    }

    [Fact]
    public void AccuracyIsMaximised()
    {
        // A lower accuracy is no improvement; equal is none either.
        Assert.Equal(4, Drive(new EarlyStopping("val_accuracy", patience: 2), ValAccuracy, 0.5, 0.6, 0.6, 0.59, 0.9));
        Assert.Equal(0, Drive(new EarlyStopping("val_accuracy", patience: 2), ValAccuracy, 0.5, 0.6, 0.7, 0.8));
        Assert.Equal(3, Drive(new EarlyStopping("accuracy", patience: 2), (e, v) => Result(e, accuracy: v), 0.9, 0.8, 0.7));
    }

    [Fact]
    public void ImprovementsSmallerThanMinDeltaDoNotCount()
    {
        // min_delta 0.1: 0.95 and 0.91 are within 0.1 of the best (1.0), 0.85 is not.
        Assert.Equal(3, Drive(new EarlyStopping("val_loss", patience: 2, minDelta: 0.1), ValLoss, 1.0, 0.95, 0.91, 0.85));
        Assert.Equal(0, Drive(new EarlyStopping("val_loss", patience: 2, minDelta: 0.1), ValLoss, 1.0, 0.95, 0.85, 0.8));
        Assert.Equal(3, Drive(new EarlyStopping("val_accuracy", patience: 2, minDelta: 0.05), ValAccuracy, 0.5, 0.54, 0.55));
    }

    [Fact]
    public void AMissingMetricNeverStopsAndAnUnknownOneIsAnError()
    {
        // Monitoring val_loss without a validation set: the values are NaN and are ignored.
        Assert.Equal(0, Drive(new EarlyStopping("val_loss", patience: 1), (e, _) => Result(e), 1, 2, 3, 4));
        var e = Assert.Throws<ArgumentException>(() => Drive(new EarlyStopping("val_acc", patience: 1), ValLoss, 1));
        Assert.Contains("'val_acc'", e.Message);
        Assert.Contains("val_accuracy", e.Message);
    }

    [Fact]
    public void StopsARealRunThatCannotImprove()
    {
        // Learning rate 0: every epoch has exactly the first epoch's loss, so training ends after 1 + patience epochs.
        var model = TrainingData.WrongLinear();
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 0f));
        var train = TrainingData.Loader(TrainingData.Blobs(32, seed: 20), batchSize: 16);
        var validation = TrainingData.Loader(TrainingData.Blobs(16, seed: 21), batchSize: 16);
        var stopping = new EarlyStopping("val_loss", patience: 3);
        var history = trainer.Fit(train, validation, epochs: 50, callbacks: [stopping]);
        Assert.Equal([1, 2, 3, 4], history.Epochs.Select(e => e.Epoch));
        Assert.Equal(4, stopping.StoppedEpoch);
        Assert.Single(history.Epochs.Select(e => e.ValidationLoss).Distinct());
    }

    [Fact]
    public void CheckpointWithoutAMonitorSavesEveryEpoch()
    {
        var saved = new List<int>();
        var c = new ModelCheckpoint(r => saved.Add(r.Epoch));
        var trainer = NewTrainer();
        foreach (var (epoch, loss) in new[] { (1, 1.0), (2, 2.0), (3, 0.5), (4, 3.0) }) c.OnEpochEnd(trainer, Result(epoch, valLoss: loss));
        Assert.Equal([1, 2, 3, 4], saved);
        Assert.False(trainer.StopRequested);
    }

    [Fact]
    public void CheckpointWithAMonitorSavesOnlyImprovements()
    {
        var saved = new List<EpochResult>();
        var c = new ModelCheckpoint(saved.Add, monitor: "val_loss");
        var trainer = NewTrainer();
        var results = new[] { 1.0, 0.8, 0.9, 0.7, 0.7, 0.75, 0.2 }.Select((v, i) => Result(i + 1, valLoss: v)).ToArray();
        foreach (var r in results) c.OnEpochEnd(trainer, r);
        Assert.Equal([1, 2, 4, 7], saved.Select(r => r.Epoch));
        Assert.Same(results[6], saved[^1]);

        var best = new List<int>();
        var byAccuracy = new ModelCheckpoint(r => best.Add(r.Epoch), monitor: "val_accuracy");
        foreach (var (epoch, acc) in new[] { (1, 0.5), (2, 0.4), (3, 0.6), (4, 0.6), (5, 0.9) }) byAccuracy.OnEpochEnd(trainer, Result(epoch, valAccuracy: acc));
        Assert.Equal([1, 3, 5], best);
    }

    [Fact]
    public void CheckpointInARealRunSavesEachEpochThroughTheCallerSaver()
    {
        var model = TrainingData.WrongLinear();
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.1f));
        var train = TrainingData.Loader(TrainingData.Blobs(32, seed: 22), batchSize: 16);
        var weights = new List<float[]>();
        var history = trainer.Fit(train, null, epochs: 3, callbacks: [new ModelCheckpoint(_ => weights.Add((float[])model.Weight.Data.Clone()))]);
        Assert.Equal(3, weights.Count);
        Assert.Equal(model.Weight.Data, weights[^1]);
        Assert.NotEqual(weights[0], weights[1]);
    }
}
