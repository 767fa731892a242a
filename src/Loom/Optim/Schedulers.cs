namespace Loom.Optim;

/// <summary>
/// Sets an optimizer's learning rate as a function of a step counter. <see cref="Step"/> is called
/// once per epoch (StepLR, CosineAnnealingLR) or once per batch (OneCycleLR, warm-up then cosine), as in PyTorch.
/// </summary>
public abstract class LrScheduler
{
    protected LrScheduler(Optimizer optimizer)
    {
        Optimizer = optimizer;
        BaseLearningRate = optimizer.InitialLearningRate;
    }

    public Optimizer Optimizer { get; }
    public float BaseLearningRate { get; }

    /// <summary>Steps taken so far; the optimizer's rate is <see cref="RateAt"/>(this).</summary>
    public int StepIndex { get; private set; }

    /// <summary>True for schedules that advance every batch rather than every epoch.</summary>
    public virtual bool PerBatch => false;

    public void Step()
    {
        StepIndex++;
        Optimizer.LearningRate = RateAt(StepIndex);
    }

    /// <summary>Moves to a given step (resuming from a checkpoint).</summary>
    public void Seek(int stepIndex)
    {
        StepIndex = stepIndex;
        Optimizer.LearningRate = RateAt(stepIndex);
    }

    public abstract float RateAt(int step);
}

/// <summary>Multiplies the rate by gamma every <c>stepSize</c> epochs.</summary>
public sealed class StepLr(Optimizer optimizer, int stepSize, float gamma = 0.1f) : LrScheduler(optimizer)
{
    public override float RateAt(int step) => BaseLearningRate * MathF.Pow(gamma, step / Math.Max(1, stepSize));
}

/// <summary>
/// Half a cosine from the base rate down to etaMin over tMax epochs. Past tMax the rate follows the
/// cosine back up, as PyTorch's CosineAnnealingLR does (it is periodic with period 2·tMax).
/// </summary>
public sealed class CosineAnnealingLr(Optimizer optimizer, int tMax, float etaMin = 0f) : LrScheduler(optimizer)
{
    public override float RateAt(int step) =>
        etaMin + (BaseLearningRate - etaMin) * (1 + MathF.Cos(MathF.PI * step / tMax)) / 2;
}

/// <summary>
/// The one-cycle policy (Smith): cosine warm-up from maxLr/divFactor to maxLr over pctStart of the
/// steps, then cosine annealing to maxLr/(divFactor·finalDivFactor). Steps once per batch.
/// Momentum is not cycled.
/// </summary>
public sealed class OneCycleLr : LrScheduler
{
    private readonly float _maxLr, _initialLr, _minLr;
    private readonly int _totalSteps;
    private readonly float _warmupEnd;

    public OneCycleLr(Optimizer optimizer, float maxLr, int totalSteps, float pctStart = 0.3f, float divFactor = 25f, float finalDivFactor = 1e4f)
        : base(optimizer)
    {
        if (totalSteps <= 1) throw new ArgumentException($"OneCycleLR: total steps must be more than 1, got {totalSteps}.");
        (_maxLr, _totalSteps) = (maxLr, totalSteps);
        _initialLr = maxLr / divFactor;
        _minLr = _initialLr / finalDivFactor;
        _warmupEnd = pctStart * totalSteps - 1;
        optimizer.LearningRate = _initialLr;
    }

    public override bool PerBatch => true;

    public override float RateAt(int step)
    {
        step = Math.Min(step, _totalSteps - 1);
        if (step <= _warmupEnd) return Anneal(_initialLr, _maxLr, step / _warmupEnd);
        return Anneal(_maxLr, _minLr, (step - _warmupEnd) / (_totalSteps - 1 - _warmupEnd));
    }

    private static float Anneal(float start, float end, float pct) => end + (start - end) / 2 * (1 + MathF.Cos(MathF.PI * pct));
}

/// <summary>
/// A linear warm-up, then half a cosine, stepped once per batch (the warm-up-then-cosine-decay schedule of Keras's
/// <c>CosineDecay(warmup_steps)</c> and of most transformer recipes). Over the first <c>warmupSteps</c> steps the rate
/// rises in equal steps to the base rate (base·(s+1)/warmupSteps at step s, so the first batch already moves), then it
/// anneals to etaMin at <c>totalSteps</c>, periodic past it as <see cref="CosineAnnealingLr"/>. In PyTorch it is
/// <c>SequentialLR([LinearLR(start_factor = 1/warmupSteps, total_iters = warmupSteps − 1),
/// CosineAnnealingLR(T_max = totalSteps − warmupSteps)], milestones = [warmupSteps])</c>.
/// Why: a short rise to the rate without one-cycle's long climb and long stay near the peak, where one speech run's
/// training loss rose for six epochs (docs/speech.md).
/// </summary>
public sealed class WarmupCosineLr : LrScheduler
{
    private readonly int _warmupSteps, _totalSteps;
    private readonly float _etaMin;

    public WarmupCosineLr(Optimizer optimizer, int warmupSteps, int totalSteps, float etaMin = 0f) : base(optimizer)
    {
        if (warmupSteps < 1 || warmupSteps >= totalSteps)
            throw new ArgumentException($"Warm-up then cosine: the warm-up must take at least 1 step and fewer than the {totalSteps} in all, got {warmupSteps}.");
        (_warmupSteps, _totalSteps, _etaMin) = (warmupSteps, totalSteps, etaMin);
        optimizer.LearningRate = RateAt(0);
    }

    public override bool PerBatch => true;

    public override float RateAt(int step)
    {
        if (step < _warmupSteps) return BaseLearningRate * (step + 1) / _warmupSteps;
        float progress = (float)(step - _warmupSteps) / (_totalSteps - _warmupSteps);
        return _etaMin + (BaseLearningRate - _etaMin) * (1 + MathF.Cos(MathF.PI * progress)) / 2;
    }
}
