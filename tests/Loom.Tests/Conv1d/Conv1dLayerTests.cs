using Xunit;

namespace Loom.Tests.Conv1d;

/// <summary>
/// Conv1d and the 1-D pools as layers: worked examples, a naive-loop cross-check on random shapes,
/// parameters and initialisation, PyTorch-style descriptions, and shape errors that name the layer.
/// </summary>
public class Conv1dLayerTests
{
    [Fact]
    public void WorkedExamples()
    {
        // A difference filter: every step of [1, 2, 4, 7, 11] ⊛ [-1, 0, 1] is x[i+2] − x[i].
        var x = Tensor.FromArray([1f, 2, 4, 7, 11], 1, 1, 5);
        var y = Functional.Conv1d(x, Tensor.FromArray([-1f, 0, 1], 1, 1, 3), Tensor.FromArray([0.5f], 1));
        Assert.Equal([1, 1, 3], y.Shape);
        Assert.Equal([3.5f, 5.5f, 7.5f], y.Data);

        var seq = Tensor.FromArray([1f, 3, 2, 5, 4, -1, 0], 1, 1, 7);
        Assert.Equal([3f, 5, 4], Functional.MaxPool1d(seq, 2).Data);
        Assert.Equal([2f, 3.5f, 1.5f], Functional.AvgPool1d(seq, 2).Data);
        Assert.Equal([5f], new Nn.AdaptiveMaxPool1d(1).Forward(seq).Data);
        Assert.Equal([2f], new Nn.AdaptiveAvgPool1d(1).Forward(seq).Data);
        // 7 steps into 3: windows [0, 3), [2, 5), [4, 7).
        Assert.Equal([3f, 5, 4], Functional.AdaptiveMaxPool1d(seq, 3).Data);
        Assert.Equal([2f, 11f / 3, 1f], Functional.AdaptiveAvgPool1d(seq, 3).Data);
    }

    [Theory]
    [InlineData(1, 3, 17, 5, 3, 1, 1, 1, 1)]
    [InlineData(4, 6, 33, 8, 5, 2, 2, 2, 2)]
    [InlineData(3, 4, 20, 4, 1, 3, 0, 1, 4)]
    [InlineData(8, 16, 64, 32, 7, 1, 3, 1, 1)]   // big enough for the kernels' threaded paths
    public void MatchesNaiveLoop(int n, int c, int l, int o, int k, int s, int p, int d, int groups)
    {
        var rng = new Rng(180 + (ulong)(n * l));
        var x = Tensor.Normal(0f, 1f, [n, c, l], rng);
        var w = Tensor.Normal(0f, 1f, [o, c / groups, k], rng);
        var b = Tensor.Normal(0f, 1f, [o], rng);
        var y = Functional.Conv1d(x, w, b, s, p, d, groups);
        int lout = (l + 2 * p - d * (k - 1) - 1) / s + 1;
        Assert.Equal([n, o, lout], y.Shape);
        int og = o / groups, cg = c / groups;
        for (int i = 0; i < n; i++)
            for (int oc = 0; oc < o; oc++)
                for (int t = 0; t < lout; t++)
                {
                    double sum = b.Data[oc];
                    for (int ci = 0; ci < cg; ci++)
                        for (int j = 0; j < k; j++)
                        {
                            int at = t * s - p + j * d;
                            if (at >= 0 && at < l) sum += (double)w.Data[(oc * cg + ci) * k + j] * x.Data[(i * c + oc / og * cg + ci) * l + at];
                        }
                    Assert.True(Math.Abs(sum - y.Data[(i * o + oc) * lout + t]) <= 1e-4 * (1 + Math.Abs(sum)),
                        $"y[{i}, {oc}, {t}] = {y.Data[(i * o + oc) * lout + t]}, expected {sum}");
                }
    }

    [Fact]
    public void ParametersFollowPyTorch()
    {
        var conv = new Nn.Conv1d(6, 4, 5, groups: 2);
        Assert.Equal(["weight", "bias"], conv.StateDict().Select(e => e.Name));
        Assert.Equal([4, 3, 5], conv.Weight.Shape);
        Assert.Equal([4], conv.Bias!.Shape);
        Assert.Equal(4 * 3 * 5 + 4, conv.ParameterCount());
        // kaiming_uniform(a = √5) and the bias bound: both U(±1/√fanIn), fanIn = 6/2 · 5 = 15.
        float bound = 1f / MathF.Sqrt(15);
        Assert.All(conv.Weight.Data.Concat(conv.Bias.Data), v => Assert.InRange(v, -bound, bound));
        Assert.True(conv.Weight.Data.Max() > 0.5f * bound && conv.Weight.Data.Min() < -0.5f * bound, "weights should fill the range");
        Assert.Null(new Nn.Conv1d(2, 2, 3, bias: false).Bias);
        Assert.Equal(0, new Nn.MaxPool1d(2).ParameterCount());
    }

    [Fact]
    public void DescribeMatchesPyTorchRepr()
    {
        // Strings printed by torch 1.13 (MaxPool1d without ceil_mode, as Loom's MaxPool2d).
        Assert.Equal("Conv1d(4, 8, kernel_size=(5,), stride=(1,))", new Nn.Conv1d(4, 8, 5).Describe());
        Assert.Equal("Conv1d(16, 33, kernel_size=(3,), stride=(2,), padding=(1,), dilation=(2,), bias=False)",
            new Nn.Conv1d(16, 33, 3, stride: 2, padding: 1, dilation: 2, bias: false).Describe());
        Assert.Equal("Conv1d(4, 8, kernel_size=(5,), stride=(1,), groups=2)", new Nn.Conv1d(4, 8, 5, groups: 2).Describe());
        Assert.Equal("MaxPool1d(kernel_size=3, stride=3, padding=0, dilation=1)", new Nn.MaxPool1d(3).Describe());
        Assert.Equal("MaxPool1d(kernel_size=3, stride=2, padding=1, dilation=2)", new Nn.MaxPool1d(3, 2, 1, 2).Describe());
        Assert.Equal("AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))", new Nn.AvgPool1d(3).Describe());
        Assert.Equal("AvgPool1d(kernel_size=(3,), stride=(2,), padding=(1,))", new Nn.AvgPool1d(3, 2, 1, countIncludePad: false).Describe());
        Assert.Equal("AdaptiveAvgPool1d(output_size=1)", new Nn.AdaptiveAvgPool1d(1).Describe());
        Assert.Equal("AdaptiveMaxPool1d(output_size=4)", new Nn.AdaptiveMaxPool1d(4).Describe());
    }

    [Fact]
    public void TextCnnShapes()
    {
        // (N, embedding, time) → conv → ReLU → global max over time → (N, filters).
        var model = new Nn.Sequential(new Nn.Conv1d(16, 32, 3, padding: 1), new Nn.Relu(), new Nn.AdaptiveMaxPool1d(1), new Nn.Flatten());
        var y = model.Forward(Tensor.Normal(0f, 1f, [4, 16, 23], new Rng(190)));
        Assert.Equal([4, 32], y.Shape);
        Assert.All(y.Data, v => Assert.True(v >= 0));
    }

    [Fact]
    public void NoGraphUnderNoGrad()
    {
        var conv = new Nn.Conv1d(2, 3, 3);
        using (Autograd.GradMode.NoGrad())
        {
            var y = conv.Forward(GradCheck.GradChecker.Randn(new Rng(191), 1, 2, 6));
            Assert.False(y.RequiresGrad);
        }
    }

    [Fact]
    public void WrongRankNamesTheLayer()
    {
        var conv = new Nn.Conv1d(3, 8, 3);
        var e = Assert.Throws<ArgumentException>(() => conv.Forward(Tensor.Zeros(2, 3, 4, 5)));
        Assert.Contains("Conv1d(3, 8, kernel_size=(3,), stride=(1,))", e.Message);
        Assert.Contains("(N, 3, L)", e.Message);
        Assert.Contains("(2, 3, 4, 5)", e.Message);

        // Inside a model the layer's name is given too.
        var model = new Nn.Sequential(new Nn.Relu(), new Nn.Conv1d(3, 8, 3));
        e = Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Zeros(2, 3)));
        Assert.Contains("Conv1d(3, 8", e.Message);
        Assert.Contains("layer '1'", e.Message);

        foreach (Nn.Module pool in new Nn.Module[] { new Nn.MaxPool1d(2), new Nn.AvgPool1d(2), new Nn.AdaptiveAvgPool1d(2), new Nn.AdaptiveMaxPool1d(2) })
        {
            e = Assert.Throws<ArgumentException>(() => pool.Forward(Tensor.Zeros(2, 3, 4, 4)));
            Assert.Contains(pool.GetType().Name + "(", e.Message);
            Assert.Contains("(N, C, L)", e.Message);
            Assert.Contains("(2, 3, 4, 4)", e.Message);
        }
    }

    [Fact]
    public void WrongChannelsNamesTheLayer()
    {
        var e = Assert.Throws<ArgumentException>(() => new Nn.Conv1d(4, 8, 3, groups: 2).Forward(Tensor.Zeros(1, 3, 10)));
        Assert.Contains("Conv1d(4, 8", e.Message);
        Assert.Contains("(N, 4, L)", e.Message);
        Assert.Contains("(1, 3, 10)", e.Message);
    }

    [Theory]
    [InlineData(4, 5, 1, 0, 1)]   // shorter than the kernel
    [InlineData(3, 4, 2, 0, 1)]   // (3 − 4) / 2 truncates to 0 in C#: must still fail
    [InlineData(6, 3, 1, 0, 3)]   // the dilated kernel spans 7
    public void InputTooShortNamesTheLayer(int length, int k, int stride, int padding, int dilation)
    {
        var conv = new Nn.Conv1d(2, 2, k, stride, padding, dilation);
        var e = Assert.Throws<ArgumentException>(() => conv.Forward(Tensor.Zeros(1, 2, length)));
        Assert.Contains($"Conv1d(2, 2, kernel_size=({k},)", e.Message);
        Assert.Contains($"(1, 2, {length})", e.Message);
        Assert.Contains("too short", e.Message);
    }

    [Fact]
    public void PaddingRescuesAShortInput()
    {
        // Length 3 with a 5-wide kernel fails unpadded, works with padding 1 (3 + 2 = 5).
        Assert.Equal([1, 1, 1], new Nn.Conv1d(1, 1, 5, padding: 1).Forward(Tensor.Zeros(1, 1, 3)).Shape);
    }

    [Fact]
    public void PoolErrorsNameTheLayer()
    {
        var e = Assert.Throws<ArgumentException>(() => new Nn.MaxPool1d(4).Forward(Tensor.Zeros(1, 2, 3)));
        Assert.Contains("MaxPool1d(kernel_size=4", e.Message);
        Assert.Contains("too short", e.Message);
        e = Assert.Throws<ArgumentException>(() => new Nn.MaxPool1d(3, dilation: 2).Forward(Tensor.Zeros(1, 2, 4)));
        Assert.Contains("spans 5", e.Message);
        e = Assert.Throws<ArgumentException>(() => new Nn.AvgPool1d(3, 2).Forward(Tensor.Zeros(1, 2, 2)));
        Assert.Contains("AvgPool1d(kernel_size=(3,)", e.Message);
        Assert.Contains("too short", e.Message);
        e = Assert.Throws<ArgumentException>(() => new Nn.AvgPool1d(2, padding: 2).Forward(Tensor.Zeros(1, 2, 8)));
        Assert.Contains("at most half", e.Message);
        e = Assert.Throws<ArgumentException>(() => Functional.AdaptiveMaxPool1d(Tensor.Zeros(1, 2, 8), 0));
        Assert.Contains("AdaptiveMaxPool1d", e.Message);
        Assert.Throws<ArgumentException>(() => new Nn.AdaptiveAvgPool1d(0));
    }

    [Fact]
    public void FunctionalShapeErrors()
    {
        var x = Tensor.Zeros(2, 4, 10);
        var e = Assert.Throws<ArgumentException>(() => Functional.Conv1d(x, Tensor.Zeros(3, 4, 3, 3), null));
        Assert.Contains("weight must be (O, C/groups, k)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Functional.Conv1d(x, Tensor.Zeros(3, 4, 3), Tensor.Zeros(4)));
        Assert.Contains("bias must be (3)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Functional.Conv1d(x, Tensor.Zeros(3, 2, 3), null, groups: 2));
        Assert.Contains("groups=2", e.Message);
        e = Assert.Throws<ArgumentException>(() => Functional.Conv1d(x, Tensor.Zeros(4, 4, 3), null, stride: 0, layer: "encoder.conv"));
        Assert.StartsWith("encoder.conv:", e.Message);
        Assert.Throws<ArgumentException>(() => new Nn.Conv1d(3, 4, 3, groups: 2));
        Assert.Throws<ArgumentException>(() => new Nn.Conv1d(3, 4, 0));
    }
}
