using Xunit;

namespace Loom.Tests.Parity;

/// <summary>
/// Max, average and adaptive average pooling against PyTorch: outputs and input gradients. Pooling is
/// element-wise up to a division by the window size, hence the tight tolerance.
/// </summary>
public class PoolingParityTests
{
    public static TheoryData<string> Cases => ParityFixture.CaseData("pooling");

    [Theory, MemberData(nameof(Cases))]
    public void Pool2d(string c)
    {
        var f = ParityFixture.Load("pooling");
        var x = f.Get(c, "x", requiresGrad: true);
        var y = f.Meta(c, "kind") switch
        {
            "max" => Functional.MaxPool2d(x, f.Pair(c, "kernel"), f.Pair(c, "stride"), f.Pair(c, "padding"), f.Pair(c, "dilation")),
            "avg" => Functional.AvgPool2d(x, f.Pair(c, "kernel"), f.Pair(c, "stride"), f.Pair(c, "padding"), f.Bool(c, "count_include_pad")),
            "adaptive_avg" => Functional.AdaptiveAvgPool2d(x, f.Pair(c, "output")),
            var k => throw new InvalidDataException($"pooling case {c}: unknown kind '{k}'."),
        };
        y.Backward(f.Get(c, "gy"));

        ParityAssert.Close(f.Get(c, "y"), y, Tolerance.Elementwise, $"pooling {c}: y");
        ParityAssert.Close(f.Get(c, "grad_x"), x.Grad, Tolerance.Elementwise, $"pooling {c}: grad x");
    }
}
