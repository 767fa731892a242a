using System.Runtime.CompilerServices;
using System.Numerics.Tensors;

namespace Loom.Kernels;

/// <summary>
/// Softmax and log-softmax along one axis of a tensor viewed as (outer, n, inner). The common case,
/// the last axis (inner = 1), works on contiguous rows with vector primitives.
/// </summary>
public static class SoftmaxKernel
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, int outer, int n, int inner, bool log)
    {
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++) Row(x.Slice(o * n, n), y.Slice(o * n, n), log);
            return;
        }
        Span<float> tmpIn = n <= 1024 ? stackalloc float[n] : new float[n];
        Span<float> tmpOut = n <= 1024 ? stackalloc float[n] : new float[n];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int b = o * n * inner + i;
                for (int k = 0; k < n; k++) tmpIn[k] = x[b + k * inner];
                Row(tmpIn, tmpOut, log);
                for (int k = 0; k < n; k++) y[b + k * inner] = tmpOut[k];
            }
    }

    private static void Row(ReadOnlySpan<float> x, Span<float> y, bool log)
    {
        float max = TensorPrimitives.Max(x);
        if (float.IsNegativeInfinity(max)) max = 0f; // an all −∞ row gives NaN, as in PyTorch, not a crash
        TensorPrimitives.Subtract(x, max, y);
        if (log)
        {
            // log-softmax = (x − max) − log Σ exp(x − max): the exponentials go to scratch, y keeps x − max.
            Span<float> e = y.Length <= 1024 ? stackalloc float[y.Length] : new float[y.Length];
            TensorPrimitives.Exp(y, e);
            TensorPrimitives.Subtract(y, MathF.Log(TensorPrimitives.Sum(e)), y);
        }
        else
        {
            TensorPrimitives.Exp(y, y);
            TensorPrimitives.Divide(y, TensorPrimitives.Sum(y), y);
        }
    }

    /// <summary>dx += softmax backward from its output y: y·(dy − Σ dy·y); log: dy − exp(y)·Σ dy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int outer, int n, int inner, bool log)
    {
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int b = o * n * inner + i;
                float s = 0f;
                if (log) for (int k = 0; k < n; k++) s += dy[b + k * inner];
                else for (int k = 0; k < n; k++) s += dy[b + k * inner] * y[b + k * inner];
                for (int k = 0; k < n; k++)
                {
                    int idx = b + k * inner;
                    dx[idx] += log ? dy[idx] - MathF.Exp(y[idx]) * s : y[idx] * (dy[idx] - s);
                }
            }
    }
}
