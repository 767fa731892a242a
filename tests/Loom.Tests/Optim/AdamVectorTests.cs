using Loom.Nn;
using Loom.Optim;
using Xunit;

namespace Loom.Tests.Optim;

/// <summary>
/// Adam's vectorised update (the widest native vectors, then a scalar tail: <see cref="Loom.Kernels.AdamKernel"/>) against the
/// formula written out element by element, bit for bit; .ci/run repeats it on every lower ISA path. 37 elements: whole
/// vectors of every width and a tail.
/// (The PyTorch parity fixtures use parameters shorter than one vector, so this covers the lanes and the tail.)
/// </summary>
public class AdamVectorTests
{
    [Theory]
    [InlineData(false, 0f)]
    [InlineData(false, 0.1f)]
    [InlineData(true, 0.1f)]
    public void MatchesTheScalarFormulaBitForBit(bool decoupled, float weightDecay)
    {
        const int size = 37;
        const float lr = 1e-2f, beta1 = 0.85f, beta2 = 0.99f, eps = 1e-8f;
        var rng = new Rng(5);
        var p = new Parameter(Tensor.Normal(0f, 1f, [size], rng));
        var expected = (float[])p.Data.Clone();
        var m = new float[size];
        var v = new float[size];
        Optimizer opt = decoupled ? new AdamW([p], lr, beta1, beta2, eps, weightDecay) : new Adam([p], lr, beta1, beta2, eps, weightDecay);
        for (int step = 1; step <= 3; step++)
        {
            var g = Tensor.Normal(0f, 1f, [size], rng);
            p.Grad = g.Clone();
            opt.Step();
            float bc1 = 1f - MathF.Pow(beta1, step), bc2 = 1f - MathF.Pow(beta2, step);
            float stepSize = lr / bc1, sqrtBc2 = MathF.Sqrt(bc2);
            float decay = decoupled ? 1f - lr * weightDecay : 1f, l2 = decoupled ? 0f : weightDecay;
            for (int i = 0; i < size; i++)
            {
                float gi = g.Data[i] + l2 * expected[i];
                m[i] = beta1 * m[i] + (1 - beta1) * gi;
                v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
                expected[i] = expected[i] * decay - stepSize * m[i] / (MathF.Sqrt(v[i]) / sqrtBc2 + eps);
            }
            Assert.Equal(expected, p.Data);
        }
    }
}
