using Loom.Nn;
using Loom.Optim;
using Loom.Tests.Parity;
using Xunit;

namespace Loom.Tests.Optim;

/// <summary>
/// <see cref="GradientClipping.ClipGradNorm"/> against <c>torch.nn.utils.clip_grad_norm_</c>: the
/// returned total L2 norm and every gradient afterwards, for a limit below the norm, far above it,
/// 1% below it, with a parameter that has no gradient, and for tiny gradients where the 1e-6 that
/// PyTorch adds to the norm moves the scale by about 2e-4.
/// </summary>
public class ClipGradNormParityTests
{
    /// <summary>
    /// The norm is a sum of 25 squares (float32 per tensor, float64 across tensors in Loom; float64 in
    /// the reference), and each clipped gradient one product more: a few ulps, relative to the value.
    /// Purely relative, so that gradients of 1e-5 are checked as closely as gradients of 1. Measured:
    /// the norms agree to float32 rounding, the gradients to about 1e-7 relative.
    /// </summary>
    private static readonly Tolerance Clip = new(1e-12, 2e-6);

    public static TheoryData<string> Cases => ParityFixture.CaseData("clipping");

    [Theory, MemberData(nameof(Cases))]
    public void NormAndClippedGradientsMatchPyTorch(string c)
    {
        var f = ParityFixture.Load("clipping");
        int count = f.Int(c, "params");
        var hasGrad = f.Meta(c, "has_grad").Split(',').Select(s => s == "true").ToArray();
        Assert.Equal(count, hasGrad.Length);
        var parameters = new Parameter[count];
        for (int i = 0; i < count; i++)
        {
            if (hasGrad[i])
            {
                var g = f.Get(c, $"grad{i}");
                parameters[i] = new Parameter(Tensor.Zeros(g.Shape)) { Grad = g };
            }
            else parameters[i] = new Parameter(Tensor.Zeros(3));
        }

        float norm = GradientClipping.ClipGradNorm(parameters, f.Float(c, "max_norm"));

        ParityAssert.Close(f.Get(c, "total_norm").Data, [norm], Clip, $"{c}: total norm");
        for (int i = 0; i < count; i++)
        {
            if (hasGrad[i]) ParityAssert.Close(f.Get(c, $"clipped{i}"), parameters[i].Grad, Clip, $"{c}: gradient {i} after clipping");
            else Assert.Null(parameters[i].Grad);
        }
    }

    [Fact]
    public void ClippedNormIsTheLimit()
    {
        // 3-4-5: the joint norm of [3] and [4] is 5; clipping to 1 scales by 1 / (5 + 1e-6).
        var a = new Parameter(Tensor.Zeros(1)) { Grad = Tensor.FromArray([3f]) };
        var b = new Parameter(Tensor.Zeros(1)) { Grad = Tensor.FromArray([4f]) };
        Assert.Equal(5f, GradientClipping.ClipGradNorm([a, b], 1f));
        Assert.Equal(0.6f, a.Grad!.Data[0], 1e-6f);
        Assert.Equal(0.8f, b.Grad!.Data[0], 1e-6f);
        // A second clip to the same limit is (nearly) a no-op and reports the clipped norm.
        Assert.Equal(1f, GradientClipping.ClipGradNorm([a, b], 1f), 1e-6f);
    }

    [Fact]
    public void NonFiniteGradientsGiveANonFiniteNorm()
    {
        var a = new Parameter(Tensor.Zeros(2)) { Grad = Tensor.FromArray([1f, float.NaN]) };
        Assert.True(float.IsNaN(GradientClipping.ClipGradNorm([a], 1f)));
        var b = new Parameter(Tensor.Zeros(2)) { Grad = Tensor.FromArray([1f, float.PositiveInfinity]) };
        Assert.True(float.IsPositiveInfinity(GradientClipping.ClipGradNorm([b], 1f)));
    }

    [Fact]
    public void NoGradientsGiveZero()
    {
        Assert.Equal(0f, GradientClipping.ClipGradNorm([new Parameter(Tensor.Zeros(2))], 1f));
    }
}
