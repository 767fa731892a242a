using System.Numerics.Tensors;
using Loom.Autograd;

namespace Loom;

public static partial class Functional
{
    /// <summary>
    /// Joins tensors along <paramref name="dim"/>, as PyTorch's <c>torch.cat</c>: every input has the same shape
    /// except in that dimension, and the output's size there is the sum of theirs, e.g. (N, 100) ×3 → (N, 300).
    /// </summary>
    public static Tensor Concat(IReadOnlyList<Tensor> xs, int dim, string layer = "Concat")
    {
        ArgumentNullException.ThrowIfNull(xs);
        if (xs.Count == 0) throw new ArgumentException($"{layer}: nothing to concatenate.");
        var first = xs[0];
        int d = ShapeUtil.NormalizeDim(dim, first.Rank);
        int total = 0;
        foreach (var x in xs)
        {
            bool fits = x.Rank == first.Rank;
            for (int i = 0; fits && i < x.Rank; i++) fits = i == d || x.Shape[i] == first.Shape[i];
            if (!fits)
                throw new ArgumentException($"{layer}: cannot join {ShapeUtil.Format(x.Shape)} to {ShapeUtil.Format(first.Shape)} along dimension {d}: every other dimension must agree.");
            total += x.Shape[d];
        }
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= first.Shape[i];
        for (int i = d + 1; i < first.Rank; i++) inner *= first.Shape[i];
        var shape = (int[])first.Shape.Clone();
        shape[d] = total;
        var y = Tensor.Zeros(shape);
        int dstBlock = total * inner;
        var offsets = new int[xs.Count];
        for (int k = 0, at = 0; k < xs.Count; k++)
        {
            offsets[k] = at;
            int block = xs[k].Shape[d] * inner;
            for (int o = 0; o < outer; o++)
                xs[k].Data.AsSpan(o * block, block).CopyTo(y.Data.AsSpan(o * dstBlock + at, block));
            at += block;
        }
        var inputs = new Tensor?[xs.Count];
        for (int k = 0; k < inputs.Length; k++) inputs[k] = xs[k];
        return Graph.Record(y, layer, inputs, g =>
        {
            for (int k = 0; k < inputs.Length; k++)
            {
                if (inputs[k]!.GradBuffer() is not { } dx) continue;
                int block = inputs[k]!.Shape[d] * inner;
                for (int o = 0; o < outer; o++)
                {
                    var target = dx.AsSpan(o * block, block);
                    TensorPrimitives.Add(target, g.AsSpan(o * dstBlock + offsets[k], block), target);
                }
            }
        });
    }
}
