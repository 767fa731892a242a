using System.Numerics.Tensors;
using Loom.Autograd;

namespace Loom;

/// <summary>
/// Differentiable operations. Each checks its shapes, computes its forward with a kernel and records
/// one node whose closure computes the backward beside it.
/// </summary>
public static partial class Functional
{
    /// <summary>a + b with NumPy/PyTorch broadcasting.</summary>
    public static Tensor Add(Tensor a, Tensor b) => Binary(a, b, "Add", BinaryOp.Add);
    public static Tensor Sub(Tensor a, Tensor b) => Binary(a, b, "Sub", BinaryOp.Sub);
    public static Tensor Mul(Tensor a, Tensor b) => Binary(a, b, "Mul", BinaryOp.Mul);
    public static Tensor Div(Tensor a, Tensor b) => Binary(a, b, "Div", BinaryOp.Div);

    public static Tensor AddScalar(Tensor a, float s)
    {
        var y = Tensor.Zeros(a.Shape);
        TensorPrimitives.Add(a.Data, s, y.Data);
        return Graph.Record(y, "AddScalar", [a], g => { if (a.GradBuffer() is { } da) TensorPrimitives.Add(da, g, da); });
    }

    public static Tensor MulScalar(Tensor a, float s)
    {
        var y = Tensor.Zeros(a.Shape);
        TensorPrimitives.Multiply(a.Data, s, y.Data);
        return Graph.Record(y, "MulScalar", [a], g => { if (a.GradBuffer() is { } da) TensorPrimitives.MultiplyAdd(g, s, da, da); });
    }

    public static Tensor Neg(Tensor a) => MulScalar(a, -1f);

    public static Tensor Exp(Tensor a)
    {
        var y = Tensor.Zeros(a.Shape);
        TensorPrimitives.Exp(a.Data, y.Data);
        return Graph.Record(y, "Exp", [a], g => { if (a.GradBuffer() is { } da) TensorPrimitives.MultiplyAdd(g, y.Data, da, da); });
    }

    public static Tensor Log(Tensor a)
    {
        var y = Tensor.Zeros(a.Shape);
        TensorPrimitives.Log(a.Data, y.Data);
        return Graph.Record(y, "Log", [a], g =>
        {
            if (a.GradBuffer() is not { } da) return;
            for (int i = 0; i < da.Length; i++) da[i] += g[i] / a.Data[i];
        });
    }

    public static Tensor Sqrt(Tensor a)
    {
        var y = Tensor.Zeros(a.Shape);
        TensorPrimitives.Sqrt(a.Data, y.Data);
        return Graph.Record(y, "Sqrt", [a], g =>
        {
            if (a.GradBuffer() is not { } da) return;
            for (int i = 0; i < da.Length; i++) da[i] += 0.5f * g[i] / y.Data[i];
        });
    }

    public static Tensor Square(Tensor a) => Mul(a, a);

    private enum BinaryOp { Add, Sub, Mul, Div }

    private static Tensor Binary(Tensor a, Tensor b, string name, BinaryOp op)
    {
        var shape = Broadcast.ResultShape(a.Shape, b.Shape, name);
        var y = Tensor.Zeros(shape);
        if (ShapeUtil.SameShape(a.Shape, b.Shape))
        {
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(a.Data, b.Data, y.Data); break;
                case BinaryOp.Sub: TensorPrimitives.Subtract(a.Data, b.Data, y.Data); break;
                case BinaryOp.Mul: TensorPrimitives.Multiply(a.Data, b.Data, y.Data); break;
                case BinaryOp.Div: TensorPrimitives.Divide(a.Data, b.Data, y.Data); break;
            }
        }
        else
        {
            var ia = Broadcast.Offsets(a.Shape, shape);
            var ib = Broadcast.Offsets(b.Shape, shape);
            float[] ad = a.Data, bd = b.Data, yd = y.Data;
            for (int i = 0; i < yd.Length; i++)
            {
                float u = ad[ia[i]], v = bd[ib[i]];
                yd[i] = op switch { BinaryOp.Add => u + v, BinaryOp.Sub => u - v, BinaryOp.Mul => u * v, _ => u / v };
            }
        }
        if (!Graph.NeedsGrad(a, b)) return y;
        return Graph.Record(y, name, [a, b], g =>
        {
            bool same = ShapeUtil.SameShape(a.Shape, b.Shape);
            int[]? ia = same ? null : Broadcast.Offsets(a.Shape, shape);
            int[]? ib = same ? null : Broadcast.Offsets(b.Shape, shape);
            if (a.GradBuffer() is { } da)
            {
                for (int i = 0; i < g.Length; i++)
                {
                    float d = op switch
                    {
                        BinaryOp.Add or BinaryOp.Sub => g[i],
                        BinaryOp.Mul => g[i] * b.Data[ib?[i] ?? i],
                        _ => g[i] / b.Data[ib?[i] ?? i],
                    };
                    da[ia?[i] ?? i] += d;
                }
            }
            if (b.GradBuffer() is { } db)
            {
                for (int i = 0; i < g.Length; i++)
                {
                    int jb = ib?[i] ?? i;
                    float d = op switch
                    {
                        BinaryOp.Add => g[i],
                        BinaryOp.Sub => -g[i],
                        BinaryOp.Mul => g[i] * a.Data[ia?[i] ?? i],
                        _ => -g[i] * a.Data[ia?[i] ?? i] / (b.Data[jb] * b.Data[jb]),
                    };
                    db[jb] += d;
                }
            }
        });
    }
}

/// <summary>Broadcasting rules (align trailing dimensions; size 1 stretches).</summary>
internal static class Broadcast
{
    public static int[] ResultShape(int[] a, int[] b, string op)
    {
        int rank = Math.Max(a.Length, b.Length);
        var shape = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {ShapeUtil.Format(a)} and {ShapeUtil.Format(b)} do not broadcast (dimension {i}: {da} vs {db}).");
            shape[i] = Math.Max(da, db);
        }
        return shape;
    }

    /// <summary>For every element of the result, the offset of the input element that feeds it.</summary>
    public static int[] Offsets(int[] input, int[] result)
    {
        int size = ShapeUtil.CheckedSize(result), rank = result.Length;
        var strides = new int[rank];
        var inStrides = ShapeUtil.Strides(input);
        for (int i = 0; i < rank; i++)
        {
            int k = i - (rank - input.Length);
            strides[i] = k < 0 || input[k] == 1 ? 0 : inStrides[k];
        }
        return OffsetsWithStrides(strides, result);
    }

    /// <summary>For every element of a tensor of <paramref name="shape"/>, Σ index[d]·strides[d].</summary>
    public static int[] OffsetsWithStrides(int[] strides, int[] shape)
    {
        int size = ShapeUtil.CheckedSize(shape), rank = shape.Length;
        var offsets = new int[size];
        var index = new int[rank];
        int off = 0;
        for (int e = 0; e < size; e++)
        {
            offsets[e] = off;
            for (int d = rank - 1; d >= 0; d--)
            {
                index[d]++;
                off += strides[d];
                if (index[d] < shape[d]) break;
                off -= strides[d] * index[d];
                index[d] = 0;
            }
        }
        return offsets;
    }
}
