using Loom.Nn;
using Loom.Optim;
using Xunit;

namespace Loom.Tests.Parity;

/// <summary>
/// SGD (momentum, dampening, Nesterov, weight decay), Adam (with L2 weight decay), AdamW and RMSprop
/// (plain, momentum + centred, weight decay) against torch.optim: two parameters of different shapes,
/// three steps with stored gradients, the parameters compared after every step.
/// </summary>
public class OptimizerParityTests
{
    public static TheoryData<string> Cases => ParityFixture.CaseData("optim");

    [Theory, MemberData(nameof(Cases))]
    public void ThreeSteps(string c)
    {
        var f = ParityFixture.Load("optim");
        int count = f.Int(c, "params"), steps = f.Int(c, "steps");
        var parameters = Enumerable.Range(0, count).Select(i => new Parameter(f.Get(c, $"param{i}"))).ToArray();
        Optimizer opt = f.Meta(c, "kind") switch
        {
            "sgd" => new Sgd(parameters, f.Float(c, "lr"), f.Float(c, "momentum"), f.Float(c, "dampening"),
                f.Float(c, "weight_decay"), f.Bool(c, "nesterov")),
            "adam" => new Adam(parameters, f.Float(c, "lr"), Betas(f, c).Beta1, Betas(f, c).Beta2, f.Float(c, "eps"), f.Float(c, "weight_decay")),
            "adamw" => new AdamW(parameters, f.Float(c, "lr"), Betas(f, c).Beta1, Betas(f, c).Beta2, f.Float(c, "eps"), f.Float(c, "weight_decay")),
            "rmsprop" => new RmsProp(parameters, f.Float(c, "lr"), f.Float(c, "alpha"), f.Float(c, "eps"), f.Float(c, "weight_decay"),
                f.Float(c, "momentum"), f.Bool(c, "centered")),
            var k => throw new InvalidDataException($"optimizer case {c}: unknown kind '{k}'."),
        };

        for (int step = 0; step < steps; step++)
        {
            for (int i = 0; i < count; i++) parameters[i].Grad = f.Get(c, $"grad{i}_step{step}");
            opt.Step();
            // Each update is element-wise; three of them in float32 stay within a few ulps of float64.
            for (int i = 0; i < count; i++)
                ParityAssert.Close(f.Get(c, $"param{i}_after{step}"), parameters[i], Tolerance.Elementwise, $"{c}: parameter {i} after step {step + 1}");
        }
    }

    private static (float Beta1, float Beta2) Betas(ParityFixture f, string c)
    {
        var b = f.Floats(c, "betas");
        Assert.Equal(2, b.Length);
        return (b[0], b[1]);
    }
}
