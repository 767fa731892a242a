using Loom.Tests.Parity;
using Xunit;

namespace Loom.Tests.Conv1d;

/// <summary>
/// Conv1d and the 1-D pools against PyTorch (Fixtures/parity/conv1d.safetensors, written by
/// tools/make_fixtures.py): outputs and the gradients of input, weight and bias for a stored upstream
/// gradient. Conv1d is a reduction (dot products of up to 40 terms), so it gets <see cref="Tolerance.Reduction"/>;
/// pooling is element-wise up to a division by the window size, so it gets <see cref="Tolerance.Elementwise"/>.
/// </summary>
public class Conv1dParityTests
{
    private const string Family = "conv1d";

    public static TheoryData<string> ConvCases => CasesOf("conv");
    public static TheoryData<string> PoolCases => CasesOf("max", "avg", "adaptive_avg", "adaptive_max");

    private static TheoryData<string> CasesOf(params string[] kinds)
    {
        var f = ParityFixture.Load(Family);
        var data = new TheoryData<string>();
        foreach (var c in f.Cases.Where(c => kinds.Contains(f.Meta(c, "kind")))) data.Add(c);
        return data;
    }

    [Theory, MemberData(nameof(ConvCases))]
    public void Conv1dLayer(string c)
    {
        var f = ParityFixture.Load(Family);
        var w = f.Get(c, "w");
        bool bias = f.Bool(c, "bias");
        int groups = f.Int(c, "groups");
        var layer = new Nn.Conv1d(w.Shape[1] * groups, w.Shape[0], w.Shape[2],
            f.Int(c, "stride"), f.Int(c, "padding"), f.Int(c, "dilation"), groups, bias);
        // Through PyTorch's state-dict names, which also pins the parameter layout (O, C/groups, k).
        var state = new Dictionary<string, Tensor> { ["weight"] = w };
        if (bias) state["bias"] = f.Get(c, "b");
        layer.LoadStateDict(state);
        var x = f.Get(c, "x", requiresGrad: true);

        var y = layer.Forward(x);
        y.Backward(f.Get(c, "gy"));

        var tol = Tolerance.Reduction;
        ParityAssert.Close(f.Get(c, "y"), y, tol, $"conv1d {c}: y");
        ParityAssert.Close(f.Get(c, "grad_x"), x.Grad, tol, $"conv1d {c}: grad x");
        ParityAssert.Close(f.Get(c, "grad_w"), layer.Weight.Grad, tol, $"conv1d {c}: grad weight");
        if (bias) ParityAssert.Close(f.Get(c, "grad_b"), layer.Bias!.Grad, tol, $"conv1d {c}: grad bias");
        else Assert.Null(layer.Bias);
    }

    [Theory, MemberData(nameof(ConvCases))]
    public void Conv1dFunctional(string c)
    {
        // The functional form with every tensor a leaf: gradients of x, weight and bias from one backward.
        var f = ParityFixture.Load(Family);
        var x = f.Get(c, "x", requiresGrad: true);
        var w = f.Get(c, "w", requiresGrad: true);
        var b = f.GetOptional(c, "b", requiresGrad: true);

        var y = Functional.Conv1d(x, w, b, f.Int(c, "stride"), f.Int(c, "padding"), f.Int(c, "dilation"), f.Int(c, "groups"));
        y.Backward(f.Get(c, "gy"));

        var tol = Tolerance.Reduction;
        ParityAssert.Close(f.Get(c, "y"), y, tol, $"conv1d {c}: y");
        ParityAssert.Close(f.Get(c, "grad_x"), x.Grad, tol, $"conv1d {c}: grad x");
        ParityAssert.Close(f.Get(c, "grad_w"), w.Grad, tol, $"conv1d {c}: grad weight");
        if (b is not null) ParityAssert.Close(f.Get(c, "grad_b"), b.Grad, tol, $"conv1d {c}: grad bias");
    }

    [Theory, MemberData(nameof(PoolCases))]
    public void Pool1dLayer(string c)
    {
        var f = ParityFixture.Load(Family);
        Nn.Module pool = f.Meta(c, "kind") switch
        {
            "max" => new Nn.MaxPool1d(f.Int(c, "kernel"), f.Int(c, "stride"), f.Int(c, "padding"), f.Int(c, "dilation")),
            "avg" => new Nn.AvgPool1d(f.Int(c, "kernel"), f.Int(c, "stride"), f.Int(c, "padding"), f.Bool(c, "count_include_pad")),
            "adaptive_avg" => new Nn.AdaptiveAvgPool1d(f.Int(c, "output")),
            "adaptive_max" => new Nn.AdaptiveMaxPool1d(f.Int(c, "output")),
            var k => throw new InvalidDataException($"conv1d case {c}: unknown kind '{k}'."),
        };
        var x = f.Get(c, "x", requiresGrad: true);

        var y = pool.Forward(x);
        y.Backward(f.Get(c, "gy"));

        ParityAssert.Close(f.Get(c, "y"), y, Tolerance.Elementwise, $"pool1d {c}: y");
        ParityAssert.Close(f.Get(c, "grad_x"), x.Grad, Tolerance.Elementwise, $"pool1d {c}: grad x");
    }

    [Fact]
    public void FixtureCoversTheRequestedCases()
    {
        // Guards against a regenerated fixture that silently dropped the interesting geometries.
        var f = ParityFixture.Load(Family);
        var conv = f.Cases.Where(c => f.Meta(c, "kind") == "conv").ToList();
        Assert.Contains(conv, c => f.Int(c, "stride") > 1);
        Assert.Contains(conv, c => f.Int(c, "padding") > 0);
        Assert.Contains(conv, c => f.Int(c, "dilation") > 1);
        Assert.Contains(conv, c => f.Int(c, "groups") > 1);
        Assert.Contains(conv, c => !f.Bool(c, "bias"));
        Assert.Contains(conv, c => f.Get(c, "x").Shape[0] == 1);
        Assert.Contains(conv, c => f.Get(c, "x").Shape[0] == 3);
        Assert.Contains(conv, c => f.Get(c, "x").Shape[2] % 2 == 1);
        foreach (var kind in new[] { "adaptive_avg", "adaptive_max" })
            Assert.Contains(f.Cases, c => f.Meta(c, "kind") == kind && f.Get(c, "x").Shape[2] % f.Int(c, "output") != 0 && f.Int(c, "output") > 1);
    }
}
