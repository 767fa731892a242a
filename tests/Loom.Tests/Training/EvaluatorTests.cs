using Loom.Data;
using Loom.Nn;
using Loom.Training;
using Xunit;

namespace Loom.Tests.Training;

/// <summary>
/// <see cref="Evaluator"/>: loss and accuracy computed by hand for a fixed model (batches of unequal
/// size weighted by their samples), evaluation mode inside (batch norm uses and keeps its running
/// statistics, no gradients) and the caller's mode restored afterwards, even after an error;
/// <see cref="Evaluator.PredictProbabilities"/>; <see cref="RunningMetrics"/>.
/// </summary>
public class EvaluatorTests
{
    // Linear(2, 3) with W = [[1, 0], [0, 1], [1, 1]], b = [0, 0.5, -1].
    private static Linear FixedLinear()
    {
        var m = new Linear(2, 3);
        float[] w = [1, 0, 0, 1, 1, 1];
        float[] b = [0, 0.5f, -1];
        w.CopyTo(m.Weight.Data, 0);
        b.CopyTo(m.Bias!.Data, 0);
        return m;
    }

    private static readonly float[,] X = { { 2, 0 }, { 0, 2 }, { 1, 1 }, { -1, 3 }, { 0.5f, 0.25f } };
    private static readonly float[] Y = [0, 1, 2, 0, 2];

    private static DataLoader Loader(int batchSize) =>
        new(new TensorDataset(Tensor.FromArray(X), Tensor.FromArray(Y), 3), batchSize, shuffle: false, seed: 0, prefetch: 0);

    [Fact]
    public void LossAndAccuracyMatchAHandComputation()
    {
        double lossSum = 0;
        int correct = 0;
        for (int i = 0; i < Y.Length; i++)
        {
            double[] z = [X[i, 0], X[i, 1] + 0.5, X[i, 0] + X[i, 1] - 1];
            double lse = Math.Log(z.Sum(Math.Exp));
            lossSum += lse - z[(int)Y[i]];
            if (Array.IndexOf(z, z.Max()) == (int)Y[i]) correct++;
        }
        // Predictions: 0, 1, 1 (z = 1, 1.5, 1), 1, 1 → right for samples 0 and 1 only.
        Assert.Equal(2, correct);

        foreach (int batch in new[] { 1, 2, 5 })
        {
            var r = Evaluator.Evaluate(FixedLinear(), Loader(batch));
            Assert.Equal(5, r.Samples);
            Assert.Equal(lossSum / 5, r.Loss, 1e-6);
            Assert.Equal(0.4, r.Accuracy, 12);
            Assert.True(r.Seconds >= 0);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EvaluationRunsInEvalModeAndRestoresTheCallersMode(bool training)
    {
        var bn = new BatchNorm1d(2);
        var model = new Sequential(bn, FixedLinear());
        bn.RunningMean.Data[0] = 0.5f;
        model.Train(training);

        var r = Evaluator.Evaluate(model, Loader(2));

        Assert.Equal(training, model.Training);
        Assert.All(model.NamedModules(), m => Assert.Equal(training, m.Module.Training));
        // In eval mode batch norm neither counts batches nor updates its statistics.
        Assert.Equal(0f, bn.NumBatchesTracked.Item());
        Assert.Equal([0.5f, 0f], bn.RunningMean.Data);
        Assert.All(model.Parameters(), p => Assert.Null(p.Grad));
        Assert.Equal(5, r.Samples);
    }

    [Fact]
    public void ModeIsRestoredWhenEvaluationFails()
    {
        var model = FixedLinear();
        model.Train();
        Assert.Throws<InvalidOperationException>(() =>
            Evaluator.Evaluate(model, Loader(2), (_, _) => throw new InvalidOperationException("broken loss")));
        Assert.True(model.Training);
        Assert.Throws<ArgumentException>(() => Evaluator.PredictProbabilities(model, Tensor.Zeros(2, 5)));
        Assert.True(model.Training);
    }

    [Fact]
    public void PredictProbabilitiesIsASoftmaxInEvalMode()
    {
        var model = FixedLinear();
        model.Train();
        var p = Evaluator.PredictProbabilities(model, Tensor.FromArray(X));
        Assert.True(model.Training);
        Assert.Equal([5, 3], p.Shape);
        for (int i = 0; i < 5; i++)
        {
            double[] z = [X[i, 0], X[i, 1] + 0.5, X[i, 0] + X[i, 1] - 1];
            double s = z.Sum(Math.Exp);
            for (int c = 0; c < 3; c++) Assert.Equal(Math.Exp(z[c]) / s, p[i, c], 1e-6);
        }
        Assert.Null(p.Grad);
        Assert.All(model.Parameters(), q => Assert.Null(q.Grad));
    }

    [Fact]
    public void RunningMetricsWeightBatchesBySize()
    {
        var m = new RunningMetrics();
        Assert.True(double.IsNaN(m.Loss) && double.IsNaN(m.Accuracy));
        m.Add(1f, Tensor.FromArray(new float[,] { { 1, 0 }, { 0, 1 }, { 1, 0 } }), Tensor.FromArray([0f, 1f, 1f]));
        m.Add(4f, Tensor.FromArray(new float[,] { { 0, 1 } }), Tensor.FromArray([1f]));
        Assert.Equal(4, m.Samples);
        Assert.Equal((1.0 * 3 + 4.0) / 4, m.Loss, 12);
        Assert.Equal(0.75, m.Accuracy, 12);
        Assert.Equal(2, RunningMetrics.CountCorrect(Tensor.FromArray(new float[,] { { 3, 1, 2 }, { 0, 0, 5 }, { 1, 2, 0 } }), Tensor.FromArray([0f, 1f, 1f])));
    }
}
