using Loom.Autograd;
using Loom.Kernels;

namespace Loom;

public static partial class Functional
{
    // (N, C, L) has the memory layout of (N, C, 1, L): the 2-D pooling kernels run on it with H = kH = 1.

    /// <summary>
    /// Max pooling over time. x: (N, C, L) → (N, C, Lout), Lout = ⌊(L + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1;
    /// stride defaults to the kernel size. Padded cells never win.
    /// </summary>
    public static Tensor MaxPool1d(Tensor x, int kernelSize, int? stride = null, int padding = 0, int dilation = 1, string layer = "MaxPool1d")
    {
        var g = PoolGeometry1d(x, kernelSize, stride ?? kernelSize, padding, dilation, layer);
        var y = Tensor.Zeros(g.Batch, g.InChannels, g.OutWidth);
        var argmax = new int[y.Size];
        Pooling.MaxForward(x.Data, y.Data, argmax, g);
        return Graph.Record(y, layer, [x], dy => { if (x.GradBuffer() is { } dx) Pooling.MaxBackward(dy, argmax, dx, g); });
    }

    /// <summary>
    /// Average pooling over time. x: (N, C, L) → (N, C, Lout); stride defaults to the kernel size. With
    /// <paramref name="countIncludePad"/> (PyTorch's default) padded cells count in the divisor.
    /// </summary>
    public static Tensor AvgPool1d(Tensor x, int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true, string layer = "AvgPool1d")
    {
        var g = PoolGeometry1d(x, kernelSize, stride ?? kernelSize, padding, 1, layer);
        var y = Tensor.Zeros(g.Batch, g.InChannels, g.OutWidth);
        Pooling.AvgForward(x.Data, y.Data, g, countIncludePad);
        return Graph.Record(y, layer, [x], dy => { if (x.GradBuffer() is { } dx) Pooling.AvgBackward(dy, dx, g, countIncludePad); });
    }

    /// <summary>
    /// Adaptive average pooling to a fixed length. x: (N, C, L) → (N, C, outputSize); output i averages
    /// x[⌊i·L/out⌋ … ⌈(i+1)·L/out⌉), so windows may overlap. outputSize 1 is global average pooling over time.
    /// </summary>
    public static Tensor AdaptiveAvgPool1d(Tensor x, int outputSize, string layer = "AdaptiveAvgPool1d")
    {
        CheckAdaptive1d(x, outputSize, layer);
        int n = x.Shape[0], c = x.Shape[1], length = x.Shape[2];
        var y = Tensor.Zeros(n, c, outputSize);
        Pooling.AdaptiveAvgForward(x.Data, y.Data, n * c, 1, length, 1, outputSize);
        return Graph.Record(y, layer, [x], dy => { if (x.GradBuffer() is { } dx) Pooling.AdaptiveAvgBackward(dy, dx, n * c, 1, length, 1, outputSize); });
    }

    /// <summary>
    /// Adaptive max pooling to a fixed length. x: (N, C, L) → (N, C, outputSize), over the same windows as
    /// <see cref="AdaptiveAvgPool1d"/>. outputSize 1 is global max pooling over time.
    /// </summary>
    public static Tensor AdaptiveMaxPool1d(Tensor x, int outputSize, string layer = "AdaptiveMaxPool1d")
    {
        CheckAdaptive1d(x, outputSize, layer);
        int n = x.Shape[0], c = x.Shape[1], length = x.Shape[2];
        var y = Tensor.Zeros(n, c, outputSize);
        var argmax = new int[y.Size];
        AdaptiveMaxForward1d(x.Data, y.Data, argmax, n * c, length, outputSize);
        return Graph.Record(y, layer, [x], dy =>
        {
            if (x.GradBuffer() is not { } dx) return;
            // argmax holds the winner's index within its row; rows are independent.
            Threading.For(n * c, p =>
            {
                int ib = p * length, ob = p * outputSize;
                for (int i = 0; i < outputSize; i++) dx[ib + argmax[ob + i]] += dy[ob + i];
            }, n * c * length > 16384);
        });
    }

    /// <summary>
    /// y[p, i] = max of row p over its adaptive window; argmax[p, i] = the winner's index in the row. As in
    /// PyTorch the first maximum wins and NaN propagates (the 2-D kernels have no adaptive max to reuse).
    /// </summary>
    private static void AdaptiveMaxForward1d(float[] x, float[] y, int[] argmax, int planes, int length, int outSize)
    {
        Threading.For(planes, p =>
        {
            var row = x.AsSpan(p * length, length);
            for (int i = 0; i < outSize; i++)
            {
                var (start, end) = Pooling.AdaptiveRange(i, length, outSize);
                float best = row[start];
                int bestIndex = start;
                for (int j = start + 1; j < end && !float.IsNaN(best); j++)
                    if (row[j] > best || float.IsNaN(row[j])) { best = row[j]; bestIndex = j; }
                y[p * outSize + i] = best;
                argmax[p * outSize + i] = bestIndex;
            }
        }, planes * length > 16384);
    }

    private static void CheckAdaptive1d(Tensor x, int outputSize, string layer)
    {
        if (x.Rank != 3) throw new ArgumentException($"{layer}: expected input (N, C, L), got {ShapeUtil.Format(x.Shape)}.");
        if (outputSize <= 0) throw new ArgumentException($"{layer}: output size must be positive, got {outputSize}.");
        if (x.Shape[2] <= 0) throw new ArgumentException($"{layer}: input {ShapeUtil.Format(x.Shape)} has no time steps.");
    }

    private static ConvGeometry PoolGeometry1d(Tensor x, int kernelSize, int stride, int padding, int dilation, string layer)
    {
        if (x.Rank != 3) throw new ArgumentException($"{layer}: expected input (N, C, L), got {ShapeUtil.Format(x.Shape)}.");
        if (kernelSize <= 0 || stride <= 0 || dilation <= 0 || padding < 0)
            throw new ArgumentException($"{layer}: kernel size, stride and dilation must be positive and padding non-negative, got kernel size {kernelSize}, stride {stride}, dilation {dilation}, padding {padding}.");
        if (padding * 2 > kernelSize)
            throw new ArgumentException($"{layer}: padding {padding} must be at most half the kernel size {kernelSize}.");
        // Compared before dividing: C#'s division truncates towards zero, so a window just past the padded
        // input would otherwise give an output length of 1 instead of failing.
        long span = (long)dilation * (kernelSize - 1) + 1, padded = x.Shape[2] + 2L * padding;
        if (padded < span)
            throw new ArgumentException($"{layer}: input {ShapeUtil.Format(x.Shape)} is too short: a window of {kernelSize} with dilation {dilation} spans {span} steps, but the input is {padded} long with padding {padding}.");
        return new ConvGeometry(x.Shape[0], x.Shape[1], 1, x.Shape[2], x.Shape[1], 1, kernelSize,
            StrideW: stride, PadW: padding, DilationW: dilation);
    }
}
