using Loom.Tests.Core;
using Loom.Tests.Kernels;
using Xunit;

namespace Loom.Tests.Conv1d;

/// <summary>
/// Conv1d and the 1-D pools give the same forward and backward results on one thread and on four
/// (the kernels split batches and planes across threads above a size threshold). Changes the global
/// thread count, so it runs in the collection that xUnit runs alone.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public class Conv1dThreadingTests
{
    [Fact]
    public void OneThreadEqualsFour()
    {
        var one = Run(1);
        var four = Run(4);
        for (int k = 0; k < one.Count; k++)
        {
            Assert.Equal(one[k].Size, four[k].Size);
            // Conv sums may be split differently across threads; the pools are exact.
            for (int i = 0; i < one[k].Size; i++)
                Assert.True(Math.Abs(one[k].Data[i] - four[k].Data[i]) <= 1e-5f * (1 + Math.Abs(one[k].Data[i])),
                    $"result {k}, element {i}: {one[k].Data[i]} on one thread, {four[k].Data[i]} on four");
        }
    }

    /// <summary>Outputs and gradients of a conv and of each pool, on inputs large enough to take the threaded paths.</summary>
    private static List<Tensor> Run(int threads)
    {
        var results = new List<Tensor>();
        KernelAssert.WithThreads(threads, () =>
        {
            var rng = new Rng(195);
            var x = GradCheck.GradChecker.Randn(rng, 6, 8, 40);
            var w = GradCheck.GradChecker.Randn(rng, 12, 8, 5);
            var b = GradCheck.GradChecker.Randn(rng, 12);
            var y = Functional.Conv1d(x, w, b, stride: 2, padding: 2);
            y.Backward(Tensor.Ones(y.Shape));
            results.AddRange([y, x.Grad!, w.Grad!, b.Grad!]);

            var p = GradCheck.GradChecker.Randn(rng, 8, 16, 160);   // 128 planes · 160 > every threshold
            foreach (var pool in new Func<Tensor, Tensor>[]
            {
                t => Functional.MaxPool1d(t, 3, 2, 1),
                t => Functional.AvgPool1d(t, 3, 2, 1, countIncludePad: false),
                t => Functional.AdaptiveAvgPool1d(t, 7),
                t => Functional.AdaptiveMaxPool1d(t, 7),
            })
            {
                p.ZeroGrad();
                var yp = pool(p);
                yp.Backward(Tensor.Ones(yp.Shape));
                results.AddRange([yp, p.Grad!]);
            }
        });
        return results;
    }
}
