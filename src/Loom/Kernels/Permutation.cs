using System.Runtime.CompilerServices;

namespace Loom.Kernels;

/// <summary>
/// A tensor's elements in the order of a permutation of its dimensions (<c>Functional.Permute</c>): output dimension i
/// is input dimension dims[i]. The dimensions a permutation leaves in place at the end are contiguous in both
/// layouts, so the work is a walk over the others, copying (or, for the gradient, adding back) whole runs of the
/// trailing block: speech-crnn's (N, C, T, F) → (N, T, C, F) moves runs of F floats, where an index map per element
/// cost an allocation of the tensor's size in ints and a gather per value.
/// </summary>
public static class Permutation
{
    /// <summary>dst = x (of <paramref name="shape"/>) permuted by <paramref name="dims"/>; dst holds as many values.</summary>
    public static void Apply(ReadOnlySpan<float> x, ReadOnlySpan<int> shape, ReadOnlySpan<int> dims, Span<float> dst) =>
        Walk(shape, dims, new Copy(x, dst));

    /// <summary>
    /// dx (of <paramref name="shape"/>) += g permuted back: the adjoint of <see cref="Apply"/>, for its gradient
    /// (g has the permuted shape).
    /// </summary>
    public static void AddBack(ReadOnlySpan<float> g, ReadOnlySpan<int> shape, ReadOnlySpan<int> dims, Span<float> dx) =>
        Walk(shape, dims, new AddInto(g, dx));

    private interface IRun
    {
        /// <summary>The <paramref name="length"/> values from <paramref name="source"/> in x and from <paramref name="target"/> in the permuted tensor.</summary>
        void Run(int source, int target, int length);
    }

    private readonly ref struct Copy(ReadOnlySpan<float> x, Span<float> dst) : IRun
    {
        private readonly ReadOnlySpan<float> _x = x;
        private readonly Span<float> _dst = dst;

        public void Run(int source, int target, int length) => _x.Slice(source, length).CopyTo(_dst.Slice(target, length));
    }

    private readonly ref struct AddInto(ReadOnlySpan<float> g, Span<float> dx) : IRun
    {
        private readonly ReadOnlySpan<float> _g = g;
        private readonly Span<float> _dx = dx;

        public void Run(int source, int target, int length)
        {
            if (length == 1) _dx[source] += _g[target];
            else System.Numerics.Tensors.TensorPrimitives.Add(_dx.Slice(source, length), _g.Slice(target, length), _dx.Slice(source, length));
        }
    }

    /// <summary>
    /// Visits the permuted tensor in order, one run of the trailing dimensions the permutation keeps at a time, with
    /// each run's offset in x: an odometer over the leading output dimensions, x's offset stepped by their strides.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Walk<TRun>(ReadOnlySpan<int> shape, ReadOnlySpan<int> dims, TRun run) where TRun : IRun, allows ref struct
    {
        int rank = shape.Length, kept = rank;
        while (kept > 0 && dims[kept - 1] == kept - 1) kept--; // dims[kept..] are in place
        int runLength = 1;
        for (int d = kept; d < rank; d++) runLength *= shape[d];
        if (runLength == 0) return;
        Span<int> strides = stackalloc int[rank];
        for (int d = rank - 1, s = 1; d >= 0; d--) { strides[d] = s; s *= shape[d]; }
        Span<int> sizes = stackalloc int[kept], steps = stackalloc int[kept], index = stackalloc int[kept];
        int runs = 1;
        for (int i = 0; i < kept; i++)
        {
            sizes[i] = shape[dims[i]];
            steps[i] = strides[dims[i]];
            runs *= sizes[i];
        }
        index.Clear();
        int source = 0;
        for (int r = 0, target = 0; r < runs; r++, target += runLength)
        {
            run.Run(source, target, runLength);
            for (int i = kept - 1; i >= 0; i--) // the odometer: the last leading dimension turns fastest
            {
                source += steps[i];
                if (++index[i] < sizes[i]) break;
                source -= steps[i] * sizes[i];
                index[i] = 0;
            }
        }
    }
}
