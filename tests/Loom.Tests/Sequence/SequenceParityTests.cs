using System.Globalization;
using Loom.Nn;
using Loom.Tests.Parity;
using Xunit;

namespace Loom.Tests.Sequence;

/// <summary>
/// The sequence-model ops against PyTorch (Fixtures/parity/sequence.safetensors, from tools/make_fixtures.py):
/// narrow, max/mean over valid steps (PyTorch: masked max and masked mean), per-step cross-entropy with
/// padded targets (ignore_index=-100), and the final state of a bidirectional LSTM over packed sequences.
/// </summary>
public class SequenceParityTests
{
    private const string Family = "sequence";

    public static TheoryData<string> Cases(string kind)
    {
        var f = ParityFixture.Load(Family);
        var data = new TheoryData<string>();
        foreach (var c in f.Cases.Where(c => f.Meta(c, "kind") == kind)) data.Add(c);
        return data;
    }

    private static int[] Ints(ParityFixture f, string c, string key) =>
        f.Meta(c, key).Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();

    [Theory, MemberData(nameof(Cases), "narrow")]
    public void Narrow(string c)
    {
        var f = ParityFixture.Load(Family);
        var x = f.Get(c, "x", requiresGrad: true);
        var y = Functional.Narrow(x, f.Int(c, "dim"), f.Int(c, "start"), f.Int(c, "length"));
        y.Backward(f.Get(c, "gy"));
        ParityAssert.Close(f.Get(c, "y"), y, Tolerance.Elementwise, $"{c}: y");
        ParityAssert.Close(f.Get(c, "grad_x"), x.Grad, Tolerance.Elementwise, $"{c}: grad x");
    }

    [Theory, MemberData(nameof(Cases), "pool")]
    public void SequencePool(string c)
    {
        var f = ParityFixture.Load(Family);
        var x = f.Get(c, "x", requiresGrad: true);
        var mode = f.Meta(c, "mode") == "max" ? SequencePoolMode.Max : SequencePoolMode.Mean;
        var y = Functional.SequencePool(x, Ints(f, c, "lengths"), mode);
        y.Backward(f.Get(c, "gy"));
        ParityAssert.Close(f.Get(c, "y"), y, Tolerance.Elementwise, $"{c}: y");
        ParityAssert.Close(f.Get(c, "grad_x"), x.Grad, Tolerance.Elementwise, $"{c}: grad x");
    }

    [Theory, MemberData(nameof(Cases), "step_ce")]
    public void PerStepCrossEntropy(string c)
    {
        var f = ParityFixture.Load(Family);
        var logits = f.Get(c, "logits", requiresGrad: true);
        var loss = global::Loom.Training.Losses.CrossEntropy(logits, f.Get(c, "targets"), f.Float(c, "label_smoothing"));
        loss.Backward();
        ParityAssert.Close(f.Get(c, "loss").Data, [loss.Item()], Tolerance.Reduction, $"{c}: loss");
        ParityAssert.Close(f.Get(c, "grad_logits"), logits.Grad, Tolerance.Reduction, $"{c}: grad logits");
    }

    [Fact]
    public void FinalStateOfABidirectionalLstmOverPaddedSequences()
    {
        const string c = "lstm_final_state_bi";
        var f = ParityFixture.Load(Family);
        var x = f.Get(c, "x", requiresGrad: true);
        var lstm = new Lstm(x.Shape[2], f.Int(c, "hidden"), numLayers: 2, batchFirst: true, bidirectional: true) { ReturnSequences = false };
        lstm.LoadStateDict(lstm.StateDict().ToDictionary(p => p.Name, p => f.Get(c, "state." + p.Name)));
        var y = lstm.Forward(x, Ints(f, c, "lengths"));
        y.Backward(f.Get(c, "gy"));
        ParityAssert.Close(f.Get(c, "y"), y, Tolerance.Reduction, $"{c}: y");
        ParityAssert.Close(f.Get(c, "grad_x"), x.Grad, Tolerance.Reduction, $"{c}: grad x");
        foreach (var (name, p) in lstm.NamedParameters())
            ParityAssert.Close(f.Get(c, "grad." + name), p.Grad, Tolerance.Reduction, $"{c}: grad {name}");
    }
}
