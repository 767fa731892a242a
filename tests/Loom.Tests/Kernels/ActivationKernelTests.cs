using Loom.Kernels;
using Xunit;

namespace Loom.Tests.Kernels;

/// <summary>Element-wise activation kernels against their definitions, in double.</summary>
public class ActivationKernelTests
{
    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.1, 0.1124629160182849)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(-1.5, -0.9661051464753108)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(4.0, 0.9999999845827421)]
    public void ErfKnownValues(double x, double expected) => Assert.Equal(expected, Activations.Erf(x), 2e-7);

    [Fact]
    public void ForwardAndBackwardMatchDefinitions()
    {
        var rng = new Rng(41);
        var x = KernelAssert.Random(rng, 67, -4f, 4f); // not a multiple of any vector width
        x[0] = 0f; x[1] = -0f;
        var dy = KernelAssert.Random(rng, x.Length);
        var y = new float[x.Length];

        void Check(string name, Action<float[], float[]> forward, Action<float[], float[], float[]> backward,
            Func<double, double> f, Func<double, double> df, bool backwardFromOutput)
        {
            forward(x, y);
            var dx = new float[x.Length];
            Array.Fill(dx, 0.25f); // backward accumulates
            backward(backwardFromOutput ? y : x, dy, dx);
            for (int i = 0; i < x.Length; i++)
            {
                Assert.True(Math.Abs(y[i] - f(x[i])) <= 1e-6 + 1e-6 * Math.Abs(f(x[i])), $"{name}({x[i]}) = {y[i]}, expected {f(x[i])}.");
                double expected = 0.25 + dy[i] * df(x[i]);
                Assert.True(Math.Abs(dx[i] - expected) <= 1e-5, $"{name}'({x[i]}): {dx[i]}, expected {expected}.");
            }
        }

        Check("relu", (a, b) => Activations.Relu(a, b), (a, g, d) => Activations.ReluBackward(a, g, d),
            v => Math.Max(v, 0), v => v > 0 ? 1 : 0, false);
        Check("leaky_relu", (a, b) => Activations.LeakyRelu(a, b, 0.1f), (a, g, d) => Activations.LeakyReluBackward(a, g, d, 0.1f),
            v => v > 0 ? v : 0.1f * v, v => v > 0 ? 1 : 0.1f, false);
        Check("tanh", (a, b) => Activations.Tanh(a, b), (a, g, d) => Activations.TanhBackward(a, g, d),
            Math.Tanh, v => 1 - Math.Tanh(v) * Math.Tanh(v), true);
        Check("sigmoid", (a, b) => Activations.Sigmoid(a, b), (a, g, d) => Activations.SigmoidBackward(a, g, d),
            v => 1 / (1 + Math.Exp(-v)), v => Math.Exp(-v) / ((1 + Math.Exp(-v)) * (1 + Math.Exp(-v))), true);
        Check("gelu", (a, b) => Activations.Gelu(a, b), (a, g, d) => Activations.GeluBackward(a, g, d),
            v => v * Phi(v), v => Phi(v) + v * Math.Exp(-v * v / 2) / Math.Sqrt(2 * Math.PI), false);
    }

    /// <summary>Standard normal CDF by Simpson integration from 0 (independent of the kernel's erf).</summary>
    private static double Phi(double v)
    {
        int steps = 2000;
        double h = v / steps, s = 0;
        for (int i = 0; i <= steps; i++)
        {
            double t = i * h, w = i == 0 || i == steps ? 1 : i % 2 == 1 ? 4 : 2;
            s += w * Math.Exp(-t * t / 2);
        }
        return 0.5 + s * h / 3 / Math.Sqrt(2 * Math.PI);
    }
}
