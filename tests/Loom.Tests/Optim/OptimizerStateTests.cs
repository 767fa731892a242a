using Loom.Nn;
using Loom.Optim;
using Loom.Serialization;
using Xunit;

namespace Loom.Tests.Optim;

/// <summary>
/// Optimizer state for checkpoints: <see cref="Optimizer.StateTensors"/> written to safetensors and read
/// back into a fresh optimizer with <see cref="Optimizer.LoadState"/> continues exactly as the
/// uninterrupted optimizer (bit for bit); without the state it would not; malformed state is rejected.
/// </summary>
public class OptimizerStateTests
{
    private static readonly int[][] Shapes = [[3, 4], [5], [2, 1, 3]];

    public static TheoryData<string> Kinds => new() { "adam", "adamw", "sgd_momentum", "sgd_nesterov", "rmsprop_centered_momentum" };

    private static Optimizer Make(string kind, Parameter[] p) => kind switch
    {
        "adam" => new Adam(p, lr: 0.01f, beta1: 0.8f, beta2: 0.95f, weightDecay: 0.01f),
        "adamw" => new AdamW(p, lr: 0.01f),
        "sgd_momentum" => new Sgd(p, lr: 0.05f, momentum: 0.9f, dampening: 0.1f),
        "sgd_nesterov" => new Sgd(p, lr: 0.05f, momentum: 0.9f, nesterov: true, weightDecay: 1e-3f),
        "rmsprop_centered_momentum" => new RmsProp(p, lr: 0.01f, momentum: 0.5f, centered: true),
        _ => throw new ArgumentException(kind),
    };

    /// <summary>Deterministic parameters and per-step gradients (a fixed generator per test, so no global state).</summary>
    private static Parameter[] Params(Rng rng) =>
        [.. Shapes.Select(s => new Parameter(Tensor.Normal(0f, 1f, s, rng)))];

    private static Tensor[][] Gradients(Rng rng, int steps) =>
        [.. Enumerable.Range(0, steps).Select(_ => Shapes.Select(s => Tensor.Normal(0f, 1f, s, rng)).ToArray())];

    private static void StepWith(Optimizer opt, Parameter[] p, Tensor[] grads)
    {
        for (int i = 0; i < p.Length; i++) p[i].Grad = grads[i].Clone();
        opt.Step();
    }

    [Theory, MemberData(nameof(Kinds))]
    public void ResumedOptimizerTakesTheSameNextStepBitForBit(string kind)
    {
        const int before = 4, after = 2;
        var grads = Gradients(new Rng(7), before + after);
        var p = Params(new Rng(3));
        var opt = Make(kind, p);
        for (int s = 0; s < before; s++) StepWith(opt, p, grads[s]);
        opt.LearningRate = 0.007f; // as a scheduler would have set it

        // Save: parameters and optimizer state through the file format, as a checkpoint does.
        var buffer = new MemoryStream();
        Safetensors.Write(buffer, [.. p.Select((x, i) => ($"p{i}", (Tensor)x)), .. opt.StateTensors()]);
        var saved = Safetensors.Read(buffer.ToArray()).ToDictionary();
        var stateNames = opt.StateTensors().Select(t => t.Name).ToList();
        Assert.NotEmpty(stateNames);
        Assert.All(stateNames, n => Assert.Matches(@"^state\.[a-z_]+\.[0-2]$", n));

        var q = Enumerable.Range(0, p.Length).Select(i => new Parameter(saved[$"p{i}"])).ToArray();
        var resumed = Make(kind, q);
        resumed.LoadState(stateNames.Select(n => (n, saved[n])), opt.StepCount, opt.LearningRate);
        Assert.Equal(before, resumed.StepCount);
        Assert.Equal(0.007f, resumed.LearningRate);

        // A third optimizer on the same saved parameters but without the state: the state must matter.
        var r = Enumerable.Range(0, p.Length).Select(i => new Parameter(saved[$"p{i}"].Clone())).ToArray();
        var fresh = Make(kind, r);
        fresh.LearningRate = 0.007f;

        for (int s = before; s < before + after; s++)
        {
            StepWith(opt, p, grads[s]);
            StepWith(resumed, q, grads[s]);
            StepWith(fresh, r, grads[s]);
        }
        for (int i = 0; i < p.Length; i++)
        {
            Assert.Equal(Bits(p[i].Data), Bits(q[i].Data));
            Assert.NotEqual(Bits(p[i].Data), Bits(r[i].Data));
        }
        // The state itself also matches after the extra steps.
        var a = opt.StateTensors().ToDictionary(t => t.Name, t => Bits(t.Value.Data));
        var b = resumed.StateTensors().ToDictionary(t => t.Name, t => Bits(t.Value.Data));
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (name, bits) in a) Assert.Equal(bits, b[name]);
    }

    [Fact]
    public void AdamStateHasBothMomentsForEveryParameterWithTheParameterShapes()
    {
        var p = Params(new Rng(1));
        var opt = new Adam(p);
        StepWith(opt, p, Gradients(new Rng(2), 1)[0]);
        var state = opt.StateTensors().ToDictionary(t => t.Name, t => t.Value);
        Assert.Equal(
            ["state.exp_avg.0", "state.exp_avg.1", "state.exp_avg.2", "state.exp_avg_sq.0", "state.exp_avg_sq.1", "state.exp_avg_sq.2"],
            state.Keys.Order());
        for (int i = 0; i < p.Length; i++) Assert.Equal(p[i].Shape, state[$"state.exp_avg_sq.{i}"].Shape);
    }

    [Fact]
    public void LoadStateCopiesTheValues()
    {
        var p = Params(new Rng(1));
        var opt = new Sgd(p, 0.1f, momentum: 0.9f);
        var buf = Tensor.Full(2f, 3, 4);
        opt.LoadState([("state.momentum_buffer.0", buf)], 1, 0.1f);
        buf.Data[0] = 99f;
        Assert.Equal(2f, opt.StateTensors().Single().Value.Data[0]);
    }

    [Theory]
    [InlineData("momentum_buffer.0", "does not name a slot")]
    [InlineData("state.momentum_buffer", "does not name a slot")]
    [InlineData("state.momentum_buffer.x", "does not name a slot")]
    [InlineData("state.momentum_buffer.3", "does not name a slot")]
    [InlineData("state.momentum_buffer.-1", "does not name a slot")]
    [InlineData("state.momentum_buffer.1", "parameter 1 has 5")]
    public void LoadStateRejectsEntriesThatDoNotFitTheModel(string name, string message)
    {
        var opt = new Sgd(Params(new Rng(1)), 0.1f, momentum: 0.9f);
        var e = Assert.Throws<InvalidDataException>(() => opt.LoadState([(name, Tensor.Zeros(12))], 1, 0.1f));
        Assert.Contains(name, e.Message);
        Assert.Contains(message, e.Message);
    }

    private static int[] Bits(float[] values) => [.. values.Select(BitConverter.SingleToInt32Bits)];
}
