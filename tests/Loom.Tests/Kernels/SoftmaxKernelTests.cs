using Loom.Kernels;
using Xunit;

namespace Loom.Tests.Kernels;

/// <summary>Softmax and log-softmax kernels against a double-precision reference, extreme values included.</summary>
public class SoftmaxKernelTests
{
    /// <summary>softmax or log-softmax of x viewed as (outer, n, inner) along n, in double.</summary>
    private static double[] Reference(float[] x, int outer, int n, int inner, bool log)
    {
        var y = new double[x.Length];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double max = double.NegativeInfinity;
                for (int k = 0; k < n; k++) max = Math.Max(max, x[(o * n + k) * inner + i]);
                double sum = 0;
                for (int k = 0; k < n; k++) sum += Math.Exp(x[(o * n + k) * inner + i] - max);
                for (int k = 0; k < n; k++)
                {
                    int idx = (o * n + k) * inner + i;
                    y[idx] = log ? x[idx] - max - Math.Log(sum) : Math.Exp(x[idx] - max) / sum;
                }
            }
        return y;
    }

    private static void AssertMatches(float[] x, int outer, int n, int inner)
    {
        foreach (bool log in new[] { false, true })
        {
            var y = new float[x.Length];
            SoftmaxKernel.Forward(x, y, outer, n, inner, log);
            var expected = Reference(x, outer, n, inner, log);
            for (int i = 0; i < x.Length; i++)
            {
                double e = expected[i];
                if (double.IsNegativeInfinity(e)) { Assert.True(float.IsNegativeInfinity(y[i]), $"log-softmax of −∞ at {i} is {y[i]}."); continue; }
                // Probabilities to 1e-6 absolute (and 1e-5 relative); log-probabilities to 1e-5 of their size.
                double tol = log ? 1e-5 * Math.Max(1, Math.Abs(e)) : 1e-6 + 1e-5 * e;
                Assert.True(Math.Abs(y[i] - e) <= tol, $"{(log ? "log-softmax" : "softmax")} element {i}: {y[i]:G9}, expected {e:G9}.");
            }
            if (log) continue;
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    double s = 0;
                    for (int k = 0; k < n; k++) s += y[(o * n + k) * inner + i];
                    Assert.True(Math.Abs(s - 1) < 1e-5, $"softmax row ({o}, {i}) sums to {s}.");
                }
        }
    }

    [Theory]
    [InlineData(4, 10, 1)]
    [InlineData(1, 1, 1)]
    [InlineData(3, 37, 1)]
    [InlineData(2, 5, 3)]    // along a middle axis
    [InlineData(1, 7, 16)]
    [InlineData(2, 1500, 2)] // a strided row longer than the stack buffer
    public void RandomInputs(int outer, int n, int inner)
    {
        var rng = new Rng(31);
        var x = KernelAssert.Random(rng, outer * n * inner, -5f, 5f);
        AssertMatches(x, outer, n, inner);
    }

    [Fact]
    public void ExtremeValues()
    {
        float ninf = float.NegativeInfinity;
        float[] x =
        [
            1e4f, -1e4f, 0f, 1e4f,          // two equal huge winners
            -1e4f, -1e4f, -1e4f + 1f, -1e4f, // all hugely negative
            ninf, 2f, ninf, -3f,             // masked entries
            1e4f, ninf, -1e4f, 0f,
            88f, 89f, 90f, -90f,             // exp would overflow without the shift
            1e-30f, -1e-30f, 0f, 0f,
        ];
        AssertMatches(x, 6, 4, 1);
        // The same values along a strided axis.
        var t = new float[x.Length];
        for (int r = 0; r < 6; r++) for (int k = 0; k < 4; k++) t[k * 6 + r] = x[r * 4 + k];
        AssertMatches(t, 1, 4, 6);

        var y = new float[4];
        SoftmaxKernel.Forward(x.AsSpan(0, 4), y, 1, 4, 1, log: false);
        Assert.Equal(new[] { 0.5f, 0f, 0f, 0.5f }, y);
    }

    [Fact]
    public void AllNegativeInfinityRowIsNaNNotACrash()
    {
        float ninf = float.NegativeInfinity;
        var y = new float[3];
        SoftmaxKernel.Forward(new[] { ninf, ninf, ninf }, y, 1, 3, 1, log: false);
        Assert.All(y, v => Assert.True(float.IsNaN(v)));
        SoftmaxKernel.Forward(new[] { ninf, ninf, ninf }, y, 1, 3, 1, log: true);
        Assert.All(y, v => Assert.True(float.IsNaN(v)));
    }

    [Theory]
    [InlineData(3, 6, 1, false)]
    [InlineData(3, 6, 1, true)]
    [InlineData(2, 4, 3, false)]
    [InlineData(2, 4, 3, true)]
    public void BackwardIsTheJacobianTransposeProduct(int outer, int n, int inner, bool log)
    {
        var rng = new Rng(32);
        var x = KernelAssert.Random(rng, outer * n * inner, -3f, 3f);
        var dy = KernelAssert.Random(rng, x.Length);
        var y = new float[x.Length];
        SoftmaxKernel.Forward(x, y, outer, n, inner, log);
        var dx0 = KernelAssert.Random(rng, x.Length);
        var dx = (float[])dx0.Clone();
        SoftmaxKernel.Backward(y, dy, dx, outer, n, inner, log);
        var p = Reference(x, outer, n, inner, log: false);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
                for (int j = 0; j < n; j++)
                {
                    // Σ_k dy_k ∂y_k/∂x_j, from the defining Jacobians.
                    double s = 0;
                    int jj = (o * n + j) * inner + i;
                    for (int k = 0; k < n; k++)
                    {
                        int kk = (o * n + k) * inner + i;
                        double jac = log ? (k == j ? 1 : 0) - p[jj] : p[kk] * ((k == j ? 1 : 0) - p[jj]);
                        s += dy[kk] * jac;
                    }
                    Assert.True(Math.Abs(dx[jj] - (dx0[jj] + s)) < 1e-5, $"element {jj}: {dx[jj]} vs {dx0[jj] + s}.");
                }
    }
}
