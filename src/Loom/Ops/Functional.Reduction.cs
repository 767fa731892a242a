using System.Numerics.Tensors;
using Loom.Autograd;

namespace Loom;

public static partial class Functional
{
    /// <summary>Sum of all elements, a one-element tensor.</summary>
    public static Tensor Sum(Tensor x)
    {
        var y = Tensor.Scalar(TensorPrimitives.Sum(x.Data));
        return Graph.Record(y, "Sum", [x], g => { if (x.GradBuffer() is { } dx) TensorPrimitives.Add(dx, g[0], dx); });
    }

    /// <summary>Mean of all elements, a one-element tensor.</summary>
    public static Tensor Mean(Tensor x)
    {
        if (x.Size == 0) throw new ArgumentException("Mean of an empty tensor.");
        float inv = 1f / x.Size;
        var y = Tensor.Scalar(TensorPrimitives.Sum(x.Data) * inv);
        return Graph.Record(y, "Mean", [x], g => { if (x.GradBuffer() is { } dx) TensorPrimitives.Add(dx, g[0] * inv, dx); });
    }

    /// <summary>Sum along one dimension; keepDim keeps it with size 1.</summary>
    public static Tensor Sum(Tensor x, int dim, bool keepDim = false) => Reduce(x, dim, keepDim, mean: false);

    /// <summary>Mean along one dimension; keepDim keeps it with size 1.</summary>
    public static Tensor Mean(Tensor x, int dim, bool keepDim = false) => Reduce(x, dim, keepDim, mean: true);

    private static Tensor Reduce(Tensor x, int dim, bool keepDim, bool mean)
    {
        int d = ShapeUtil.NormalizeDim(dim, x.Rank);
        var (outer, n, inner) = Split(x.Shape, d);
        var shape = x.Shape.ToList();
        if (keepDim) shape[d] = 1; else shape.RemoveAt(d);
        var y = Tensor.Zeros(shape.ToArray());
        float scale = mean ? 1f / n : 1f;
        for (int o = 0; o < outer; o++)
            for (int k = 0; k < n; k++)
            {
                var src = x.Data.AsSpan((o * n + k) * inner, inner);
                var dst = y.Data.AsSpan(o * inner, inner);
                TensorPrimitives.Add(dst, src, dst);
            }
        if (mean) TensorPrimitives.Multiply(y.Data, scale, y.Data);
        return Graph.Record(y, mean ? "Mean" : "Sum", [x], g =>
        {
            if (x.GradBuffer() is not { } dx) return;
            for (int o = 0; o < outer; o++)
                for (int k = 0; k < n; k++)
                {
                    var dst = dx.AsSpan((o * n + k) * inner, inner);
                    TensorPrimitives.MultiplyAdd(g.AsSpan(o * inner, inner), scale, dst, dst);
                }
        });
    }

    /// <summary>Views a shape as (outer, shape[dim], inner) around one dimension.</summary>
    internal static (int Outer, int N, int Inner) Split(int[] shape, int dim)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < dim; i++) outer *= shape[i];
        for (int i = dim + 1; i < shape.Length; i++) inner *= shape[i];
        return (outer, shape[dim], inner);
    }
}
