using Loom.Nn;
using Loom.Optim;
using Loom.Tests.Parity;
using Xunit;

namespace Loom.Tests.Optim;

/// <summary>
/// StepLR, CosineAnnealingLR (including steps past T_max, where PyTorch's cosine rises again) and
/// OneCycleLR (cosine, momentum not cycled; a warm-up ending on a step and one ending between steps) and a linear
/// warm-up then cosine (SequentialLR of LinearLR and CosineAnnealingLR) against torch.optim.lr_scheduler: the rate an optimizer holds at construction and after every
/// scheduler step.
/// </summary>
public class ScheduleParityTests
{
    /// <summary>
    /// PyTorch computes the schedules in float64, Loom in float32 (a power, a cosine and a few
    /// products): a few ulps of the rate (the largest error measured is 5e-7 relative, on a one-cycle
    /// rate of 0.019). The absolute floor is far below the smallest rate in the fixture (4e-7), so the
    /// tail of a one-cycle schedule is checked relatively too.
    /// </summary>
    private static readonly Tolerance Rate = new(1e-10, 2e-6);

    public static TheoryData<string> Cases => ParityFixture.CaseData("schedules");

    [Theory, MemberData(nameof(Cases))]
    public void RateAfterEachStepMatchesPyTorch(string c)
    {
        var f = ParityFixture.Load("schedules");
        var expected = f.Get(c, "lr").Data;
        int steps = f.Int(c, "steps");
        Assert.Equal(steps + 1, expected.Length);

        var (optimizer, scheduler) = Make(f, c);
        var actual = new float[steps + 1];
        Assert.Equal(0, scheduler.StepIndex);
        actual[0] = optimizer.LearningRate;
        for (int k = 1; k <= steps; k++)
        {
            scheduler.Step();
            Assert.Equal(k, scheduler.StepIndex);
            actual[k] = optimizer.LearningRate;
            Assert.Equal(scheduler.RateAt(k), optimizer.LearningRate);
        }
        ParityAssert.Close(expected, actual, Rate, $"{c}: learning rate after each step");
    }

    [Theory, MemberData(nameof(Cases))]
    public void SeekGivesTheRateOfThatStep(string c)
    {
        // A resumed run seeks to the saved step instead of replaying the steps.
        var f = ParityFixture.Load("schedules");
        var expected = f.Get(c, "lr").Data;
        for (int k = expected.Length - 1; k >= 0; k--)
        {
            var (optimizer, scheduler) = Make(f, c);
            scheduler.Seek(k);
            Assert.Equal(k, scheduler.StepIndex);
            ParityAssert.Close(expected.AsSpan(k, 1), [optimizer.LearningRate], Rate, $"{c}: rate after Seek({k})");
        }
    }

    [Fact]
    public void StepLrHalvesEveryThreeStepsExactly()
    {
        // Powers of one half are exact in float32: the schedule must give these values bit for bit.
        var opt = new Sgd([new Parameter(Tensor.Zeros(1))], lr: 0.5f);
        var s = new StepLr(opt, stepSize: 3, gamma: 0.5f);
        float[] rates = [.. Enumerable.Range(0, 10).Select(s.RateAt)];
        Assert.Equal([0.5f, 0.5f, 0.5f, 0.25f, 0.25f, 0.25f, 0.125f, 0.125f, 0.125f, 0.0625f], rates);
        Assert.False(s.PerBatch);
    }

    [Fact]
    public void OneCycleStepsPerBatchAndStaysAtItsFloorAfterTheLastStep()
    {
        var opt = new Sgd([new Parameter(Tensor.Zeros(1))], lr: 1f);
        var s = new OneCycleLr(opt, maxLr: 0.1f, totalSteps: 20);
        Assert.True(s.PerBatch);
        // Construction replaces the optimizer's rate with maxLr / divFactor, as PyTorch.
        Assert.Equal(0.1f / 25f, opt.LearningRate);
        float floor = 0.1f / 25f / 1e4f;
        // PyTorch raises past total_steps; Loom holds the final rate (the last optimizer step uses step 19).
        Assert.Equal(floor, s.RateAt(19), 1e-12f);
        Assert.Equal(s.RateAt(19), s.RateAt(20));
        Assert.Equal(s.RateAt(19), s.RateAt(1000));
        Assert.Throws<ArgumentException>(() => new OneCycleLr(opt, 0.1f, totalSteps: 1));
    }

    [Fact]
    public void TrainingSettingsTurnAWarmupFractionIntoBatches()
    {
        // 10 epochs of 25 batches: a warm-up of 0.04 is 10 batches, and it is per batch, unlike plain cosine.
        var opt = new Sgd([new Parameter(Tensor.Zeros(1))], lr: 0.2f);
        var s = Assert.IsType<WarmupCosineLr>(new Loom.Recipes.TrainingSettings { Epochs = 10, LearningRate = 0.2f, Warmup = 0.04f }.CreateScheduler(opt, 25));
        Assert.True(s.PerBatch);
        Assert.Equal(0.2f / 10, opt.LearningRate, 1e-7f);
        Assert.Equal(0.2f, s.RateAt(9));
        Assert.Equal(0.2f, s.RateAt(10));
        Assert.True(s.RateAt(11) < 0.2f);
        Assert.False(new Loom.Recipes.TrainingSettings { Epochs = 10 }.CreateScheduler(opt, 25)!.PerBatch);
        // For onecycle the fraction is pct_start: the peak falls on step 0.1 · 250 − 1.
        var one = new Loom.Recipes.TrainingSettings { Epochs = 10, LearningRate = 0.2f, Schedule = "onecycle", Warmup = 0.1f }.CreateScheduler(opt, 25)!;
        Assert.Equal(0.2f, one.RateAt(24), 1e-7f);
        // In a very short run the warm-up is cut to leave a step for the cosine (here 2 of 3 batches, not 3).
        var tiny = new Loom.Recipes.TrainingSettings { Epochs = 1, Warmup = 0.99f }.CreateScheduler(opt, 3)!;
        Assert.Equal([0.1f, 0.2f, 0.2f], [tiny.RateAt(0), tiny.RateAt(1), tiny.RateAt(2)]);
        Assert.Throws<ArgumentException>(() => new WarmupCosineLr(opt, warmupSteps: 5, totalSteps: 5));
    }

    private static (Optimizer, LrScheduler) Make(ParityFixture f, string c)
    {
        var opt = new Sgd([new Parameter(Tensor.Zeros(1))], lr: f.Float(c, "lr"));
        LrScheduler s = f.Meta(c, "kind") switch
        {
            "step" => new StepLr(opt, f.Int(c, "step_size"), f.Float(c, "gamma")),
            "cosine" => new CosineAnnealingLr(opt, f.Int(c, "t_max"), f.Float(c, "eta_min")),
            "onecycle" => new OneCycleLr(opt, f.Float(c, "max_lr"), f.Int(c, "total_steps"), f.Float(c, "pct_start"),
                f.Float(c, "div_factor"), f.Float(c, "final_div_factor")),
            "warmupcosine" => new WarmupCosineLr(opt, f.Int(c, "warmup_steps"), f.Int(c, "total_steps"), f.Float(c, "eta_min")),
            var k => throw new InvalidDataException($"schedule case {c}: unknown kind '{k}'."),
        };
        return (opt, s);
    }
}
