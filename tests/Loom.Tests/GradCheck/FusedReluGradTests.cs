using Loom.Nn;
using Xunit;
using static Loom.Tests.GradCheck.GradChecker;

namespace Loom.Tests.GradCheck;

/// <summary>
/// Conv2d and Linear fused with a following ReLU (what Sequential runs for such a pair): finite-difference
/// gradients, and outputs and gradients identical, bit for bit, to the two ops run one after the other.
/// </summary>
public class FusedReluGradTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Conv2dRelu(bool bias)
    {
        var inputs = AwayFromKink(70, rng => bias ? [Randn(rng, 2, 3, 6, 5), Randn(rng, 4, 3, 3, 3), Randn(rng, 4)] : [Randn(rng, 2, 3, 6, 5), Randn(rng, 4, 3, 3, 3)],
            xs => Functional.Conv2d(xs[0], xs[1], xs.Length > 2 ? xs[2] : null, (1, 1), (1, 1), (1, 1)));
        Check(xs => Functional.Conv2dRelu(xs[0], xs[1], xs.Length > 2 ? xs[2] : null, (1, 1), (1, 1), (1, 1), 1, "Conv2d"), inputs);
    }

    [Fact]
    public void Conv2dReluPointwiseGrouped()
    {
        var inputs = AwayFromKink(71, rng => [Randn(rng, 2, 4, 3, 3), Randn(rng, 6, 2, 1, 1), Randn(rng, 6)],
            xs => Functional.Conv2d(xs[0], xs[1], xs[2], (1, 1), (0, 0), (1, 1), 2));
        Check(xs => Functional.Conv2dRelu(xs[0], xs[1], xs[2], (1, 1), (0, 0), (1, 1), 2, "Conv2d"), inputs);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LinearRelu(bool bias)
    {
        var inputs = AwayFromKink(72, rng => bias ? [Randn(rng, 5, 7), Randn(rng, 6, 7), Randn(rng, 6)] : [Randn(rng, 5, 7), Randn(rng, 6, 7)],
            xs => Functional.Linear(xs[0], xs[1], xs.Length > 2 ? xs[2] : null));
        Check(xs => Functional.LinearRelu(xs[0], xs[1], xs.Length > 2 ? xs[2] : null, "Linear"), inputs);
    }

    /// <summary>
    /// Inputs from the first seed at or after <paramref name="seed"/> whose pre-activations are all at least 0.1
    /// from ReLU's kink: a finite difference that steps across the kink measures neither side's slope.
    /// </summary>
    private static Tensor[] AwayFromKink(ulong seed, Func<Rng, Tensor[]> draw, Func<Tensor[], Tensor> preActivation)
    {
        for (ulong s = seed; s < seed + 1000; s++)
        {
            var inputs = draw(new Rng(s));
            Tensor z;
            using (Autograd.GradMode.NoGrad()) z = preActivation(inputs);
            if (z.Data.All(v => Math.Abs(v) >= 0.1f)) return inputs;
        }
        throw new InvalidOperationException("no seed gave pre-activations away from zero");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)] // the input needs no gradient: the weight pass applies the ReLU mask
    public void SequentialFusesConvAndLinearWithReluBitForBit(bool inputGrad)
    {
        var rng = new Rng(73);
        var model = new Sequential(new Conv2d(2, 5, 3, padding: 1), new Relu(), new Flatten(), new Linear(5 * 7 * 6, 8), new Relu(), new Linear(8, 3));
        var x = Tensor.Normal(0f, 1f, [3, 2, 7, 6], rng);
        x.RequiresGrad = inputGrad;

        var fused = model.Forward(x);
        fused.Sum().Backward();
        var fusedGrads = model.Parameters().Select(p => p.Grad!.Data.ToArray()).ToArray();
        var fusedInputGrad = x.Grad?.Data.ToArray();

        foreach (var p in model.Parameters()) p.Grad = null;
        x.Grad = null;
        var h = x;
        foreach (var layer in model.Layers) h = layer.Forward(h); // one op per layer, no fusion
        h.Sum().Backward();

        Assert.Equal(h.Data, fused.Data);
        var parameters = model.Parameters().ToArray();
        for (int i = 0; i < parameters.Length; i++) Assert.Equal(parameters[i].Grad!.Data, fusedGrads[i]);
        if (inputGrad) Assert.Equal(x.Grad!.Data, fusedInputGrad!);
        else Assert.Null(x.Grad);
    }
}
