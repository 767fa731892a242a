using System.Numerics.Tensors;
using Loom.Autograd;

namespace Loom;

public static partial class Functional
{
    /// <summary>The same data seen with another shape (one dimension may be -1).</summary>
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        var resolved = ShapeUtil.Infer(shape, x.Size, "Reshape");
        var y = x.ShareStorage(resolved); // shares the storage, and its lifetime
        // The first gradient to reach x is the incoming buffer itself (same elements, same order): no copy.
        return Graph.Record(y, "Reshape", [x], g =>
        {
            if (x.GradBufferToWrite(out bool accumulate, g) is not { } dx || ReferenceEquals(dx, g)) return;
            if (accumulate) TensorPrimitives.Add(dx, g, dx);
            else g.CopyTo(dx, 0); // x is a leaf: its gradient gets a buffer of its own
        });
    }

    /// <summary>(N, d1, d2, …) → (N, d1·d2·…) by default; dimensions startDim..endDim are merged.</summary>
    public static Tensor Flatten(Tensor x, int startDim = 1, int endDim = -1)
    {
        if (x.Rank == 0) return Reshape(x, 1);
        int s = ShapeUtil.NormalizeDim(startDim, x.Rank), e = ShapeUtil.NormalizeDim(endDim, x.Rank);
        var shape = new List<int>();
        for (int i = 0; i < s; i++) shape.Add(x.Shape[i]);
        int merged = 1;
        for (int i = s; i <= e; i++) merged *= x.Shape[i];
        shape.Add(merged);
        for (int i = e + 1; i < x.Rank; i++) shape.Add(x.Shape[i]);
        return Reshape(x, shape.ToArray());
    }

    /// <summary>Reorders dimensions: y.Shape[i] = x.Shape[dims[i]] (a copy, not a view).</summary>
    public static Tensor Permute(Tensor x, params int[] dims)
    {
        if (dims.Length != x.Rank) throw new ArgumentException($"Permute: {dims.Length} dimensions given for a tensor of shape {ShapeUtil.Format(x.Shape)}.");
        var norm = dims.Select(d => ShapeUtil.NormalizeDim(d, x.Rank)).ToArray();
        if (norm.Distinct().Count() != norm.Length) throw new ArgumentException($"Permute: dimensions ({string.Join(", ", dims)}) repeat.");
        var shape = norm.Select(d => x.Shape[d]).ToArray();
        var y = Tensor.Uninitialized(shape); // every value is written
        Kernels.Permutation.Apply(x.Data, x.Shape, norm, y.Data);
        return Graph.Record(y, "Permute", [x], g =>
        {
            if (x.GradBuffer() is { } dx) Kernels.Permutation.AddBack(g, x.Shape, norm, dx);
        });
    }

    public static Tensor Transpose(Tensor x, int dim0, int dim1)
    {
        var dims = Enumerable.Range(0, x.Rank).ToArray();
        int a = ShapeUtil.NormalizeDim(dim0, x.Rank), b = ShapeUtil.NormalizeDim(dim1, x.Rank);
        (dims[a], dims[b]) = (dims[b], dims[a]);
        return Permute(x, dims);
    }

    /// <summary>Elements [start, start + length) along <paramref name="dim"/>, as PyTorch's <c>narrow</c> (a copy, not a view).</summary>
    public static Tensor Narrow(Tensor x, int dim, int start, int length)
    {
        int d = ShapeUtil.NormalizeDim(dim, x.Rank);
        if (start < 0 || length < 0 || start + length > x.Shape[d])
            throw new ArgumentException($"Narrow: [{start}, {start + length}) is outside dimension {d} of size {x.Shape[d]} (shape {ShapeUtil.Format(x.Shape)}).");
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= x.Shape[i];
        for (int i = d + 1; i < x.Rank; i++) inner *= x.Shape[i];
        var shape = (int[])x.Shape.Clone();
        shape[d] = length;
        var y = Tensor.Zeros(shape);
        int srcBlock = x.Shape[d] * inner, dstBlock = length * inner;
        for (int o = 0; o < outer; o++)
            x.Data.AsSpan(o * srcBlock + start * inner, dstBlock).CopyTo(y.Data.AsSpan(o * dstBlock, dstBlock));
        return Graph.Record(y, "Narrow", [x], g =>
        {
            if (x.GradBuffer() is not { } dx) return;
            for (int o = 0; o < outer; o++)
            {
                var target = dx.AsSpan(o * srcBlock + start * inner, dstBlock);
                TensorPrimitives.Add(target, g.AsSpan(o * dstBlock, dstBlock), target);
            }
        });
    }
}
