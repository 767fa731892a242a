using Loom.Autograd;
using Loom.Kernels;

namespace Loom;

public static partial class Functional
{
    /// <summary>
    /// 2-D cross-correlation. x: (N, C, H, W), weight: (O, C/groups, kH, kW), bias: (O) → (N, O, OH, OW).
    /// </summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, (int H, int W) stride, (int H, int W) padding,
        (int H, int W) dilation, int groups = 1, string layer = "Conv2d")
        => Conv2dCore(x, weight, bias, stride, padding, dilation, groups, layer, layer, relu: false);

    /// <summary>
    /// ReLU(<see cref="Conv2d"/>(…)) as one op: the activation is applied to each sample while its output is in
    /// cache, and its gradient mask is applied the same way in backward, so neither needs a pass over the batch.
    /// Same result as the two ops, bit for bit.
    /// </summary>
    internal static Tensor Conv2dRelu(Tensor x, Tensor weight, Tensor? bias, (int H, int W) stride, (int H, int W) padding,
        (int H, int W) dilation, int groups, string layer, string recordedAs)
        => Conv2dCore(x, weight, bias, stride, padding, dilation, groups, layer, recordedAs, relu: true);

    /// <summary>
    /// MaxPool2d(2)(ReLU(<see cref="Conv2d"/>(…))) as one op where no gradient is recorded (inference): each sample's
    /// convolution output is pooled while it is in cache, so the unpooled batch is never written. Same result as the
    /// three ops, bit for bit. Null where a gradient would be recorded, or the output is too small to pool: the caller
    /// then runs the three ops.
    /// </summary>
    internal static Tensor? Conv2dReluMaxPool2x2(Tensor x, Tensor weight, Tensor? bias, (int H, int W) stride, (int H, int W) padding,
        (int H, int W) dilation, int groups, string layer)
    {
        if (RecordsGradient(x, weight, bias)) return null;
        var g = ConvGeometryOf(x, weight, bias, stride, padding, dilation, groups, layer);
        if (g.OutHeight < 2 || g.OutWidth < 2) return null;
        var y = Tensor.Uninitialized([g.Batch, g.OutChannels, g.OutHeight / 2, g.OutWidth / 2], nameof(Conv2dReluMaxPool2x2)); // every cell is written
        Convolution.ForwardReluMaxPool(x.Data, weight.Data, bias?.Data, y.Data, g);
        return y;
    }

    /// <summary>Whether an op on these tensors would record a gradient (so the inference-only fused ops do not apply).</summary>
    private static bool RecordsGradient(Tensor x, Tensor weight, Tensor? bias) =>
        GradMode.IsEnabled && (x.RequiresGrad || weight.RequiresGrad || bias is { RequiresGrad: true });

    private static Tensor Conv2dCore(Tensor x, Tensor weight, Tensor? bias, (int H, int W) stride, (int H, int W) padding,
        (int H, int W) dilation, int groups, string layer, string recordedAs, bool relu)
    {
        var g = ConvGeometryOf(x, weight, bias, stride, padding, dilation, groups, layer);
        var y = Tensor.Uninitialized([g.Batch, g.OutChannels, g.OutHeight, g.OutWidth], relu ? nameof(Conv2dRelu) : nameof(Conv2d)); // every element is written by the GEMM (beta 0)
        Convolution.Forward(x.Data, weight.Data, bias?.Data, y.Data, g, relu);
        return Graph.Record(y, recordedAs, [x, weight, bias], dy =>
        {
            // With ReLU, dy (the output's gradient, which nothing reads after this op) is masked in place by the
            // first kernel that reads it.
            float[]? mask = relu ? y.Data : null;
            if (x.GradBufferToWrite(out bool acc) is { } dx)
            {
                Convolution.BackwardInput(dy, weight.Data, dx, g, acc, mask);
                mask = null;
            }
            var dw = weight.GradBuffer();
            var db = bias?.GradBuffer();
            if (dw is not null || db is not null) Convolution.BackwardWeight(x.Data, dy, dw, db, g, mask);
        });
    }

    /// <summary>The geometry of a convolution of x by weight, after checking every shape and setting (errors name the layer).</summary>
    private static ConvGeometry ConvGeometryOf(Tensor x, Tensor weight, Tensor? bias, (int H, int W) stride, (int H, int W) padding,
        (int H, int W) dilation, int groups, string layer)
    {
        if (weight.Rank != 4) throw new ArgumentException($"{layer}: weight must be (O, C/groups, kH, kW), got {ShapeUtil.Format(weight.Shape)}.");
        int o = weight.Shape[0], cg = weight.Shape[1], kh = weight.Shape[2], kw = weight.Shape[3];
        if (groups <= 0 || o % groups != 0)
            throw new ArgumentException($"{layer}: groups={groups} must be positive and divide the {o} output channels of weight {ShapeUtil.Format(weight.Shape)}.");
        if (bias is not null && (bias.Rank != 1 || bias.Size != o))
            throw new ArgumentException($"{layer}: bias must be ({o}), got {ShapeUtil.Format(bias.Shape)}.");
        if (stride.H <= 0 || stride.W <= 0 || dilation.H <= 0 || dilation.W <= 0 || padding.H < 0 || padding.W < 0)
            throw new ArgumentException($"{layer}: stride and dilation must be positive and padding non-negative, got stride {stride.H}×{stride.W}, dilation {dilation.H}×{dilation.W}, padding {padding.H}×{padding.W}.");
        if (x.Rank != 4 || x.Shape[1] != cg * groups)
            throw new ArgumentException($"{layer}: expected input (N, {cg * groups}, H, W), got {ShapeUtil.Format(x.Shape)}.");
        var g = new ConvGeometry(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], o, kh, kw,
            stride.H, stride.W, padding.H, padding.W, dilation.H, dilation.W, groups);
        if (g.OutHeight <= 0 || g.OutWidth <= 0)
            throw new ArgumentException($"{layer}: input {ShapeUtil.Format(x.Shape)} is too small for a {kh}×{kw} kernel (dilation {dilation.H}×{dilation.W}, padding {padding.H}×{padding.W}): output would be {g.OutHeight}×{g.OutWidth}.");
        return g;
    }
}
