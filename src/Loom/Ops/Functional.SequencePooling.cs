using System.Numerics.Tensors;
using Loom.Autograd;

namespace Loom;

/// <summary>How <see cref="Functional.SequencePool"/> summarises the steps of a sequence.</summary>
public enum SequencePoolMode { Max, Mean }

public static partial class Functional
{
    /// <summary>
    /// Max or mean over the valid steps of batch-first sequences: x (N, T, F) → (N, F). Steps at or after
    /// <paramref name="lengths"/>[n] (padding) are left out; null lengths means all T steps count.
    /// The max passes its gradient to the step that won (the first one on ties).
    /// </summary>
    public static Tensor SequencePool(Tensor x, int[]? lengths, SequencePoolMode mode, string layer = "SequencePool")
    {
        if (x.Rank != 3) throw new ArgumentException($"{layer}: expected batch-first sequences (N, T, F), got {ShapeUtil.Format(x.Shape)}.");
        int n = x.Shape[0], t = x.Shape[1], f = x.Shape[2];
        if (lengths is not null && lengths.Length != n)
            throw new ArgumentException($"{layer}: {lengths.Length} lengths for a batch of {n} sequences.");
        var y = Tensor.Zeros(n, f);
        var winners = mode == SequencePoolMode.Max ? new int[n * f] : null;
        for (int i = 0; i < n; i++)
        {
            int len = Math.Clamp(lengths?[i] ?? t, 1, t);
            var outRow = y.Data.AsSpan(i * f, f);
            x.Data.AsSpan(i * t * f, f).CopyTo(outRow);
            if (winners is not null)
            {
                // winners hold the step of each feature's maximum.
                for (int s = 1; s < len; s++)
                {
                    var step = x.Data.AsSpan((i * t + s) * f, f);
                    for (int j = 0; j < f; j++)
                        if (step[j] > outRow[j]) { outRow[j] = step[j]; winners[i * f + j] = s; }
                }
            }
            else
            {
                for (int s = 1; s < len; s++) TensorPrimitives.Add(outRow, x.Data.AsSpan((i * t + s) * f, f), outRow);
                TensorPrimitives.Multiply(outRow, 1f / len, outRow);
            }
        }
        return Graph.Record(y, layer, [x], g =>
        {
            if (x.GradBuffer() is not { } dx) return;
            for (int i = 0; i < n; i++)
            {
                int len = Math.Clamp(lengths?[i] ?? t, 1, t);
                var gRow = g.AsSpan(i * f, f);
                if (winners is not null)
                    for (int j = 0; j < f; j++) dx[(i * t + winners[i * f + j]) * f + j] += gRow[j];
                else
                    for (int s = 0; s < len; s++)
                    {
                        var d = dx.AsSpan((i * t + s) * f, f);
                        TensorPrimitives.MultiplyAdd(gRow, 1f / len, d, d);
                    }
            }
        });
    }
}
