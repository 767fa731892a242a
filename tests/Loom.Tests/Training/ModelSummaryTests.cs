using Loom.Models;
using Loom.Nn;
using Xunit;

namespace Loom.Tests.Training;

/// <summary>
/// The Keras-style <see cref="ModelSummary"/> of the zoo's models: one row per leaf layer with its
/// output shape and parameter count, the totals (lenet 421,642; fashion-cnn 871,082 with 2·C per batch
/// norm), the printed table, and no side effects on the model (mode, batch-norm statistics).
/// </summary>
public class ModelSummaryTests
{
    [Fact]
    public void LeNetRowsShapesAndCounts()
    {
        var model = ModelZoo.LeNet().Model;
        var s = ModelSummary.Create(model, [1, 28, 28]);

        Assert.Equal(10, s.Rows.Count);
        Assert.Equal(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], s.Rows.Select(r => r.Name));
        int[][] shapes =
        [
            [1, 32, 28, 28], [1, 32, 28, 28], [1, 32, 14, 14],
            [1, 64, 14, 14], [1, 64, 14, 14], [1, 64, 7, 7],
            [1, 3136], [1, 128], [1, 128], [1, 10],
        ];
        for (int i = 0; i < 10; i++) Assert.True(shapes[i].SequenceEqual(s.Rows[i].OutputShape), $"row {i}: {ShapeUtil.Format(s.Rows[i].OutputShape)}");
        // 1·32·9 + 32; 32·64·9 + 64; 3136·128 + 128; 128·10 + 10.
        Assert.Equal([320L, 0, 0, 18496, 0, 0, 0, 401536, 0, 1290], s.Rows.Select(r => r.Parameters));
        Assert.Equal(421_642, s.TotalParameters);
        Assert.Equal(421_642, s.TrainableParameters);
        Assert.Equal(s.Rows.Sum(r => r.Parameters), s.TotalParameters);
        Assert.Equal([1, 28, 28], s.InputShape);
        Assert.StartsWith("Conv2d(", s.Rows[0].Layer);
        Assert.Equal("ReLU()", s.Rows[1].Layer);
        Assert.StartsWith("Linear(in_features=3136, out_features=128", s.Rows[7].Layer);

        var text = s.ToString();
        Assert.Contains("(N, 32, 28, 28)", text);
        Assert.Contains("(N, 3136)", text);
        Assert.Contains("401,536", text);
        Assert.Contains("Input shape: (N, 1, 28, 28)", text);
        Assert.Contains("Total params: 421,642", text);
        Assert.Contains("Trainable params: 421,642", text);
        Assert.Contains("Non-trainable params: 0", text);
        Assert.Equal(10, text.Split('\n').Count(l => l.Contains("   (N, ", StringComparison.Ordinal)));
    }

    [Fact]
    public void FashionCnnCountsTwoParametersPerBatchNormChannel()
    {
        var model = ModelZoo.FashionCnn().Model;
        var s = ModelSummary.Create(model, [1, 28, 28]);

        Assert.Equal(22, s.Rows.Count);
        var norms = s.Rows.Where(r => r.Layer.StartsWith("BatchNorm", StringComparison.Ordinal)).ToList();
        Assert.Equal(["1", "4", "9", "12", "18"], norms.Select(r => r.Name));
        Assert.Equal([64L, 64, 128, 128, 512], norms.Select(r => r.Parameters));
        // Bias-free convolutions and the bias-free hidden layer: weights only.
        Assert.Equal([288L, 9216, 18432, 36864, 802816, 2570],
            s.Rows.Where(r => r.Layer.StartsWith("Conv2d", StringComparison.Ordinal) || r.Layer.StartsWith("Linear", StringComparison.Ordinal)).Select(r => r.Parameters));
        Assert.Equal([1, 32, 14, 14], s.Rows[7].OutputShape);   // after the first pool and its dropout
        Assert.Equal([1, 256], s.Rows[18].OutputShape);
        Assert.Equal([1, 10], s.Rows[^1].OutputShape);
        Assert.Equal(871_082, s.TotalParameters);
        Assert.Equal(871_082, s.TrainableParameters);
        Assert.Equal(s.Rows.Sum(r => r.Parameters), s.TotalParameters);
        // Running statistics are buffers, not parameters.
        Assert.Equal(871_082, model.ParameterCount());

        var text = s.ToString();
        Assert.Contains("Total params: 871,082", text);
        Assert.Contains("Trainable params: 871,082", text);
        Assert.Contains("Non-trainable params: 0", text);
    }

    [Fact]
    public void SummaryLeavesTheModelAsItWas()
    {
        var model = ModelZoo.FashionCnn().Model;
        model.Train();
        var bn = (BatchNorm2d)model[1];
        ModelSummary.Create(model, [1, 28, 28]);
        Assert.True(model.Training);
        Assert.Equal(0f, bn.NumBatchesTracked.Item());
        Assert.All(bn.RunningMean.Data, v => Assert.Equal(0f, v));
        Assert.All(model.Parameters(), p => Assert.Null(p.Grad));

        model.Eval();
        ModelSummary.Create(model, [1, 28, 28]);
        Assert.False(model.Training);
    }

    [Fact]
    public void AShapeThatDoesNotFitNamesTheLayer()
    {
        var model = ModelZoo.LeNet().Model;
        var e = Assert.Throws<ArgumentException>(() => ModelSummary.Create(model, [1, 32, 32]));
        Assert.Contains("layer '7'", e.Message);
        Assert.Contains("3136", e.Message);
    }
}
