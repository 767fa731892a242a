using Loom.Autograd;
using Loom.Kernels;

namespace Loom;

public static partial class Functional
{
    public static Tensor Relu(Tensor x)
    {
        var y = Tensor.Uninitialized(x.Shape);
        Activations.Relu(x.Data, y.Data);
        return Graph.Record(y, "ReLU", [x], g => { if (x.GradBufferToWrite(out bool acc, g) is { } dx) Activations.ReluBackward(x.Data, g, dx, acc); });
    }

    public static Tensor LeakyRelu(Tensor x, float negativeSlope = 0.01f)
    {
        var y = Tensor.Uninitialized(x.Shape);
        Activations.LeakyRelu(x.Data, y.Data, negativeSlope);
        return Graph.Record(y, "LeakyReLU", [x], g => { if (x.GradBufferToWrite(out bool acc, g) is { } dx) Activations.LeakyReluBackward(x.Data, g, dx, negativeSlope, acc); });
    }

    public static Tensor Tanh(Tensor x)
    {
        var y = Tensor.Uninitialized(x.Shape);
        Activations.Tanh(x.Data, y.Data);
        return Graph.Record(y, "Tanh", [x], g => { if (x.GradBufferToWrite(out bool acc, g) is { } dx) Activations.TanhBackward(y.Data, g, dx, acc); });
    }

    public static Tensor Sigmoid(Tensor x)
    {
        var y = Tensor.Uninitialized(x.Shape);
        Activations.Sigmoid(x.Data, y.Data);
        return Graph.Record(y, "Sigmoid", [x], g => { if (x.GradBufferToWrite(out bool acc, g) is { } dx) Activations.SigmoidBackward(y.Data, g, dx, acc); });
    }

    public static Tensor Gelu(Tensor x)
    {
        var y = Tensor.Zeros(x.Shape);
        Activations.Gelu(x.Data, y.Data);
        return Graph.Record(y, "GELU", [x], g => { if (x.GradBuffer() is { } dx) Activations.GeluBackward(x.Data, g, dx); });
    }

    /// <summary>Softmax along <paramref name="dim"/>.</summary>
    public static Tensor Softmax(Tensor x, int dim = -1) => SoftmaxCore(x, dim, log: false);

    /// <summary>Log-softmax along <paramref name="dim"/>, computed stably (not as log of softmax).</summary>
    public static Tensor LogSoftmax(Tensor x, int dim = -1) => SoftmaxCore(x, dim, log: true);

    private static Tensor SoftmaxCore(Tensor x, int dim, bool log)
    {
        var (outer, n, inner) = Split(x.Shape, ShapeUtil.NormalizeDim(dim, x.Rank));
        var y = Tensor.Zeros(x.Shape);
        Kernels.SoftmaxKernel.Forward(x.Data, y.Data, outer, n, inner, log);
        return Graph.Record(y, log ? "LogSoftmax" : "Softmax", [x], g =>
        {
            if (x.GradBuffer() is { } dx) Kernels.SoftmaxKernel.Backward(y.Data, g, dx, outer, n, inner, log);
        });
    }
}
