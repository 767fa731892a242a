using System.Numerics.Tensors;
using Loom.Autograd;

namespace Loom;

public static partial class Functional
{
    /// <summary>
    /// Pads the last dimension with <paramref name="value"/>: (…, L) → (…, left + L + right), as PyTorch's
    /// <c>F.pad(x, (left, right), value=value)</c>. Left padding alone makes a convolution causal.
    /// </summary>
    public static Tensor Pad1d(Tensor x, int left, int right, float value = 0f, string layer = "Pad1d")
    {
        if (left < 0 || right < 0) throw new ArgumentException($"{layer}: padding must be non-negative, got left {left}, right {right}.");
        if (x.Rank == 0) throw new ArgumentException($"{layer}: cannot pad a scalar.");
        int length = x.Shape[^1], padded = left + length + right;
        int rows = length == 0 ? 0 : x.Size / length;
        var shape = (int[])x.Shape.Clone();
        shape[^1] = padded;
        var y = Tensor.Zeros(shape);
        if (value != 0f) y.Data.AsSpan().Fill(value);
        for (int r = 0; r < rows; r++)
            x.Data.AsSpan(r * length, length).CopyTo(y.Data.AsSpan(r * padded + left, length));
        return Graph.Record(y, layer, [x], g =>
        {
            if (x.GradBuffer() is not { } dx) return;
            for (int r = 0; r < rows; r++)
            {
                var target = dx.AsSpan(r * length, length);
                TensorPrimitives.Add(target, g.AsSpan(r * padded + left, length), target);
            }
        });
    }
}
