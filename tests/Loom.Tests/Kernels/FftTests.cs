using Loom.Kernels;
using Loom.Tests.Audio;
using Loom.Tests.Parity;
using Xunit;

namespace Loom.Tests.Kernels;

/// <summary>
/// The FFT against its naive twin (<see cref="FftReference"/>, double precision) on random input of odd and speech
/// sizes, and against torch.fft fixtures. Under Loom.Tests.Kernels, so .ci/run repeats it on every ISA path (the
/// radix-2 and radix-4 passes have Vector256 and scalar loops).
/// </summary>
public class FftTests
{
    /// <summary>
    /// The error budget of a float32 FFT: each of the log2(n) passes adds a few ulps of the data's 2-norm, so the
    /// tolerance at every bin is 1e-6·(log2 n + 2)·‖x‖₂ (float32's ε is 6e-8: about 16 ulps per pass).
    /// </summary>
    private static float[] Bound(int bins, int n, double norm)
    {
        var bound = new float[bins];
        Array.Fill(bound, (float)((Math.Log2(n) + 2) * norm));
        return bound;
    }

    private static double Norm(params float[][] parts)
    {
        double s = 0;
        foreach (var p in parts) foreach (var v in p) s += (double)v * v;
        return Math.Sqrt(s);
    }

    public static TheoryData<int> RealSizes => new() { 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 64, 100, 128, 160, 200, 256, 320, 400, 401, 512, 1000, 1024, 1009, 2018, 4096 };

    public static TheoryData<int> ComplexSizes => new() { 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 17, 25, 27, 32, 49, 64, 97, 100, 169, 200, 210, 243, 256, 400, 512, 1000, 1009, 2048, 3000 };

    [Theory]
    [MemberData(nameof(RealSizes))]
    public void RealMatchesNaiveDft(int n)
    {
        var rng = new Rng((ulong)n + 100);
        var x = KernelAssert.Random(rng, n);
        var plan = Fft.RealPlan(n);
        var re = new float[plan.Bins];
        var im = new float[plan.Bins];
        plan.Forward(x, re, im, new float[plan.ScratchLength]);
        var eRe = new float[plan.Bins];
        var eIm = new float[plan.Bins];
        FftReference.RealForward(x, eRe, eIm);
        var bound = Bound(plan.Bins, n, Norm(x));
        KernelAssert.Close(eRe, re, bound, $"rfft n={n} ({plan.Description}) real part", rel: 1e-6, abs: 1e-6);
        KernelAssert.Close(eIm, im, bound, $"rfft n={n} ({plan.Description}) imaginary part", rel: 1e-6, abs: 1e-6);

        var power = new float[plan.Bins];
        plan.Power(x, power, new float[plan.ScratchLength]);
        var ePower = new float[plan.Bins];
        var powerBound = new float[plan.Bins];
        for (int k = 0; k < plan.Bins; k++)
        {
            ePower[k] = eRe[k] * eRe[k] + eIm[k] * eIm[k];
            powerBound[k] = 2 * MathF.Sqrt(ePower[k]) * bound[k] + bound[k] * bound[k] * 1e-6f;
        }
        KernelAssert.Close(ePower, power, powerBound, $"rfft power n={n}", rel: 1e-6, abs: 1e-6);
    }

    [Theory]
    [MemberData(nameof(ComplexSizes))]
    public void ComplexMatchesNaiveDft(int n)
    {
        var rng = new Rng((ulong)n + 7);
        var re = KernelAssert.Random(rng, n);
        var im = KernelAssert.Random(rng, n);
        var plan = Fft.Plan(n);
        var oRe = new float[n];
        var oIm = new float[n];
        plan.Forward(re, im, oRe, oIm, new float[plan.ScratchLength]);
        var eRe = new float[n];
        var eIm = new float[n];
        FftReference.Forward(re, im, eRe, eIm);
        var bound = Bound(n, n, Norm(re, im));
        KernelAssert.Close(eRe, oRe, bound, $"fft n={n} ({plan.Description}) real part", rel: 1e-6, abs: 1e-6);
        KernelAssert.Close(eIm, oIm, bound, $"fft n={n} ({plan.Description}) imaginary part", rel: 1e-6, abs: 1e-6);
    }

    [Theory]
    [MemberData(nameof(FixtureCases), "rfft_")]
    [MemberData(nameof(FixtureCases), "fft_")]
    public void MatchesTorchFft(string @case)
    {
        var f = AudioFixture.Instance;
        int n = f.Int(@case, "n");
        float[] re, im, outRe, outIm, eRe, eIm;
        double norm;
        if (@case.StartsWith("rfft_", StringComparison.Ordinal))
        {
            var x = f.Get(@case, "x").Data;
            var plan = Fft.RealPlan(n);
            (outRe, outIm) = (new float[plan.Bins], new float[plan.Bins]);
            plan.Forward(x, outRe, outIm, new float[plan.ScratchLength]);
            (eRe, eIm, norm) = (f.Get(@case, "re").Data, f.Get(@case, "im").Data, Norm(x));
        }
        else
        {
            (re, im) = (f.Get(@case, "re").Data, f.Get(@case, "im").Data);
            var plan = Fft.Plan(n);
            (outRe, outIm) = (new float[n], new float[n]);
            plan.Forward(re, im, outRe, outIm, new float[plan.ScratchLength]);
            (eRe, eIm, norm) = (f.Get(@case, "out_re").Data, f.Get(@case, "out_im").Data, Norm(re, im));
        }
        // Absolute budget at the scale of the transform (its values are O(‖x‖₂)): see Bound.
        var tol = new Tolerance((Math.Log2(n) + 2) * norm * 1e-6 + 1e-6, 0);
        ParityAssert.Close(eRe, outRe, tol, $"{@case} real part");
        ParityAssert.Close(eIm, outIm, tol, $"{@case} imaginary part");
    }

    public static TheoryData<string> FixtureCases(string prefix) => AudioFixture.CasesOf(prefix);

    [Fact]
    public void WorkedExamples()
    {
        // An impulse has a flat spectrum; a constant all its energy at 0 Hz; cos(2π·3j/8) splits into bins 3 and 5.
        var plan = Fft.RealPlan(8);
        var scratch = new float[plan.ScratchLength];
        var re = new float[5];
        var im = new float[5];
        plan.Forward([1, 0, 0, 0, 0, 0, 0, 0], re, im, scratch);
        Assert.All(re, v => Assert.Equal(1f, v, 6));
        Assert.All(im, v => Assert.Equal(0f, v, 6));
        plan.Forward([2, 2, 2, 2, 2, 2, 2, 2], re, im, scratch);
        Assert.Equal([16f, 0, 0, 0, 0], re.Select(v => MathF.Round(v, 5)).ToArray());
        var cos = Enumerable.Range(0, 8).Select(j => MathF.Cos(2 * MathF.PI * 3 * j / 8)).ToArray();
        plan.Forward(cos, re, im, scratch);
        Assert.Equal([0f, 0, 0, 4, 0], re.Select(v => MathF.Round(v, 5) + 0f).ToArray());

        // Five points (generic radix): X[1] of [0, 1, 0, 0, 0] is exp(−2πi/5).
        var c5 = Fft.Plan(5);
        var oRe = new float[5];
        var oIm = new float[5];
        c5.Forward([0, 1, 0, 0, 0], new float[5], oRe, oIm, new float[c5.ScratchLength]);
        Assert.Equal(Math.Cos(2 * Math.PI / 5), oRe[1], 6);
        Assert.Equal(-Math.Sin(2 * Math.PI / 5), oIm[1], 6);
    }

    [Fact]
    public void InPlaceEqualsOutOfPlace()
    {
        foreach (int n in new[] { 12, 64, 200, 1009 })
        {
            var rng = new Rng((ulong)n);
            var re = KernelAssert.Random(rng, n);
            var im = KernelAssert.Random(rng, n);
            var plan = Fft.Plan(n);
            var scratch = new float[plan.ScratchLength];
            var oRe = new float[n];
            var oIm = new float[n];
            plan.Forward(re, im, oRe, oIm, scratch);
            plan.Forward(re, im, re, im, scratch);
            Assert.Equal(oRe, re);
            Assert.Equal(oIm, im);
        }
    }

    [Fact]
    public void PlansAreCachedAndDescribeTheirPath()
    {
        Assert.Same(Fft.Plan(400), Fft.Plan(400));
        Assert.Same(Fft.RealPlan(400), Fft.RealPlan(400));
        Assert.Equal("real via complex 200 (4·2·5·5)", Fft.RealPlan(400).Description);
        Assert.Equal("4·4·4·4", Fft.Plan(256).Description);
        Assert.True(Fft.Plan(1009).UsesBluestein);
        Assert.StartsWith("bluestein(2048", Fft.Plan(1009).Description);
        Assert.False(Fft.Plan(13 * 13).UsesBluestein);
    }

    [Fact]
    public void OnePlanServesManyThreadsAtOnce()
    {
        // Plans are shared by every thread (the cache hands out one instance); each thread brings its own scratch.
        foreach (int n in new[] { 400, 1009 })
        {
            var plan = Fft.RealPlan(n);
            var inputs = Enumerable.Range(0, 64).Select(i => KernelAssert.Random(new Rng((ulong)i), n)).ToArray();
            float[] Run(float[] x)
            {
                var p = new float[plan.Bins];
                plan.Power(x, p, new float[plan.ScratchLength]);
                return p;
            }
            var sequential = inputs.Select(Run).ToArray();
            var parallel = new float[inputs.Length][];
            Parallel.For(0, inputs.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => parallel[i] = Run(inputs[i]));
            for (int i = 0; i < inputs.Length; i++) Assert.Equal(sequential[i], parallel[i]);
        }
    }

    [Fact]
    public void BadArgumentsGetClearErrors()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Fft.Plan(0));
        Assert.Contains("between 1 and", e.Message);
        var plan = Fft.RealPlan(400);
        var s = Assert.Throws<ArgumentException>(() => plan.Power(new float[400], new float[201], new float[10]));
        Assert.Contains($"scratch holds 10 floats, {plan.ScratchLength} needed", s.Message);
        var o = Assert.Throws<ArgumentException>(() => plan.Power(new float[400], new float[200], new float[plan.ScratchLength]));
        Assert.Contains("201 bins needed", o.Message);
        var c = Fft.Plan(16);
        Assert.Throws<ArgumentException>(() => c.Forward(new float[15], new float[16], new float[16], new float[16], new float[c.ScratchLength]));
    }
}
