using Loom.Tests.Core;
using Xunit;

namespace Loom.Tests.Kernels;

/// <summary>
/// Batch norm's vectorised, channel-parallel passes against a naive twin written here (one element at a time, every
/// sum in double), forward and backward, in training and evaluation, on shapes that take each path: small (serial,
/// runs on the stack), large (channels shared among threads) and runs longer than the stack buffer — and on values
/// far from zero, where a variance taken as E[x²] − E[x]² would cancel.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public class BatchNormTwinTests
{
    public static TheoryData<int[], float, bool> Cases => new()
    {
        { new[] { 3, 2, 5, 7 }, 0f, true },
        { new[] { 4, 3, 17 }, 0f, false },
        { new[] { 32, 8, 20, 20 }, 0f, true },   // 102,400 elements: threaded
        { new[] { 2, 3, 50, 47 }, 0f, true },    // runs of 2,350: past the stack buffer
        { new[] { 8, 4, 33, 31 }, 100f, true },  // mean 100, spread ±0.5
        { new[] { 16, 6, 9, 9 }, 0f, false },
    };

    [Theory, MemberData(nameof(Cases))]
    public void MatchesTheNaiveTwin(int[] shape, float offset, bool training)
    {
        var rng = new Rng(5);
        int c = shape[1];
        var xData = KernelAssert.Random(rng, ShapeUtil.CheckedSize(shape), offset - 0.5f, offset + 0.5f);
        var gy = KernelAssert.Random(rng, xData.Length);
        var w = KernelAssert.Random(rng, c, 0.5f, 1.5f);
        var b = KernelAssert.Random(rng, c);
        var runMean = KernelAssert.Random(rng, c, offset - 0.1f, offset + 0.1f);
        var runVar = KernelAssert.Random(rng, c, 0.5f, 1.5f);
        var expected = Naive(shape, xData, gy, w, b, (float[])runMean.Clone(), (float[])runVar.Clone(), training, 0.1f, 1e-5f);

        foreach (int threads in new[] { 1, 2 })
            KernelAssert.WithThreads(threads, () =>
            {
                var x = new Tensor((float[])xData.Clone(), shape) { RequiresGrad = true };
                var weight = new Tensor((float[])w.Clone(), c) { RequiresGrad = true };
                var bias = new Tensor((float[])b.Clone(), c) { RequiresGrad = true };
                var rm = new Tensor((float[])runMean.Clone(), c);
                var rv = new Tensor((float[])runVar.Clone(), c);
                var y = Functional.BatchNorm(x, rm, rv, weight, bias, training);
                y.Backward(new Tensor((float[])gy.Clone(), shape));
                string what = $"{string.Join('×', shape)} {(training ? "training" : "eval")}, {threads} thread(s)";
                Close(expected.Y, y.Data, $"{what}: y");
                Close(expected.Dx, x.Grad!.Data, $"{what}: grad x");
                Close(expected.Dw, weight.Grad!.Data, $"{what}: grad weight");
                Close(expected.Db, bias.Grad!.Data, $"{what}: grad bias");
                Close(expected.RunningMean, rm.Data, $"{what}: running mean");
                Close(expected.RunningVar, rv.Data, $"{what}: running var");
            });
    }

    // The outputs are O(1) (normalised values, gradients summed over up to 10⁵ terms of O(1)), so a relative-plus-absolute
    // tolerance on each element is enough: float sums in another order differ by a few ulps of their magnitude.
    private static void Close(float[] expected, float[] actual, string what)
    {
        double scale = 0;
        foreach (float v in expected) scale = Math.Max(scale, Math.Abs(v));
        var bound = new float[expected.Length];
        Array.Fill(bound, (float)Math.Max(1, scale));
        KernelAssert.Close(expected, actual, bound, what, rel: 2e-5, abs: 1e-6);
    }

    private sealed record Result(float[] Y, float[] Dx, float[] Dw, float[] Db, float[] RunningMean, float[] RunningVar);

    /// <summary>Batch norm and its gradients one element at a time, every sum in double.</summary>
    private static Result Naive(int[] shape, float[] x, float[] gy, float[] w, float[] b, float[] runMean, float[] runVar, bool training, float momentum, float eps)
    {
        int n = shape[0], c = shape[1], inner = x.Length / (n * c), count = n * inner;
        var y = new float[x.Length];
        var dx = new float[x.Length];
        var dw = new float[c];
        var db = new float[c];
        for (int ch = 0; ch < c; ch++)
        {
            double mu, variance;
            if (training)
            {
                double s = 0, ss = 0;
                for (int i = 0; i < n; i++) for (int j = 0; j < inner; j++) s += x[(i * c + ch) * inner + j];
                mu = s / count;
                for (int i = 0; i < n; i++) for (int j = 0; j < inner; j++) { double d = x[(i * c + ch) * inner + j] - mu; ss += d * d; }
                variance = ss / count;
                runMean[ch] = (float)((1 - momentum) * runMean[ch] + momentum * mu);
                runVar[ch] = (float)((1 - momentum) * runVar[ch] + momentum * ss / (count - 1));
            }
            else (mu, variance) = (runMean[ch], runVar[ch]);
            double istd = 1 / Math.Sqrt(variance + eps), sumG = 0, sumGx = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < inner; j++)
                {
                    int at = (i * c + ch) * inner + j;
                    double xhat = (x[at] - mu) * istd;
                    y[at] = (float)(w[ch] * xhat + b[ch]);
                    sumG += gy[at];
                    sumGx += gy[at] * xhat;
                }
            dw[ch] = (float)sumGx;
            db[ch] = (float)sumG;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < inner; j++)
                {
                    int at = (i * c + ch) * inner + j;
                    double xhat = (x[at] - mu) * istd;
                    dx[at] = (float)(training ? w[ch] * istd / count * (count * gy[at] - sumG - xhat * sumGx) : w[ch] * istd * gy[at]);
                }
        }
        return new Result(y, dx, dw, db, runMean, runVar);
    }
}
