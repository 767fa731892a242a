using Loom.Kernels;
using Loom.Tests.Core;
using Xunit;

namespace Loom.Tests.Kernels;

/// <summary>
/// The Winograd F(2×2, 3×3) forward against the naive convolution, on every GEMM family, one thread and two, odd
/// shapes (tiles past the output's edge, channel counts off the vector width and the tile's panels, padding 0–2), the
/// fused pool, NaN, and the prepared weights' reuse: a weight changed in place is never missed.
/// </summary>
[Collection(GlobalStateCollection.Name)] // sets Threading.Threads and Convolution.UseWinograd
public sealed class WinogradTests
{
    // n, c, h, w, o, pad: every case 3×3, stride 1.
    private static readonly int[][] Cases =
    [
        [1, 32, 14, 14, 64, 1], // LeNet's second convolution
        [1, 8, 5, 7, 8, 1],     // odd sides: the last tile row and column half outside the output
        [3, 11, 9, 6, 13, 1],   // a batch; 11 and 13 channels: off the vector width and the tile's panels
        [2, 9, 8, 8, 20, 0],    // unpadded
        [1, 16, 4, 3, 40, 2],   // padding 2: a zero border wider than the kernel's reach on one side
        [1, 8, 2, 2, 8, 1],     // a 2×2 output: one tile
        [1, 24, 3, 30, 17, 1],  // three rows: one tile row whole, one half outside
        [2, 40, 12, 12, 72, 1], // several panels per slice on two threads (AVX-512's 32-wide panels: 2 and 1)
    ];

    private static ConvGeometry Geometry(int[] s) => new(s[0], s[1], s[2], s[3], s[4], 3, 3, 1, 1, s[5], s[5], 1, 1, 1);

    [Theory, MemberData(nameof(GemmTests.Families), MemberType = typeof(GemmTests))]
    public void MatchesTheNaiveConvolutionOnEveryFamily(string name) => OnEveryCase(name, (g, relu, what) =>
    {
        Assert.True(Winograd.Applies(g), $"{g} should run by Winograd");
        var rng = new Rng(7);
        var x = KernelAssert.Random(rng, g.Batch * g.InChannels * g.InPlane);
        var w = KernelAssert.Random(rng, g.OutChannels * g.WeightsPerOutput);
        var bias = relu ? KernelAssert.Random(rng, g.OutChannels) : null;
        var (expected, bound) = Reference(x, w, bias, g, relu);
        var y = new float[expected.Length];
        Convolution.Forward(x, w, bias, y, g, relu);
        KernelAssert.Close(expected, y, bound, $"{what}, relu {relu}", rel: 2e-6, abs: 1e-6);
    });

    /// <summary>Every case of <see cref="Cases"/>, with a flag false and true, on one and two threads, under the family named.</summary>
    private static void OnEveryCase(string name, Action<ConvGeometry, bool, string> body)
    {
        using var scope = Gemm.ForcePath(Enum.Parse<Gemm.Isa>(name));
        foreach (int threads in new[] { 1, 2 })
            KernelAssert.WithThreads(threads, () =>
            {
                foreach (var g in Cases.Select(Geometry))
                    foreach (bool flag in new[] { false, true })
                        body(g, flag, $"{name}, {threads} thread(s), {g}");
            });
    }

    [Theory, MemberData(nameof(GemmTests.Families), MemberType = typeof(GemmTests))]
    public void TheInputGradientMatchesTheNaiveOneOnEveryFamily(string name) => OnEveryCase(name, (g, accumulate, what) =>
    {
        Assert.True(Winograd.AppliesBackward(g), $"{g}'s input gradient should run by Winograd");
        var rng = new Rng(12);
        var x = KernelAssert.Random(rng, g.Batch * g.InChannels * g.InPlane);
        var w = KernelAssert.Random(rng, g.OutChannels * g.WeightsPerOutput);
        var dy = KernelAssert.Random(rng, g.Batch * g.OutChannels * g.OutPlane);
        // With accumulate, the ReLU mask too: dy is zeroed where the layer's output was not positive.
        var reluOutput = accumulate ? KernelAssert.Random(rng, dy.Length) : null;
        var masked = (float[])dy.Clone();
        if (reluOutput is not null) for (int i = 0; i < masked.Length; i++) if (!(reluOutput[i] > 0f)) masked[i] = 0f;
        var start = accumulate ? KernelAssert.Random(rng, x.Length) : new float[x.Length];
        var expected = (float[])start.Clone();
        ConvolutionReference.Backward(x, w, masked, expected, null, null, g);
        var bound = KernelAssert.Abs(start);
        ConvolutionReference.Backward(x, KernelAssert.Abs(w), KernelAssert.Abs(masked), bound, null, null, g);
        var dx = accumulate ? (float[])start.Clone() : Enumerable.Repeat(float.NaN, x.Length).ToArray();
        Convolution.BackwardInput(dy, w, dx, g, accumulate, reluOutput);
        KernelAssert.Close(expected, dx, bound, $"{what}, accumulate {accumulate}", rel: 2e-6, abs: 1e-6);
        Assert.Equal(masked, dy); // masked in place, as the direct backward does
    });

    [Fact]
    public void ForwardAndInputGradientKeepTheirWeightsApart()
    {
        // Alternating the two on one weight array, changing it in between, each uses its own transform of it.
        var g = Geometry([2, 16, 7, 9, 24, 1]);
        var rng = new Rng(13);
        var w = KernelAssert.Random(rng, g.OutChannels * g.WeightsPerOutput);
        var x = KernelAssert.Random(rng, g.Batch * g.InChannels * g.InPlane);
        var dy = KernelAssert.Random(rng, g.Batch * g.OutChannels * g.OutPlane);
        for (int round = 0; round < 3; round++)
        {
            var y = new float[dy.Length];
            Convolution.Forward(x, w, null, y, g);
            var (expected, bound) = Reference(x, w, null, g, relu: false);
            KernelAssert.Close(expected, y, bound, $"forward, round {round}", rel: 2e-6, abs: 1e-6);
            var dx = new float[x.Length];
            Convolution.BackwardInput(dy, w, dx, g, accumulate: false);
            var dxExpected = new float[x.Length];
            ConvolutionReference.Backward(x, w, dy, dxExpected, null, null, g);
            var dxBound = new float[x.Length];
            ConvolutionReference.Backward(x, KernelAssert.Abs(w), KernelAssert.Abs(dy), dxBound, null, null, g);
            KernelAssert.Close(dxExpected, dx, dxBound, $"input gradient, round {round}", rel: 2e-6, abs: 1e-6);
            w[round * 97 % w.Length] += 0.25f;
        }
    }

    [Fact]
    public void AWeightChangedInPlaceIsUsedAtTheNextCall()
    {
        var g = Geometry([1, 16, 6, 6, 64, 1]); // 64 outputs: two slices of channels on two threads on every family
        var rng = new Rng(8);
        var x = KernelAssert.Random(rng, g.InChannels * g.InPlane);
        var w = KernelAssert.Random(rng, g.OutChannels * g.WeightsPerOutput);
        foreach (int threads in new[] { 1, 2 })
            KernelAssert.WithThreads(threads, () =>
            {
                var y = new float[g.OutChannels * g.OutPlane];
                Convolution.Forward(x, w, null, y, g);
                // One weight of the last output channel (the second slice on two threads), one of the first, then -0 for
                // +0: a change of bits only.
                foreach (int index in new[] { w.Length - 5, 3 })
                {
                    w[index] = index == 3 ? 0f : w[index] + 0.5f;
                    Convolution.Forward(x, w, null, y, g);
                    var (expected, bound) = Reference(x, w, null, g, relu: false);
                    KernelAssert.Close(expected, y, bound, $"after changing weight {index}, {threads} thread(s)", rel: 2e-6, abs: 1e-6);
                }
                w[3] = -0f;
                Convolution.Forward(x, w, null, y, g);
                KernelAssert.Close(Reference(x, w, null, g, false).Expected, y, Reference(x, w, null, g, false).Bound, "after -0", rel: 2e-6, abs: 1e-6);
            });
    }

    [Fact]
    public void ForwardsOnSeveralThreadsAtOnceShareTheWeightsSafely()
    {
        // Callers at once on one weight array, batch 1 (its channels split between two threads) and batch 2, the
        // weights changed in place between rounds.
        var g = Geometry([1, 16, 10, 10, 64, 1]);
        var rng = new Rng(9);
        var w = new float[g.OutChannels * g.WeightsPerOutput];
        var inputs = Enumerable.Range(0, 4).Select(_ => KernelAssert.Random(rng, 2 * g.InChannels * g.InPlane)).ToArray();
        foreach (int threads in new[] { 1, 2 })
            KernelAssert.WithThreads(threads, () =>
            {
                for (int round = 0; round < 3; round++)
                {
                    KernelAssert.Random(rng, w.Length).CopyTo(w, 0);
                    var expected = inputs.Select(x => Reference(x, w, null, g with { Batch = 2 }, relu: false)).ToArray();
                    Parallel.For(0, 32, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
                    {
                        var sample = g with { Batch = 1 + i % 2 };
                        var y = new float[sample.Batch * g.OutChannels * g.OutPlane];
                        Convolution.Forward(inputs[i % 4], w, null, y, sample);
                        var (e, b) = expected[i % 4];
                        KernelAssert.Close(e.AsSpan(0, y.Length), y, b.AsSpan(0, y.Length), $"{threads} thread(s), round {round}, call {i}", rel: 2e-6, abs: 1e-6);
                    });
                }
            });
    }

    [Fact]
    public void TheFusedPoolMatchesConvolutionReluAndPool()
    {
        foreach (int threads in new[] { 1, 2 })
            KernelAssert.WithThreads(threads, () =>
            {
                foreach (var s in new[] { new[] { 1, 32, 14, 14, 64, 1 }, [3, 9, 7, 9, 12, 1] })
                {
                    var g = Geometry(s);
                    var rng = new Rng(10);
                    var x = KernelAssert.Random(rng, g.Batch * g.InChannels * g.InPlane);
                    var w = KernelAssert.Random(rng, g.OutChannels * g.WeightsPerOutput);
                    var bias = KernelAssert.Random(rng, g.OutChannels);
                    var conv = new float[g.Batch * g.OutChannels * g.OutPlane];
                    Convolution.Forward(x, w, bias, conv, g, relu: true);
                    int ph = g.OutHeight / 2, pw = g.OutWidth / 2;
                    var expected = new float[g.Batch * g.OutChannels * ph * pw];
                    for (int p = 0; p < g.Batch * g.OutChannels; p++)
                        for (int i = 0; i < ph; i++)
                            for (int j = 0; j < pw; j++)
                            {
                                int at = p * g.OutPlane + 2 * i * g.OutWidth + 2 * j;
                                expected[(p * ph + i) * pw + j] = MathF.Max(MathF.Max(conv[at], conv[at + 1]), MathF.Max(conv[at + g.OutWidth], conv[at + g.OutWidth + 1]));
                            }
                    var pooled = new float[expected.Length];
                    Convolution.ForwardReluMaxPool(x, w, bias, pooled, g);
                    Assert.Equal(expected, pooled); // the same Winograd outputs, pooled: bit for bit
                }
            });
    }

    [Fact]
    public void ANaNReachesExactlyTheOutputsWhoseWindowHoldsIt()
    {
        var g = Geometry([1, 8, 6, 7, 8, 1]);
        var rng = new Rng(11);
        var w = KernelAssert.Random(rng, g.OutChannels * g.WeightsPerOutput);
        foreach (int at in new[] { 0, 10, 3 * g.InPlane + 20, g.InChannels * g.InPlane - 1 })
        {
            var x = KernelAssert.Random(rng, g.InChannels * g.InPlane);
            x[at] = float.NaN;
            var expected = new float[g.OutChannels * g.OutPlane];
            ConvolutionReference.Forward(x, w, null, expected, g);
            var y = new float[expected.Length];
            Convolution.Forward(x, w, null, y, g);
            for (int i = 0; i < y.Length; i++)
                Assert.True(float.IsNaN(expected[i]) == float.IsNaN(y[i]), $"NaN at input {at}: output {i} is {y[i]}, the naive convolution's {expected[i]}.");
        }
    }

    [Fact]
    public void TurnedOffTheDirectConvolutionRuns()
    {
        var g = Geometry([1, 32, 14, 14, 64, 1]);
        bool saved = Convolution.UseWinograd;
        try
        {
            Convolution.UseWinograd = false;
            Assert.False(Winograd.Applies(g));
        }
        finally { Convolution.UseWinograd = saved; }
        Assert.True(Winograd.Applies(g));
        Assert.False(Winograd.Applies(g with { InChannels = 1 }));        // LeNet's first convolution
        Assert.False(Winograd.Applies(g with { StrideH = 2, StrideW = 2 }));
        Assert.False(Winograd.Applies(g with { KernelHeight = 5, KernelWidth = 5 }));
        Assert.False(Winograd.Applies(g with { Groups = 2 }));
        Assert.False(Winograd.Applies(g with { DilationH = 2 }));
        Assert.True(Winograd.Applies(g with { InHeight = 28, InWidth = 28, InChannels = 64 }));   // V: 918 KB
        Assert.False(Winograd.Applies(g with { InHeight = 224, InWidth = 224, InChannels = 64 })); // V: 51 MB
    }

    [Fact]
    public void ArraysTooShortForTheGeometryAreRefused()
    {
        var g = Geometry([2, 8, 6, 6, 8, 1]);
        var x = new float[g.Batch * g.InChannels * g.InPlane];
        var w = new float[g.OutChannels * g.WeightsPerOutput];
        var y = new float[g.Batch * g.OutChannels * g.OutPlane];
        Assert.Contains("x has", Assert.Throws<ArgumentException>(() => Convolution.Forward(x[..^1], w, null, y, g)).Message);
        Assert.Contains("w has", Assert.Throws<ArgumentException>(() => Convolution.Forward(x, w[..^1], null, y, g)).Message);
        Assert.Contains("bias has", Assert.Throws<ArgumentException>(() => Convolution.Forward(x, w, new float[7], y, g)).Message);
        Assert.Contains("y has", Assert.Throws<ArgumentException>(() => Convolution.Forward(x, w, null, y[..^1], g)).Message);
        Assert.Contains("y has", Assert.Throws<ArgumentException>(() => Convolution.ForwardReluMaxPool(x, w, null, new float[g.Batch * g.OutChannels * 9 - 1], g)).Message);
    }

    /// <summary>The naive convolution (then ReLU), and Σ|x|·|w| (+ |bias|) of each output, the magnitude its rounding scales with.</summary>
    private static (float[] Expected, float[] Bound) Reference(float[] x, float[] w, float[]? bias, ConvGeometry g, bool relu)
    {
        var expected = new float[g.Batch * g.OutChannels * g.OutPlane];
        ConvolutionReference.Forward(x, w, bias, expected, g);
        if (relu) for (int i = 0; i < expected.Length; i++) expected[i] = MathF.Max(expected[i], 0f);
        var bound = new float[expected.Length];
        ConvolutionReference.Forward(KernelAssert.Abs(x), KernelAssert.Abs(w), bias is null ? null : KernelAssert.Abs(bias), bound, g);
        return (expected, bound);
    }
}
