using Loom.Autograd;
using Xunit;

namespace Loom.Tests.Core;

/// <summary>Behaviour of the tape: accumulation, shared inputs, no-grad scopes, errors, detach.</summary>
public class AutogradTests
{
    private static Tensor Leaf(params float[] values) => new(values, values.Length) { RequiresGrad = true };

    [Fact]
    public void GradientsAccumulateAcrossBackwardCalls()
    {
        var x = Leaf(1f, 2f, 3f);
        (x * x).Sum().Backward();
        Assert.Equal(new[] { 2f, 4f, 6f }, x.Grad!.Data);
        (x * x).Sum().Backward();
        Assert.Equal(new[] { 4f, 8f, 12f }, x.Grad!.Data);
        x.ZeroGrad();
        Assert.Null(x.Grad);
        (x * 3f).Sum().Backward();
        Assert.Equal(new[] { 3f, 3f, 3f }, x.Grad!.Data);
    }

    [Fact]
    public void OpsThatWriteTheFirstGradientInPlaceStillSumEveryPath()
    {
        // h is not a leaf, so the first op to send it a gradient takes over its own incoming buffer (ReLU, tanh,
        // reshape) or writes a fresh one (linear, max-pool); later paths must still add. Each order is tried.
        var x = Leaf(0.5f, -1f, 2f, -0.25f);
        float[] Grad(Func<Tensor, Tensor> loss)
        {
            x.ZeroGrad();
            loss(x * 2f).Backward();
            return x.Grad!.Data;
        }
        // d/dx of Σ relu(2x) + Σ reshape(2x)·3 + Σ tanh(2x) = 2·(1[x>0] + 3 + 1 − tanh²(2x)).
        var expected = x.Data.Select(v => 2f * ((v > 0 ? 1f : 0f) + 3f + 1f - MathF.Tanh(2f * v) * MathF.Tanh(2f * v))).ToArray();
        var orders = new Func<Tensor, Tensor>[]
        {
            h => h.Relu().Sum() + (h.Reshape(2, 2) * 3f).Sum() + h.Tanh().Sum(),
            h => h.Tanh().Sum() + h.Relu().Sum() + (h.Reshape(2, 2) * 3f).Sum(),
            h => (h.Reshape(2, 2) * 3f).Sum() + h.Tanh().Sum() + h.Relu().Sum(),
        };
        foreach (var loss in orders)
        {
            var got = Grad(loss);
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], got[i], 1e-5f);
        }
    }

    [Fact]
    public void TensorUsedTwiceGetsTheSumOfBothPaths()
    {
        // Diamond: h = tanh(x) feeds two branches that meet again. dL/dx = (2h + 3)(1 − h²).
        var x = Leaf(0.3f, -0.7f);
        var h = x.Tanh();
        var loss = (h * h + h * 3f).Sum();
        loss.Backward();
        for (int i = 0; i < 2; i++)
        {
            double hv = Math.Tanh(x.Data[i]);
            Assert.Equal((2 * hv + 3) * (1 - hv * hv), x.Grad!.Data[i], 1e-6);
        }

        // A leaf used directly in two ops.
        var y = Leaf(2f);
        (y * 5f + y.Exp()).Sum().Backward();
        Assert.Equal(5f + MathF.Exp(2f), y.Grad!.Data[0], 1e-4f);
    }

    [Fact]
    public void OnlyLeavesKeepGradients()
    {
        var x = Leaf(1f, 2f);
        var mid = x * 2f;
        Assert.False(mid.IsLeaf);
        Assert.True(mid.RequiresGrad);
        mid.Sum().Backward();
        Assert.Null(mid.Grad);
        Assert.Equal(new[] { 2f, 2f }, x.Grad!.Data);
    }

    [Fact]
    public void NoGradScopeRecordsNothing()
    {
        var x = Leaf(1f, 2f);
        Tensor y;
        Assert.True(GradMode.IsEnabled);
        using (GradMode.NoGrad())
        {
            Assert.False(GradMode.IsEnabled);
            using (GradMode.NoGrad()) y = (x * x).Sum();
            Assert.False(GradMode.IsEnabled); // the inner scope does not re-enable the outer one
            var w = Tensor.Ones(3, 2);
            w.RequiresGrad = true;
            Assert.False(Functional.Linear(Tensor.Ones(1, 2), w, null).RequiresGrad);
        }
        Assert.True(GradMode.IsEnabled);
        Assert.False(y.RequiresGrad);
        Assert.True(y.IsLeaf);
        Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Null(x.Grad);
        Assert.True((x * x).Sum().RequiresGrad);
    }

    [Fact]
    public void NoGradScopeDisposedTwiceDoesNotUnbalance()
    {
        var scope = GradMode.NoGrad();
        scope.Dispose();
        scope.Dispose();
        Assert.True(GradMode.IsEnabled);
    }

    [Fact]
    public void BackwardOnNonScalarNeedsAGradient()
    {
        var x = Leaf(1f, 2f, 3f);
        var y = x * 2f;
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("(3)", ex.Message);
        Assert.Throws<ArgumentException>(() => y.Backward(Tensor.Ones(2)));
        y.Backward(Tensor.FromArray([1f, 0f, -1f]));
        Assert.Equal(new[] { 2f, 0f, -2f }, x.Grad!.Data);
    }

    [Fact]
    public void BackwardWithoutAnythingToDifferentiateThrows()
    {
        var c = Tensor.Ones(2).Sum();
        Assert.Throws<InvalidOperationException>(() => c.Backward());
    }

    [Fact]
    public void DetachCutsTheGraph()
    {
        var x = Leaf(1f, 2f);
        var y = x * x;
        var d = y.Detach();
        Assert.False(d.RequiresGrad);
        Assert.True(d.IsLeaf);
        Assert.Same(y.Data, d.Data);
        // L = Σ detach(x²)·x: only the direct path counts, dL/dx = x².
        (d * x).Sum().Backward();
        Assert.Equal(new[] { 1f, 4f }, x.Grad!.Data);
        Assert.Throws<InvalidOperationException>(() => d.Sum().Backward());
    }

    [Fact]
    public void ConstantsGetNoGradient()
    {
        var x = Leaf(1f, 2f);
        var c = Tensor.FromArray([3f, 4f]);
        (x * c).Sum().Backward();
        Assert.Null(c.Grad);
        Assert.Equal(new[] { 3f, 4f }, x.Grad!.Data);
    }

    [Fact]
    public void GradientFlowsThroughViewsAndLayers()
    {
        var linear = new Loom.Nn.Linear(3, 2);
        var x = Tensor.Arange(6);
        x.RequiresGrad = true;
        linear.Forward(x.Reshape(2, 3)).Sum().Backward();
        Assert.Equal(new[] { 2, 3 }, linear.Weight.Grad!.Shape);
        Assert.Equal(new[] { 2f, 2f }, linear.Bias!.Grad!.Data);
        // dΣ/dW[o, i] = Σ_rows x[row, i]
        Assert.Equal(new[] { 3f, 5f, 7f, 3f, 5f, 7f }, linear.Weight.Grad.Data);
        Assert.Equal(new[] { 6 }, x.Grad!.Shape);
        linear.ZeroGrad();
        Assert.Null(linear.Weight.Grad);
    }

    [Fact]
    public void LongChainDoesNotOverflowTheStack()
    {
        var x = Leaf(1f);
        var y = x;
        for (int i = 0; i < 20000; i++) y = y * 1f;
        y.Sum().Backward();
        Assert.Equal(1f, x.Grad!.Data[0]);
    }
}
