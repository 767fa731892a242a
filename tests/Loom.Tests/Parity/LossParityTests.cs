using Xunit;

namespace Loom.Tests.Parity;

/// <summary>
/// CrossEntropy (class weights, label smoothing, ignore index, all reductions, logits of ±30 and ±100),
/// NLLLoss, MSELoss and BCEWithLogitsLoss (with and without pos_weight, and with large logits) against
/// PyTorch: the loss and the gradient of the input (and of the target for MSE).
/// </summary>
public class LossParityTests
{
    public static TheoryData<string> Cases => ParityFixture.CaseData("losses");

    [Theory, MemberData(nameof(Cases))]
    public void Loss(string c)
    {
        var f = ParityFixture.Load("losses");
        var input = f.Get(c, "input", requiresGrad: true);
        string kind = f.Meta(c, "kind");
        var target = f.Get(c, "target", requiresGrad: kind == "mse");
        var reduction = f.Reduction(c);
        var loss = kind switch
        {
            "cross_entropy" => Functional.CrossEntropy(input, target, f.GetOptional(c, "weight"), f.Float(c, "label_smoothing"),
                f.Int(c, "ignore_index"), reduction),
            "nll" => Functional.NllLoss(input, target, f.GetOptional(c, "weight"), f.Int(c, "ignore_index"), reduction),
            "mse" => Functional.MseLoss(input, target, reduction),
            "bce_with_logits" => Functional.BceWithLogits(input, target, f.GetOptional(c, "pos_weight"), reduction),
            _ => throw new InvalidDataException($"loss case {c}: unknown kind '{kind}'."),
        };
        if (reduction == Reduction.None) loss.Backward(f.Get(c, "gy"));
        else loss.Backward();

        // Losses are means or sums over a few dozen log-sum-exp terms.
        var tol = Tolerance.Reduction;
        ParityAssert.Close(f.Get(c, "loss"), loss, tol, $"{c}: loss");
        ParityAssert.Close(f.Get(c, "grad_input"), input.Grad, tol, $"{c}: grad input");
        if (kind == "mse") ParityAssert.Close(f.Get(c, "grad_target"), target.Grad, tol, $"{c}: grad target");
    }
}
