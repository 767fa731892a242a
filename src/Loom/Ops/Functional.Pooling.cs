using Loom.Autograd;
using Loom.Kernels;

namespace Loom;

public static partial class Functional
{
    /// <summary>Max pooling. x: (N, C, H, W) → (N, C, OH, OW).</summary>
    public static Tensor MaxPool2d(Tensor x, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, string layer = "MaxPool2d")
    {
        var g = PoolGeometry(x, kernel, stride, padding, dilation, layer);
        var y = Tensor.Uninitialized([g.Batch, g.InChannels, g.OutHeight, g.OutWidth]); // every window writes its cell
        if (!GradMode.IsEnabled || !x.RequiresGrad)
        {
            // No gradient will ask where each maximum was: the values alone, without an argmax buffer.
            Pooling.MaxForward(x.Data, y.Data, null, g);
            return y;
        }
        var argmax = BufferPool.RentInts(y.Size);
        Pooling.MaxForward(x.Data, y.Data, argmax, g);
        return Graph.Record(y, layer, [x], dy => { if (x.GradBufferToWrite(out bool acc) is { } dx) Pooling.MaxBackward(dy, argmax, dx, g, acc); });
    }

    /// <summary>Average pooling. x: (N, C, H, W) → (N, C, OH, OW).</summary>
    public static Tensor AvgPool2d(Tensor x, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding, bool countIncludePad = true, string layer = "AvgPool2d")
    {
        var g = PoolGeometry(x, kernel, stride, padding, (1, 1), layer);
        var y = Tensor.Zeros(g.Batch, g.InChannels, g.OutHeight, g.OutWidth);
        Pooling.AvgForward(x.Data, y.Data, g, countIncludePad);
        return Graph.Record(y, layer, [x], dy => { if (x.GradBuffer() is { } dx) Pooling.AvgBackward(dy, dx, g, countIncludePad); });
    }

    /// <summary>Adaptive average pooling to a fixed output size. x: (N, C, H, W) → (N, C, outH, outW).</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor x, (int H, int W) output, string layer = "AdaptiveAvgPool2d")
    {
        if (x.Rank != 4) throw new ArgumentException($"{layer}: expected input (N, C, H, W), got {ShapeUtil.Format(x.Shape)}.");
        if (output.H <= 0 || output.W <= 0) throw new ArgumentException($"{layer}: output size must be positive, got {output.H}×{output.W}.");
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        var y = Tensor.Zeros(n, c, output.H, output.W);
        Pooling.AdaptiveAvgForward(x.Data, y.Data, n * c, h, w, output.H, output.W);
        return Graph.Record(y, layer, [x], dy => { if (x.GradBuffer() is { } dx) Pooling.AdaptiveAvgBackward(dy, dx, n * c, h, w, output.H, output.W); });
    }

    private static ConvGeometry PoolGeometry(Tensor x, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, string layer)
    {
        if (x.Rank != 4) throw new ArgumentException($"{layer}: expected input (N, C, H, W), got {ShapeUtil.Format(x.Shape)}.");
        if (padding.H * 2 > kernel.H || padding.W * 2 > kernel.W)
            throw new ArgumentException($"{layer}: padding {padding.H}×{padding.W} must be at most half the kernel {kernel.H}×{kernel.W}.");
        var g = new ConvGeometry(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], x.Shape[1], kernel.H, kernel.W,
            stride.H, stride.W, padding.H, padding.W, dilation.H, dilation.W);
        if (g.OutHeight <= 0 || g.OutWidth <= 0)
            throw new ArgumentException($"{layer}: input {ShapeUtil.Format(x.Shape)} is smaller than the {kernel.H}×{kernel.W} window.");
        return g;
    }
}
