using Loom.Tests.Parity;
using Xunit;

namespace Loom.Tests.Speech;

/// <summary>
/// Functional.CtcLoss against PyTorch's F.ctc_loss (torch 1.13, float64 references from the stored float32
/// inputs; tools/make_ctc_fixtures.py): the loss and the gradient sent to the log-probabilities, for every
/// reduction, padded and concatenated targets, repeated labels, tight and impossible alignments (with and
/// without zero_infinity), empty targets, blank ≠ 0, and a batch big enough to run in parallel.
/// </summary>
public class CtcParityTests
{
    private const string Family = "ctc";

    public static TheoryData<string> Cases => ParityFixture.CaseData(Family);

    [Theory, MemberData(nameof(Cases))]
    public void LossAndGradientMatchPyTorch(string c)
    {
        var f = ParityFixture.Load(Family);
        var logProbs = f.Get(c, "log_probs", requiresGrad: true);
        var reduction = f.Reduction(c);
        var loss = Functional.CtcLoss(logProbs, f.Get(c, "targets"), Ints(f.Get(c, "input_lengths")), Ints(f.Get(c, "target_lengths")),
            f.Int(c, "blank"), reduction, f.Bool(c, "zero_infinity"));
        if (reduction == Reduction.None) loss.Backward(f.Get(c, "gy"));
        else loss.Backward();

        // Log-sum-exp recursions over ≤ 60 frames, run in double: the errors are float32 rounding of the results.
        CloseOrBothNonFinite(f.Get(c, "loss").Data, loss.Data, $"{c}: loss");
        CloseOrBothNonFinite(f.Get(c, "grad").Data, logProbs.Grad!.Data, $"{c}: grad log_probs");
    }

    [Fact]
    public void FixtureCoversImpossibleAlignmentsAndNaNGradients()
    {
        // Guards the fixture itself: if regenerating it lost the impossible cases, the test above would check less.
        var f = ParityFixture.Load(Family);
        Assert.Contains(f.Get("impossible_none_nozi", "loss").Data, float.IsPositiveInfinity);
        Assert.Contains(f.Get("impossible_none_nozi", "grad").Data, float.IsNaN);
        Assert.DoesNotContain(f.Get("impossible_none_zi", "grad").Data, v => !float.IsFinite(v));
    }

    /// <summary>
    /// PyTorch's infinite losses and NaN gradients (impossible alignments without zero_infinity) must be matched
    /// exactly in kind; every finite element is compared within <see cref="Tolerance.Reduction"/>.
    /// </summary>
    private static void CloseOrBothNonFinite(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var e = (float[])expected.Clone();
        var a = (float[])actual.Clone();
        for (int i = 0; i < e.Length; i++)
        {
            if (float.IsFinite(e[i])) continue;
            Assert.True(float.IsNaN(e[i]) ? float.IsNaN(a[i]) : a[i] == e[i], $"{what}: element {i} is {a[i]}, PyTorch gives {e[i]}.");
            e[i] = a[i] = 0f;
        }
        ParityAssert.Close(e, a, Tolerance.Reduction, what);
    }

    internal static int[] Ints(Tensor t)
    {
        var r = new int[t.Size];
        for (int i = 0; i < r.Length; i++) r[i] = (int)t.Data[i];
        return r;
    }
}
