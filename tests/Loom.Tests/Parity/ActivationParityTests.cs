using Xunit;

namespace Loom.Tests.Parity;

/// <summary>
/// ReLU, LeakyReLU(0.1), Tanh, Sigmoid, exact GELU, and Softmax/LogSoftmax along a middle and the last
/// dimension of a 3-D tensor, including logits of magnitude ~100 that overflow a naive exp.
/// </summary>
public class ActivationParityTests
{
    public static TheoryData<string> Cases => ParityFixture.CaseData("activations");

    [Theory, MemberData(nameof(Cases))]
    public void Activation(string c)
    {
        var f = ParityFixture.Load("activations");
        var x = f.Get(c, "x", requiresGrad: true);
        var y = c switch
        {
            "relu" => Functional.Relu(x),
            "tanh" => Functional.Tanh(x),
            "sigmoid" => Functional.Sigmoid(x),
            "gelu" => Functional.Gelu(x),
            _ when c.StartsWith("leaky_relu", StringComparison.Ordinal) => Functional.LeakyRelu(x, f.Float(c, "negative_slope")),
            _ when c.StartsWith("log_softmax", StringComparison.Ordinal) => Functional.LogSoftmax(x, f.Int(c, "dim")),
            _ when c.StartsWith("softmax", StringComparison.Ordinal) => Functional.Softmax(x, f.Int(c, "dim")),
            _ => throw new InvalidDataException($"activation case {c} is not known to the test."),
        };
        if (c == "gelu") Assert.Equal("none", f.Meta(c, "approximate"));
        y.Backward(f.Get(c, "gy"));

        // Element-wise maps; softmax adds a sum over 4 or 5 terms, well within the element-wise budget.
        ParityAssert.Close(f.Get(c, "y"), y, Tolerance.Elementwise, $"{c}: y");
        ParityAssert.Close(f.Get(c, "grad_x"), x.Grad, Tolerance.Elementwise, $"{c}: grad x");
    }
}
