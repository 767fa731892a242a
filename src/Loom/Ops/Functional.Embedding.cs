using System.Numerics.Tensors;
using Loom.Autograd;

namespace Loom;

public static partial class Functional
{
    /// <summary>
    /// Looks up rows of a table. indices: any shape, whole numbers in [0, V); weight: (V, dim) → (…, dim).
    /// The gradient of each looked-up row is added into the weight's gradient, except for
    /// <paramref name="paddingIdx"/>, whose row never receives one (PyTorch's <c>F.embedding</c>).
    /// </summary>
    public static Tensor Embedding(Tensor indices, Tensor weight, int? paddingIdx = null, string layer = "Embedding")
    {
        if (weight.Rank != 2) throw new ArgumentException($"{layer}: weight must be (num_embeddings, embedding_dim), got {ShapeUtil.Format(weight.Shape)}.");
        int vocab = weight.Shape[0], dim = weight.Shape[1];
        if (paddingIdx is int p && (p < 0 || p >= vocab))
            throw new ArgumentException($"{layer}: padding index {p} is outside the vocabulary of {vocab} entries.");
        var rows = new int[indices.Size];
        for (int i = 0; i < rows.Length; i++)
        {
            float v = indices.Data[i];
            if (v != MathF.Round(v))
                throw new ArgumentException($"{layer}: index {v} at position {i} of input {ShapeUtil.Format(indices.Shape)} is not a whole number.");
            if (v < 0 || v >= vocab)
                throw new ArgumentException($"{layer}: index {v} at position {i} of input {ShapeUtil.Format(indices.Shape)} is out of range for a vocabulary of {vocab} entries (valid 0…{vocab - 1}).");
            rows[i] = (int)v;
        }
        var y = Tensor.Zeros([.. indices.Shape, dim]);
        for (int i = 0; i < rows.Length; i++) weight.Data.AsSpan(rows[i] * dim, dim).CopyTo(y.Data.AsSpan(i * dim, dim));
        return Graph.Record(y, layer, [weight], g =>
        {
            if (weight.GradBuffer() is not { } dw) return;
            for (int i = 0; i < rows.Length; i++)
            {
                if (rows[i] == paddingIdx) continue;
                var dst = dw.AsSpan(rows[i] * dim, dim);
                TensorPrimitives.Add(dst, g.AsSpan(i * dim, dim), dst);
            }
        });
    }
}
