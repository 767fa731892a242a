using System.Text.RegularExpressions;
using Loom.Nn;
using Loom.Optim;
using Loom.Training;
using Xunit;

namespace Loom.Tests.Training;

/// <summary>
/// <see cref="Trainer.Fit"/> on two separable Gaussian blobs: a linear model that starts out wrong
/// learns (accuracy > 0.95); History has one sane <see cref="EpochResult"/> per epoch; batch and epoch
/// events fire the right number of times in order; schedules step per epoch or per batch; a resumed
/// run continues to the same end; a diverging run raises <see cref="TrainingDivergedException"/>
/// naming the epoch and the batch, and gradient clipping keeps the same run finite.
/// </summary>
public class TrainerTests
{
    [Fact]
    public void FitLearnsSeparableBlobsAndRecordsEachEpoch()
    {
        var train = TrainingData.Loader(TrainingData.Blobs(256, seed: 1), batchSize: 32);
        var validation = TrainingData.Loader(TrainingData.Blobs(128, seed: 2), batchSize: 50, shuffle: false);
        var model = TrainingData.WrongLinear();
        var trainer = new Trainer(model, new Sgd(model.Parameters(), lr: 0.1f, momentum: 0.9f));
        var before = trainer.Evaluate(validation);
        Assert.True(before.Accuracy < 0.05, $"the starting model should be wrong, accuracy {before.Accuracy}");

        var history = trainer.Fit(train, validation, epochs: 5);

        Assert.Equal([1, 2, 3, 4, 5], history.Epochs.Select(e => e.Epoch));
        Assert.Same(history.Epochs[^1], history.Last);
        Assert.Equal(5, trainer.CompletedEpochs);
        foreach (var e in history.Epochs)
        {
            Assert.True(double.IsFinite(e.TrainLoss) && e.TrainLoss > 0, $"epoch {e.Epoch}: train loss {e.TrainLoss}");
            Assert.InRange(e.TrainAccuracy, 0, 1);
            Assert.True(double.IsFinite(e.ValidationLoss) && e.ValidationLoss > 0, $"epoch {e.Epoch}: validation loss {e.ValidationLoss}");
            Assert.InRange(e.ValidationAccuracy, 0, 1);
            Assert.Equal(0.1f, e.LearningRate);
            Assert.True(e.Seconds > 0 && e.SamplesPerSecond > 0, $"epoch {e.Epoch}: {e.Seconds} s, {e.SamplesPerSecond} samples/s");
            Assert.Equal(e.TrainLoss, e["loss"]);
            Assert.Equal(e.ValidationAccuracy, e["val_accuracy"]);
        }
        var last = history.Last!;
        Assert.True(last.TrainAccuracy > 0.95, $"train accuracy {last.TrainAccuracy}");
        Assert.True(last.ValidationAccuracy > 0.95, $"validation accuracy {last.ValidationAccuracy}");
        Assert.True(last.TrainLoss < history.Epochs[0].TrainLoss / 2, $"loss {history.Epochs[0].TrainLoss} → {last.TrainLoss}");
        Assert.True(last.ValidationLoss < before.Loss / 10, $"validation loss {before.Loss} → {last.ValidationLoss}");

        // The validation figures are an evaluation of the final model, and training mode is back on.
        Assert.True(model.Training);
        var after = trainer.Evaluate(validation);
        Assert.Equal(last.ValidationLoss, after.Loss);
        Assert.Equal(last.ValidationAccuracy, after.Accuracy);
        Assert.Equal(128, after.Samples);
    }

    [Fact]
    public void WithoutValidationTheValidationFiguresAreNaN()
    {
        var train = TrainingData.Loader(TrainingData.Blobs(64, seed: 3), batchSize: 16);
        var model = TrainingData.WrongLinear();
        var history = new Trainer(model, new Sgd(model.Parameters(), 0.1f)).Fit(train, null, epochs: 2);
        Assert.Equal(2, history.Epochs.Count);
        Assert.All(history.Epochs, e => Assert.True(double.IsNaN(e.ValidationLoss) && double.IsNaN(e.ValidationAccuracy)));
        Assert.All(history.Epochs, e => Assert.True(double.IsFinite(e.TrainLoss)));
    }

    [Fact]
    public void BatchAndEpochEventsFireOncePerBatchAndEpochInOrder()
    {
        // 100 samples in batches of 32: 4 batches, the last of 4 samples.
        var train = TrainingData.Loader(TrainingData.Blobs(100, seed: 4), batchSize: 32);
        var model = TrainingData.WrongLinear();
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.05f));
        var log = new List<string>();
        var batches = new List<BatchProgress>();
        var epochs = new List<EpochResult>();
        trainer.BatchEnded += p => { batches.Add(p); log.Add($"b{p.Epoch}.{p.Batch}"); };
        trainer.EpochEnded += r => { epochs.Add(r); log.Add($"e{r.Epoch}"); };
        var callback = new Recorder(log);

        var history = trainer.Fit(train, null, epochs: 3, callbacks: [callback]);

        Assert.Equal(
            ["b1.1", "b1.2", "b1.3", "b1.4", "e1", "c1", "b2.1", "b2.2", "b2.3", "b2.4", "e2", "c2", "b3.1", "b3.2", "b3.3", "b3.4", "e3", "c3"],
            log);
        Assert.Equal(history.Epochs, epochs);
        Assert.All(batches, p => Assert.Equal((3, 4), (p.Epochs, p.Batches)));
        foreach (var epoch in batches.GroupBy(p => p.Epoch))
        {
            var list = epoch.ToList();
            for (int i = 1; i < list.Count; i++) Assert.True(list[i].Elapsed >= list[i - 1].Elapsed);
            Assert.Equal(TimeSpan.Zero, list[^1].EpochRemaining);
            // The running figures of the last batch are the epoch's.
            var result = history.Epochs.Single(e => e.Epoch == epoch.Key);
            Assert.Equal(result.TrainLoss, list[^1].Loss, 12);
            Assert.Equal(result.TrainAccuracy, list[^1].Accuracy, 12);
            Assert.All(list, p => Assert.True(p.SamplesPerSecond > 0));
        }
    }

    private sealed class Recorder(List<string> log) : ICallback
    {
        public void OnEpochEnd(Trainer trainer, EpochResult result) => log.Add($"c{result.Epoch}");
    }

    [Fact]
    public void AnEpochScheduleStepsAfterEachEpochAndItsRateIsRecorded()
    {
        var train = TrainingData.Loader(TrainingData.Blobs(64, seed: 5), batchSize: 16);
        var model = TrainingData.WrongLinear();
        var opt = new Sgd(model.Parameters(), 0.1f);
        var trainer = new Trainer(model, opt) { Scheduler = new StepLr(opt, stepSize: 1, gamma: 0.5f) };
        var history = trainer.Fit(train, null, epochs: 3);
        Assert.Equal([0.1f, 0.05f, 0.025f], history.Epochs.Select(e => e.LearningRate));
        Assert.Equal(3, trainer.Scheduler.StepIndex);
        Assert.Equal(0.0125f, opt.LearningRate);
    }

    [Fact]
    public void ABatchScheduleStepsAfterEachBatch()
    {
        var train = TrainingData.Loader(TrainingData.Blobs(64, seed: 5), batchSize: 16);
        var model = TrainingData.WrongLinear();
        var opt = new Sgd(model.Parameters(), 0.1f);
        var schedule = new OneCycleLr(opt, maxLr: 0.2f, totalSteps: 12);
        var rates = new List<float>();
        var trainer = new Trainer(model, opt) { Scheduler = schedule };
        trainer.BatchEnded += _ => rates.Add(opt.LearningRate);
        var history = trainer.Fit(train, null, epochs: 3);
        Assert.Equal(12, schedule.StepIndex);
        Assert.Equal(Enumerable.Range(1, 12).Select(schedule.RateAt), rates);
        // An epoch records the rate its last batch used: batches 0..3 use steps 0..3, so step 3 for epoch 1.
        Assert.Equal([schedule.RateAt(3), schedule.RateAt(7), schedule.RateAt(11)], history.Epochs.Select(e => e.LearningRate));
    }

    [Fact]
    public void AResumedRunContinuesToTheSameLastEpoch()
    {
        var train = TrainingData.Loader(TrainingData.Blobs(64, seed: 6), batchSize: 16);
        var model = TrainingData.WrongLinear();
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.1f)) { CompletedEpochs = 2 };
        var history = trainer.Fit(train, null, epochs: 4);
        Assert.Equal([3, 4], history.Epochs.Select(e => e.Epoch));
        Assert.Equal(4, trainer.CompletedEpochs);
        Assert.Empty(trainer.Fit(train, null, epochs: 4).Epochs);
        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(train, null, epochs: 0));
    }

    [Fact]
    public void ACallbackCanStopTrainingAndTheNextFitStartsAgain()
    {
        var train = TrainingData.Loader(TrainingData.Blobs(32, seed: 7), batchSize: 16);
        var model = TrainingData.WrongLinear();
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.1f));
        var stopAt2 = new StopAt(2);
        Assert.Equal([1, 2], trainer.Fit(train, null, epochs: 10, callbacks: [stopAt2]).Epochs.Select(e => e.Epoch));
        Assert.True(trainer.StopRequested);
        Assert.Equal([3, 4], trainer.Fit(train, null, epochs: 4).Epochs.Select(e => e.Epoch));
    }

    private sealed class StopAt(int epoch) : ICallback
    {
        public void OnEpochEnd(Trainer trainer, EpochResult result)
        {
            if (result.Epoch == epoch) trainer.StopRequested = true;
        }
    }

    [Fact]
    public void CancellationStopsTraining()
    {
        var train = TrainingData.Loader(TrainingData.Blobs(64, seed: 8), batchSize: 16);
        var model = TrainingData.WrongLinear();
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.1f));
        using var cts = new CancellationTokenSource();
        int seen = 0;
        trainer.BatchEnded += _ => { if (++seen == 3) cts.Cancel(); };
        Assert.ThrowsAny<OperationCanceledException>(() => trainer.Fit(train, null, epochs: 5, cancel: cts.Token));
        Assert.Equal(3, seen);
        Assert.Equal(0, trainer.CompletedEpochs);
    }

    [Fact]
    public void ANaNLossNamesTheEpochAndTheBatch()
    {
        // 4 batches per epoch; the 7th loss is the 3rd batch of epoch 2.
        var train = TrainingData.Loader(TrainingData.Blobs(100, seed: 9), batchSize: 32);
        var model = TrainingData.WrongLinear();
        int calls = 0;
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.1f), (logits, targets) =>
        {
            var loss = Functional.CrossEntropy(logits, targets);
            return ++calls == 7 ? Functional.MulScalar(loss, float.NaN) : loss;
        });
        int batches = 0;
        trainer.BatchEnded += _ => batches++;
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(train, null, epochs: 3));
        Assert.Contains("The loss became NaN at epoch 2, batch 3", e.Message);
        Assert.Equal(6, batches);
        Assert.Equal(1, trainer.CompletedEpochs);
    }

    /// <summary>
    /// Least squares on inputs of scale 10: the loss's curvature is about 2·E[x²] ≈ 200, so plain SGD
    /// with rate 1 multiplies the error by ~200 per step and overflows float32 within a few dozen steps.
    /// 64 samples in batches of 8.
    /// </summary>
    private static (Trainer Trainer, Loom.Data.DataLoader Loader, List<BatchProgress> Batches) DivergingRegression(float? clip)
    {
        var rng = new Rng(12);
        int n = 64;
        var x = new float[n * 2];
        rng.FillNormal(x, 0f, 10f);
        var y = Enumerable.Range(0, n).Select(i => (float)(i % 2)).ToArray();
        var data = new Loom.Data.TensorDataset(new Tensor(x, n, 2), new Tensor(y, n), classCount: 2);
        var model = new Linear(2, 1);
        model.Weight.Data.AsSpan().Fill(0.1f);
        model.Bias!.Data.AsSpan().Clear();
        var trainer = new Trainer(model, new Sgd(model.Parameters(), lr: 1f),
            (output, targets) => Functional.MseLoss(Functional.Reshape(output, output.Shape[0]), targets))
        { ClipGradNorm = clip };
        var batches = new List<BatchProgress>();
        trainer.BatchEnded += batches.Add;
        return (trainer, TrainingData.Loader(data, batchSize: 8), batches);
    }

    [Fact]
    public void AHugeLearningRateRaisesTrainingDivergedWithTheEpochAndBatch()
    {
        var (trainer, loader, batches) = DivergingRegression(clip: null);
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(loader, null, epochs: 20));
        var m = Regex.Match(e.Message, @"The loss became \S+ at epoch (\d+), batch (\d+);");
        Assert.True(m.Success, e.Message);
        Assert.Contains("lower the learning rate", e.Message);
        var named = (int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value));
        // It names the batch after the last one that completed.
        var done = batches[^1];
        Assert.Equal(done.Batch == done.Batches ? (done.Epoch + 1, 1) : (done.Epoch, done.Batch + 1), named);
        Assert.True(batches.Count < 20 * 8, $"the run should diverge before its end, it finished {batches.Count} batches");
    }

    [Fact]
    public void ClippingTheGradientNormKeepsTheSameRunFinite()
    {
        var (trainer, loader, _) = DivergingRegression(clip: 1f);
        var history = trainer.Fit(loader, null, epochs: 20);
        Assert.Equal(20, history.Epochs.Count);
        Assert.All(history.Epochs, e => Assert.True(double.IsFinite(e.TrainLoss), $"epoch {e.Epoch}: loss {e.TrainLoss}"));
        // Each step moves the parameters by at most lr · maxNorm = 1: 160 steps from (0.1, 0.1, 0).
        var p = trainer.Model.Parameters().SelectMany(t => t.Data).ToArray();
        double norm = Math.Sqrt(p.Sum(v => (double)v * v));
        Assert.True(norm <= Math.Sqrt(0.02) + 160 + 1e-3, $"parameter norm {norm}");
    }

    [Fact]
    public void ANonFiniteGradientNormIsReportedWhenClipping()
    {
        // A loss that is finite but whose gradient is not: √(0·logits) has an infinite slope at 0, times 0.
        var train = TrainingData.Loader(TrainingData.Blobs(32, seed: 10), batchSize: 16);
        var model = TrainingData.WrongLinear();
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.1f),
            (logits, targets) => Functional.Add(Functional.CrossEntropy(logits, targets), Functional.Sum(Functional.Sqrt(Functional.MulScalar(logits, 0f)))))
        { ClipGradNorm = 5f };
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(train, null, epochs: 2));
        Assert.Contains("The gradient norm became NaN at epoch 1, batch 1", e.Message);
        // The parameters were not updated with the broken gradient.
        Assert.Equal([0.5f, 0.5f, -0.5f, -0.5f], model.Weight.Data);
    }
}
