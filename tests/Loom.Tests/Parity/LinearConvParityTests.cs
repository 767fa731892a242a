using Loom.Nn;
using Xunit;

namespace Loom.Tests.Parity;

/// <summary>
/// Linear and Conv2d layers against PyTorch: output and the gradients of input, weight and bias for a
/// stored upstream gradient. The layers are loaded through <see cref="Module.LoadStateDict"/> with
/// PyTorch's names, so the tests also pin the parameter layout.
/// </summary>
public class LinearConvParityTests
{
    public static TheoryData<string> LinearCases => ParityFixture.CaseData("linear");
    public static TheoryData<string> Conv2dCases => ParityFixture.CaseData("conv2d");

    [Theory, MemberData(nameof(LinearCases))]
    public void Linear(string c)
    {
        var f = ParityFixture.Load("linear");
        var w = f.Get(c, "w");
        bool bias = f.Bool(c, "bias");
        var layer = new Nn.Linear(w.Shape[1], w.Shape[0], bias);
        layer.LoadStateDict(StateOf(f, c, bias));
        var x = f.Get(c, "x", requiresGrad: true);

        var y = layer.Forward(x);
        y.Backward(f.Get(c, "gy"));

        var tol = Tolerance.Reduction;
        ParityAssert.Close(f.Get(c, "y"), y, tol, $"linear {c}: y");
        ParityAssert.Close(f.Get(c, "grad_x"), x.Grad, tol, $"linear {c}: grad x");
        ParityAssert.Close(f.Get(c, "grad_w"), layer.Weight.Grad, tol, $"linear {c}: grad weight");
        if (bias) ParityAssert.Close(f.Get(c, "grad_b"), layer.Bias!.Grad, tol, $"linear {c}: grad bias");
        else Assert.Null(layer.Bias);
    }

    [Theory, MemberData(nameof(Conv2dCases))]
    public void Conv2d(string c)
    {
        var f = ParityFixture.Load("conv2d");
        var w = f.Get(c, "w");
        bool bias = f.Bool(c, "bias");
        int groups = f.Int(c, "groups");
        var layer = new Nn.Conv2d(w.Shape[1] * groups, w.Shape[0], (w.Shape[2], w.Shape[3]),
            f.Pair(c, "stride"), f.Pair(c, "padding"), f.Pair(c, "dilation"), groups, bias);
        layer.LoadStateDict(StateOf(f, c, bias));
        var x = f.Get(c, "x", requiresGrad: true);

        var y = layer.Forward(x);
        y.Backward(f.Get(c, "gy"));

        var tol = Tolerance.Reduction;
        ParityAssert.Close(f.Get(c, "y"), y, tol, $"conv2d {c}: y");
        ParityAssert.Close(f.Get(c, "grad_x"), x.Grad, tol, $"conv2d {c}: grad x");
        ParityAssert.Close(f.Get(c, "grad_w"), layer.Weight.Grad, tol, $"conv2d {c}: grad weight");
        if (bias) ParityAssert.Close(f.Get(c, "grad_b"), layer.Bias!.Grad, tol, $"conv2d {c}: grad bias");
        else Assert.Null(layer.Bias);
    }

    /// <summary>The case's parameters under PyTorch's state-dict names.</summary>
    private static Dictionary<string, Tensor> StateOf(ParityFixture f, string c, bool bias)
    {
        var state = new Dictionary<string, Tensor> { ["weight"] = f.Get(c, "w") };
        if (bias) state["bias"] = f.Get(c, "b");
        return state;
    }
}
