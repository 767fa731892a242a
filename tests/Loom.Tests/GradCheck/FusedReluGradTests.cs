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
        Check(xs => Functional.Conv2dRelu(xs[0], xs[1], xs.Length > 2 ? xs[2] : null, (1, 1), (1, 1), (1, 1), 1, "Conv2d", "Conv2d + ReLU"), inputs);
    }

    [Fact]
    public void Conv2dReluPointwiseGrouped()
    {
        var inputs = AwayFromKink(71, rng => [Randn(rng, 2, 4, 3, 3), Randn(rng, 6, 2, 1, 1), Randn(rng, 6)],
            xs => Functional.Conv2d(xs[0], xs[1], xs[2], (1, 1), (0, 0), (1, 1), 2));
        Check(xs => Functional.Conv2dRelu(xs[0], xs[1], xs[2], (1, 1), (0, 0), (1, 1), 2, "Conv2d", "Conv2d + ReLU"), inputs);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LinearRelu(bool bias)
    {
        var inputs = AwayFromKink(72, rng => bias ? [Randn(rng, 5, 7), Randn(rng, 6, 7), Randn(rng, 6)] : [Randn(rng, 5, 7), Randn(rng, 6, 7)],
            xs => Functional.Linear(xs[0], xs[1], xs.Length > 2 ? xs[2] : null));
        Check(xs => Functional.LinearRelu(xs[0], xs[1], xs.Length > 2 ? xs[2] : null, "Linear", "Linear + ReLU"), inputs);
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

    /// <summary>
    /// Conv2d + ReLU + a 2×2 max-pool in a Sequential: without a gradient recorded, each sample's output is pooled as it
    /// is computed; the result is bit for bit the three layers one by one. Odd output sizes drop their last row or
    /// column; NaN inputs propagate as the pool's own; outputs too small to pool, hooks, and recorded gradients run the
    /// layers unfused.
    /// </summary>
    [Theory]
    [InlineData(1, 1, 28, 28, 32)]  // LeNet's first convolution at batch 1: threaded within the sample
    [InlineData(5, 3, 9, 11, 16)]   // a batch, odd sizes: 9×11 pooled to 4×5
    [InlineData(2, 32, 14, 14, 64)] // LeNet's second: the output positions on the product's rows
    [InlineData(2, 2, 3, 2, 4)]     // a 3×2 output pools to 1×1
    public void SequentialPoolsEachSampleInInferenceBitForBit(int n, int c, int h, int w, int o)
    {
        var rng = new Rng(74);
        var model = new Sequential(new Conv2d(c, o, 3, padding: 1), new Relu(), new MaxPool2d(2), new Flatten());
        var x = Tensor.Normal(0f, 1f, [n, c, h, w], rng);
        x.Data[3] = float.NaN;
        foreach (int threads in new[] { 1, 2 })
            Loom.Tests.Kernels.KernelAssert.WithThreads(threads, () =>
            {
                Tensor fused, unfused;
                using (Autograd.GradMode.NoGrad())
                {
                    fused = model.Forward(x);
                    var t = x;
                    foreach (var layer in model.Layers) t = layer.Forward(t);
                    unfused = t;
                }
                Assert.Equal(unfused.Shape, fused.Shape);
                Assert.Equal(unfused.Data, fused.Data);
                Assert.Contains(fused.Data, float.IsNaN);
                // Recorded (the weights need gradients): the layers run one by one and the gradient flows.
                var recorded = model.Forward(x);
                Assert.Equal(unfused.Data, recorded.Data);
                recorded.Sum().Backward();
                Assert.NotNull(model.Parameters().First().Grad);
                foreach (var p in model.Parameters()) p.Grad = null;
            });
        // A hook on the pool sees the pool's own output: the pool then runs as a layer of its own.
        Tensor? seen = null;
        using var hook = model.Layers[2].RegisterForwardHook((_, output) => seen = output);
        using (Autograd.GradMode.NoGrad()) model.Forward(x);
        Assert.NotNull(seen);
        Assert.Equal([n, o, h / 2, w / 2], seen!.Shape);
    }

    [Fact]
    public void TheFusedKernelIsTheThreeKernels()
    {
        // Below the layers: Convolution.ForwardReluMaxPool against Forward with ReLU, then MaxForward, on every family.
        foreach (var family in Enum.GetValues<Loom.Kernels.Gemm.Isa>())
        {
            using var scope = Loom.Kernels.Gemm.ForcePath(family);
            var g = new Loom.Kernels.ConvGeometry(3, 4, 10, 9, 12, 3, 3, PadH: 1, PadW: 1);
            var rng = new Rng(75);
            var x = Loom.Tests.Kernels.KernelAssert.Random(rng, g.Batch * g.InChannels * g.InPlane);
            var wt = Loom.Tests.Kernels.KernelAssert.Random(rng, g.OutChannels * g.WeightsPerOutput);
            var b = Loom.Tests.Kernels.KernelAssert.Random(rng, g.OutChannels);
            var y = new float[g.Batch * g.OutChannels * g.OutPlane];
            // On one thread: a batch's samples otherwise go to workers, which run this machine's family, not the forced one.
            Loom.Tests.Kernels.KernelAssert.WithThreads(1, () => Loom.Kernels.Convolution.Forward(x, wt, b, y, g, relu: true));
            var pg = new Loom.Kernels.ConvGeometry(g.Batch, g.OutChannels, g.OutHeight, g.OutWidth, g.OutChannels, 2, 2, 2, 2);
            var expected = new float[g.Batch * g.OutChannels * (g.OutHeight / 2) * (g.OutWidth / 2)];
            Loom.Kernels.Pooling.MaxForward(y, expected, null, pg);
            var pooled = new float[expected.Length];
            Loom.Tests.Kernels.KernelAssert.WithThreads(1, () => Loom.Kernels.Convolution.ForwardReluMaxPool(x, wt, b, pooled, g));
            Assert.Equal(expected, pooled);
        }
        // One sample on two threads: the product threaded, then the pool by slices of channels (5 channels: 2 and 3;
        // the second case runs by Winograd, each thread pooling the channels it computed).
        foreach (var g in new[] { new Loom.Kernels.ConvGeometry(1, 1, 11, 9, 5, 3, 3, PadH: 1, PadW: 1), new Loom.Kernels.ConvGeometry(1, 8, 10, 9, 40, 3, 3, PadH: 1, PadW: 1) })
            foreach (var family in Enum.GetValues<Loom.Kernels.Gemm.Isa>())
            {
                using var scope = Loom.Kernels.Gemm.ForcePath(family);
                var rng = new Rng(76);
                var x = Loom.Tests.Kernels.KernelAssert.Random(rng, g.InChannels * g.InPlane);
                var wt = Loom.Tests.Kernels.KernelAssert.Random(rng, g.OutChannels * g.WeightsPerOutput);
                var b = Loom.Tests.Kernels.KernelAssert.Random(rng, g.OutChannels);
                var y = new float[g.OutChannels * g.OutPlane];
                var pooled = new float[g.OutChannels * (g.OutHeight / 2) * (g.OutWidth / 2)];
                Loom.Tests.Kernels.KernelAssert.WithThreads(2, () =>
                {
                    Loom.Kernels.Convolution.Forward(x, wt, b, y, g, relu: true);
                    Loom.Kernels.Convolution.ForwardReluMaxPool(x, wt, b, pooled, g);
                });
                var expected = new float[pooled.Length];
                Loom.Kernels.Pooling.MaxForward(y, expected, null, new Loom.Kernels.ConvGeometry(1, g.OutChannels, g.OutHeight, g.OutWidth, g.OutChannels, 2, 2, 2, 2));
                Assert.Equal(expected, pooled);
            }
    }
}
