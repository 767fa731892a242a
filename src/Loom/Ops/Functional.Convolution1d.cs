using Loom.Autograd;
using Loom.Kernels;

namespace Loom;

public static partial class Functional
{
    /// <summary>
    /// 1-D cross-correlation. x: (N, C, L), weight: (O, C/groups, k), bias: (O) → (N, O, Lout) with
    /// Lout = ⌊(L + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1.
    /// </summary>
    /// <remarks>
    /// (N, C, L) and (O, C/groups, k) have the memory layout of (N, C, 1, L) and (O, C/groups, 1, k), so the
    /// 2-D kernels run on the same arrays with H = kH = 1 and nothing is copied or reshaped.
    /// </remarks>
    public static Tensor Conv1d(Tensor x, Tensor weight, Tensor? bias, int stride = 1, int padding = 0, int dilation = 1,
        int groups = 1, string layer = "Conv1d")
    {
        if (weight.Rank != 3) throw new ArgumentException($"{layer}: weight must be (O, C/groups, k), got {ShapeUtil.Format(weight.Shape)}.");
        int o = weight.Shape[0], cg = weight.Shape[1], k = weight.Shape[2];
        if (groups <= 0 || o % groups != 0)
            throw new ArgumentException($"{layer}: groups={groups} must be positive and divide the {o} output channels of weight {ShapeUtil.Format(weight.Shape)}.");
        if (bias is not null && (bias.Rank != 1 || bias.Size != o))
            throw new ArgumentException($"{layer}: bias must be ({o}), got {ShapeUtil.Format(bias.Shape)}.");
        if (stride <= 0 || dilation <= 0 || padding < 0)
            throw new ArgumentException($"{layer}: stride and dilation must be positive and padding non-negative, got stride {stride}, dilation {dilation}, padding {padding}.");
        if (x.Rank != 3 || x.Shape[1] != cg * groups)
            throw new ArgumentException($"{layer}: expected input (N, {cg * groups}, L), got {ShapeUtil.Format(x.Shape)}.");
        // Compared before dividing: C#'s division truncates towards zero, so a span just past the padded
        // input would otherwise give an output length of 1 instead of failing.
        long span = (long)dilation * (k - 1) + 1, padded = x.Shape[2] + 2L * padding;
        if (padded < span)
            throw new ArgumentException($"{layer}: input {ShapeUtil.Format(x.Shape)} is too short: kernel size {k} with dilation {dilation} spans {span} steps, but the input is {padded} long with padding {padding}.");
        var g = new ConvGeometry(x.Shape[0], x.Shape[1], 1, x.Shape[2], o, 1, k,
            StrideW: stride, PadW: padding, DilationW: dilation, Groups: groups);
        var y = Tensor.Zeros(g.Batch, o, g.OutWidth);
        Convolution.Forward(x.Data, weight.Data, bias?.Data, y.Data, g);
        return Graph.Record(y, layer, [x, weight, bias], dy =>
        {
            if (x.GradBuffer() is { } dx) Convolution.BackwardInput(dy, weight.Data, dx, g);
            var dw = weight.GradBuffer();
            var db = bias?.GradBuffer();
            if (dw is not null || db is not null) Convolution.BackwardWeight(x.Data, dy, dw, db, g);
        });
    }
}
