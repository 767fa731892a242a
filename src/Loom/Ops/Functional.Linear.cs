using System.Numerics.Tensors;
using Loom.Autograd;
using Loom.Kernels;

namespace Loom;

public static partial class Functional
{
    /// <summary>Matrix product of a: (m, k) and b: (k, n) → (m, n).</summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        if (a.Rank != 2 || b.Rank != 2 || a.Shape[1] != b.Shape[0])
            throw new ArgumentException($"MatMul: shapes {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)} do not multiply (need (m, k) and (k, n)).");
        int m = a.Shape[0], k = a.Shape[1], n = b.Shape[1];
        var y = Tensor.Uninitialized([m, n]); // written in full by the GEMM (beta 0)
        Gemm.Multiply(false, false, m, n, k, a.Data, k, b.Data, n, y.Data, n);
        return Graph.Record(y, "MatMul", [a, b], g =>
        {
            if (a.GradBufferToWrite(out bool acc) is { } da) Gemm.Multiply(false, true, m, k, n, g, n, b.Data, n, da, k, acc ? 1f : 0f);
            if (b.GradBuffer() is { } db) Gemm.Multiply(true, false, k, n, m, a.Data, k, g, n, db, n, 1f);
        });
    }

    /// <summary>
    /// y = x·Wᵀ + b. x: (…, in), weight: (out, in), bias: (out) → (…, out). Leading dimensions are
    /// flattened into one GEMM.
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias, string layer = "Linear") => LinearCore(x, weight, bias, layer, layer, relu: false);

    /// <summary>
    /// ReLU(<see cref="Linear"/>(…)) as one op: one pass over the output (the GEMM adds the bias as it stores), and
    /// the gradient masked in place in backward rather than in a separate op; same result bit for bit.
    /// </summary>
    internal static Tensor LinearRelu(Tensor x, Tensor weight, Tensor? bias, string layer, string recordedAs) =>
        LinearCore(x, weight, bias, layer, recordedAs, relu: true);

    /// <summary>The two: <paramref name="layer"/> names the layer in errors, <paramref name="recordedAs"/> the op in the graph.</summary>
    private static Tensor LinearCore(Tensor x, Tensor weight, Tensor? bias, string layer, string recordedAs, bool relu)
    {
        int inF = weight.Shape[1], outF = weight.Shape[0];
        if (x.Rank < 1 || x.Shape[^1] != inF)
            throw new ArgumentException($"{layer}: expected input (…, {inF}), got {ShapeUtil.Format(x.Shape)}.");
        int rows = x.Size / inF;
        var shape = (int[])x.Shape.Clone();
        shape[^1] = outF;
        var y = Tensor.Uninitialized(shape, relu ? nameof(LinearRelu) : nameof(Linear)); // written in full by the GEMM (beta 0), which adds the bias as it stores
        Gemm.Multiply(false, true, rows, outF, inF, x.Data, inF, weight.Data, inF, y.Data, outF, columnBias: bias is null ? default : bias.Data);
        if (relu) Activations.Relu(y.Data, y.Data);
        return Graph.Record(y, recordedAs, [x, weight, bias], g =>
        {
            if (relu) Activations.ReluBackward(y.Data, g, g, accumulate: false); // g is this op's own: masked in place
            if (x.GradBufferToWrite(out bool acc) is { } dx) Gemm.Multiply(false, false, rows, inF, outF, g, outF, weight.Data, inF, dx, inF, acc ? 1f : 0f);
            if (weight.GradBuffer() is { } dw) Gemm.Multiply(true, false, outF, inF, rows, g, outF, x.Data, inF, dw, inF, 1f);
            if (bias?.GradBuffer() is { } db)
                for (int r = 0; r < rows; r++) TensorPrimitives.Add(db, g.AsSpan(r * outF, outF), db);
        });
    }
}
