using Loom.Nn;
using Xunit;

namespace Loom.Tests.Parity;

/// <summary>
/// BatchNorm1d on (N, C) and (N, C, L), BatchNorm2d on (N, C, H, W), in training mode (batch statistics,
/// running statistics updated with momentum 0.1 and the unbiased variance) and in evaluation mode
/// (non-trivial running statistics): output, gradients of input, weight and bias, and running stats.
/// </summary>
public class BatchNormParityTests
{
    public static TheoryData<string> Cases => ParityFixture.CaseData("batchnorm");

    [Theory, MemberData(nameof(Cases))]
    public void BatchNorm(string c)
    {
        var f = ParityFixture.Load("batchnorm");
        var x = f.Get(c, "x", requiresGrad: true);
        int channels = x.Shape[1];
        float eps = f.Float(c, "eps"), momentum = f.Float(c, "momentum");
        Nn.BatchNorm layer = x.Rank == 4 ? new BatchNorm2d(channels, eps, momentum) : new BatchNorm1d(channels, eps, momentum);
        layer.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["weight"] = f.Get(c, "w"),
            ["bias"] = f.Get(c, "b"),
            ["running_mean"] = f.Get(c, "running_mean"),
            ["running_var"] = f.Get(c, "running_var"),
            ["num_batches_tracked"] = Tensor.Scalar(0f),
        });
        bool training = f.Bool(c, "training");
        layer.Train(training);

        var y = layer.Forward(x);
        y.Backward(f.Get(c, "gy"));

        // Mean and variance are sums over N·H·W values and the input gradient subtracts two such sums.
        var tol = Tolerance.Reduction;
        ParityAssert.Close(f.Get(c, "y"), y, tol, $"batchnorm {c}: y");
        ParityAssert.Close(f.Get(c, "grad_x"), x.Grad, tol, $"batchnorm {c}: grad x");
        ParityAssert.Close(f.Get(c, "grad_w"), layer.Weight!.Grad, tol, $"batchnorm {c}: grad weight");
        ParityAssert.Close(f.Get(c, "grad_b"), layer.Bias!.Grad, tol, $"batchnorm {c}: grad bias");
        ParityAssert.Close(f.Get(c, "running_mean_after"), layer.RunningMean, tol, $"batchnorm {c}: running mean");
        ParityAssert.Close(f.Get(c, "running_var_after"), layer.RunningVar, tol, $"batchnorm {c}: running var");
        Assert.Equal(training ? 1f : 0f, layer.NumBatchesTracked.Data[0]);
    }
}
