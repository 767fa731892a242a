using Xunit;

namespace Loom.Tests.Core;

/// <summary>Tensor creation, shapes and their errors, views, indexing, broadcasting and printing.</summary>
public class TensorTests
{
    [Fact]
    public void CreationHelpers()
    {
        var z = Tensor.Zeros(2, 3);
        Assert.Equal(new[] { 2, 3 }, z.Shape);
        Assert.Equal(6, z.Size);
        Assert.Equal(2, z.Rank);
        Assert.All(z.Data, v => Assert.Equal(0f, v));
        Assert.All(Tensor.Ones(4).Data, v => Assert.Equal(1f, v));
        Assert.All(Tensor.Full(2.5f, 2, 2).Data, v => Assert.Equal(2.5f, v));
        Assert.Equal(new float[] { 0, 1, 2, 3, 4 }, Tensor.Arange(5).Data);

        var s = Tensor.Scalar(3f);
        Assert.Equal(0, s.Rank);
        Assert.Equal(3f, s.Item());

        var m = Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Assert.Equal(new[] { 2, 3 }, m.Shape);
        Assert.Equal(6f, m[1, 2]);
        Assert.Equal(4f, m[1, 0]);
        Assert.Equal(3, m.Dim(-1));
        m[0, 1] = 9f;
        Assert.Equal(9f, m.Data[1]);

        var values = new float[] { 1, 2, 3, 4 };
        var copy = Tensor.FromArray(values, 2, 2);
        values[0] = 100f;
        Assert.Equal(1f, copy.Data[0]); // FromArray copies
        Assert.Equal(new[] { 4 }, Tensor.FromArray(values).Shape);
    }

    [Fact]
    public void WrongDataLengthIsRejectedWithTheShape()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Tensor(new float[5], 2, 3));
        Assert.Contains("5", ex.Message);
        Assert.Contains("(2, 3)", ex.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, -1));
    }

    [Fact]
    public void IndexingErrors()
    {
        var t = Tensor.Zeros(2, 3);
        Assert.Throws<IndexOutOfRangeException>(() => t[2, 0]);
        Assert.Throws<IndexOutOfRangeException>(() => t[0, -1]);
        Assert.Throws<ArgumentException>(() => t[1]);
        Assert.Throws<InvalidOperationException>(() => t.Item());
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Dim(2));
    }

    [Fact]
    public void ReshapeInfersMinusOneAndSharesStorage()
    {
        var t = Tensor.Arange(24);
        var r = t.Reshape(2, -1, 4);
        Assert.Equal(new[] { 2, 3, 4 }, r.Shape);
        Assert.Same(t.Data, r.Data);
        r[1, 2, 3] = -1f;
        Assert.Equal(-1f, t.Data[23]);
        Assert.Equal(new[] { 24 }, r.Reshape(-1).Shape);
        Assert.Equal(new[] { 2, 12 }, r.View(2, 12).Shape);
        Assert.Equal(new[] { 2, 12 }, Functional.Flatten(r).Shape);
        Assert.Equal(new[] { 24 }, r.Flatten().Shape);
    }

    [Fact]
    public void BadReshapeNamesSizesAndShape()
    {
        var t = Tensor.Zeros(2, 3);
        var ex = Assert.Throws<ArgumentException>(() => t.Reshape(4, 2));
        Assert.Contains("6", ex.Message);
        Assert.Contains("(4, 2)", ex.Message);
        var inferred = Assert.Throws<ArgumentException>(() => t.Reshape(4, -1));
        Assert.Contains("(4, -1)", inferred.Message);
        var twice = Assert.Throws<ArgumentException>(() => t.Reshape(-1, -1));
        Assert.Contains("-1", twice.Message);
    }

    [Fact]
    public void PermuteAndTransposeMoveElements()
    {
        var t = Tensor.Arange(24).Reshape(2, 3, 4);
        var p = t.Permute(2, 0, 1);
        Assert.Equal(new[] { 4, 2, 3 }, p.Shape);
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 3; b++)
                for (int c = 0; c < 4; c++)
                    Assert.Equal(t[a, b, c], p[c, a, b]);
        var tr = Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } }).Transpose(0, 1);
        Assert.Equal(new float[] { 1, 4, 2, 5, 3, 6 }, tr.Data);
        Assert.Throws<ArgumentException>(() => t.Permute(0, 0, 1));
        Assert.Throws<ArgumentException>(() => t.Permute(0, 1));
    }

    [Fact]
    public void BroadcastingResults()
    {
        var col = Tensor.FromArray([1f, 2f, 3f], 3, 1);
        var row = Tensor.FromArray([10f, 20f], 1, 2);
        var sum = col + row;
        Assert.Equal(new[] { 3, 2 }, sum.Shape);
        Assert.Equal(new float[] { 11, 21, 12, 22, 13, 23 }, sum.Data);

        var m = Tensor.FromArray(new float[,] { { 1, 2 }, { 3, 4 } });
        Assert.Equal(new float[] { 10, 40, 30, 80 }, (m * Tensor.FromArray([10f, 20f])).Data);
        Assert.Equal(new float[] { 0, 1, 2, 3 }, (m - Tensor.Scalar(1f)).Data);
        Assert.Equal(new float[] { 1, 1, 3, 2 }, (m / Tensor.FromArray([1f, 2f], 1, 2)).Data);

        var big = Functional.Add(Tensor.Zeros(2, 1, 4), Tensor.Arange(3).Reshape(3, 1));
        Assert.Equal(new[] { 2, 3, 4 }, big.Shape);
        Assert.Equal(2f, big[1, 2, 3]);
        Assert.Equal(1f, big[0, 1, 0]);
    }

    [Fact]
    public void IncompatibleShapesNameBothShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3) + Tensor.Zeros(4));
        Assert.Contains("(2, 3)", ex.Message);
        Assert.Contains("(4)", ex.Message);
        var mm = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).MatMul(Tensor.Zeros(2, 3)));
        Assert.Contains("(2, 3)", mm.Message);
    }

    [Fact]
    public void LayersReportExpectedAndActualShapes()
    {
        var conv = new Loom.Nn.Conv2d(3, 8, 3);
        var ex = Assert.Throws<ArgumentException>(() => conv.Forward(Tensor.Zeros(1, 2, 5, 5)));
        Assert.Contains("Conv2d", ex.Message);
        Assert.Contains("(N, 3, H, W)", ex.Message);
        Assert.Contains("(1, 2, 5, 5)", ex.Message);

        var tooSmall = Assert.Throws<ArgumentException>(() => conv.Forward(Tensor.Zeros(1, 3, 2, 2)));
        Assert.Contains("(1, 3, 2, 2)", tooSmall.Message);

        var linear = new Loom.Nn.Linear(4, 2);
        var lex = Assert.Throws<ArgumentException>(() => linear.Forward(Tensor.Zeros(3, 5)));
        Assert.Contains("Linear", lex.Message);
        Assert.Contains("4", lex.Message);
        Assert.Contains("(3, 5)", lex.Message);
    }

    [Fact]
    public void ConvolutionRejectsInconsistentArguments()
    {
        var x = Tensor.Ones(1, 4, 5, 5);
        // 5 output channels cannot be split into 2 groups (this used to leave the last channel silently zero).
        var groups = Assert.Throws<ArgumentException>(() => Functional.Conv2d(x, Tensor.Ones(5, 2, 3, 3), null, (1, 1), (0, 0), (1, 1), groups: 2));
        Assert.Contains("groups=2", groups.Message);
        Assert.Throws<ArgumentException>(() => Functional.Conv2d(x, Tensor.Ones(4, 4, 3, 3), null, (1, 1), (0, 0), (1, 1), groups: 0));
        var bias = Assert.Throws<ArgumentException>(() => Functional.Conv2d(x, Tensor.Ones(3, 4, 3, 3), Tensor.Ones(2), (1, 1), (0, 0), (1, 1)));
        Assert.Contains("(3)", bias.Message);
        Assert.Throws<ArgumentException>(() => Functional.Conv2d(x, Tensor.Ones(3, 4, 3, 3), null, (0, 1), (0, 0), (1, 1)));
        Assert.Throws<ArgumentException>(() => Functional.Conv2d(x, Tensor.Ones(3, 4, 3, 3), null, (1, 1), (-1, 0), (1, 1)));
        Assert.Throws<ArgumentException>(() => Functional.Conv2d(x, Tensor.Ones(3, 4, 3, 3), null, (1, 1), (0, 0), (1, 0)));
    }

    [Fact]
    public void ToStringPrintsValuesShapeAndGradFlag()
    {
        var t = Tensor.FromArray(new float[,] { { 1, 2.5f }, { -3, 0.125f } });
        string s = t.ToString();
        Assert.StartsWith("tensor(", s);
        Assert.Contains("[[1, 2.5]", s);
        Assert.Contains("[-3, 0.125]]", s);
        Assert.Contains("(2, 2)", s);
        Assert.DoesNotContain("requires_grad", s);
        t.RequiresGrad = true;
        Assert.Contains("requires_grad", t.ToString());
        // An op's output names its op, as PyTorch's grad_fn.
        string relu = Functional.Relu(t).ToString();
        Assert.Contains("grad_fn=ReLU", relu);
        Assert.DoesNotContain("requires_grad", relu);

        Assert.Contains("7", Tensor.Scalar(7f).ToString());

        // Large tensors are elided in the middle, not printed in full.
        string big = Tensor.Arange(5000).ToString();
        Assert.Contains("...", big);
        Assert.Contains("4999", big);
        Assert.DoesNotContain("2500", big);
        Assert.True(big.Length < 200, big);
    }
}
