using Loom.Kernels;
using Xunit;

namespace Loom.Tests.Kernels;

/// <summary>
/// The run-by-run permutation against a naive twin written here (each output index decoded to its input index), on
/// every permutation of small tensors of rank 1 to 4, with dimensions of size 1, and on speech-crnn's shape; its
/// gradient is checked as the exact adjoint, accumulating.
/// </summary>
public class PermutationTests
{
    public static TheoryData<int[]> Shapes => new()
    {
        new[] { 7 },
        new[] { 3, 5 },
        new[] { 2, 3, 4 },
        new[] { 2, 1, 3, 5 },
        new[] { 3, 4, 2, 3 },
        new[] { 1, 1, 6, 1 },
    };

    [Theory, MemberData(nameof(Shapes))]
    public void EveryPermutationMatchesTheNaiveTwin(int[] shape)
    {
        var rng = new Rng(3);
        int size = ShapeUtil.CheckedSize(shape);
        var x = KernelAssert.Random(rng, size);
        foreach (var dims in Permutations(shape.Length))
        {
            var expected = Naive(x, shape, dims);
            var y = new float[size];
            Array.Fill(y, float.NaN);
            Permutation.Apply(x, shape, dims, y);
            Assert.Equal(expected, y);

            // AddBack is the adjoint and accumulates: dx = start + (g permuted back), exactly.
            var g = KernelAssert.Random(rng, size);
            var start = KernelAssert.Random(rng, size);
            var dx = (float[])start.Clone();
            Permutation.AddBack(g, shape, dims, dx);
            var back = new float[size];
            var map = NaiveMap(shape, dims);
            for (int i = 0; i < size; i++) back[map[i]] = g[i];
            for (int i = 0; i < size; i++) Assert.Equal(start[i] + back[i], dx[i]);
        }
    }

    [Fact]
    public void MovesTheSpeechFrontEndsRuns()
    {
        int[] shape = [4, 32, 10, 10], dims = [0, 2, 1, 3]; // (N, C, T, F) → (N, T, C, F): runs of F floats
        var x = KernelAssert.Random(new Rng(4), ShapeUtil.CheckedSize(shape));
        var y = new float[x.Length];
        Permutation.Apply(x, shape, dims, y);
        Assert.Equal(Naive(x, shape, dims), y);
    }

    private static float[] Naive(float[] x, int[] shape, int[] dims)
    {
        var map = NaiveMap(shape, dims);
        var y = new float[x.Length];
        for (int i = 0; i < y.Length; i++) y[i] = x[map[i]];
        return y;
    }

    /// <summary>For each output index, in order, the input index it reads: decoded digit by digit.</summary>
    private static int[] NaiveMap(int[] shape, int[] dims)
    {
        int rank = shape.Length, size = ShapeUtil.CheckedSize(shape);
        var outShape = dims.Select(d => shape[d]).ToArray();
        var map = new int[size];
        var coordinate = new int[rank];
        for (int i = 0; i < size; i++)
        {
            int rest = i;
            for (int d = rank - 1; d >= 0; d--) { coordinate[dims[d]] = rest % outShape[d]; rest /= outShape[d]; }
            int source = 0;
            for (int d = 0; d < rank; d++) source = source * shape[d] + coordinate[d];
            map[i] = source;
        }
        return map;
    }

    private static IEnumerable<int[]> Permutations(int n)
    {
        if (n == 1) { yield return [0]; yield break; }
        foreach (var p in Permutations(n - 1))
            for (int at = 0; at < n; at++)
            {
                var q = new List<int>(p);
                q.Insert(at, n - 1);
                yield return [.. q];
            }
    }
}
