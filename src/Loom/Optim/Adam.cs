using Loom.Nn;

namespace Loom.Optim;

/// <summary>
/// Adam (Kingma &amp; Ba) with bias correction; weight decay is L2 added to the gradient. With
/// <c>decoupled</c> it is AdamW (Loshchilov &amp; Hutter): decay applied to the weights directly.
/// </summary>
public class Adam : Optimizer
{
    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Eps { get; }
    public float WeightDecay { get; }
    private readonly bool _decoupled;

    public Adam(IEnumerable<Parameter> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0f)
        : this(parameters, lr, beta1, beta2, eps, weightDecay, decoupled: false) { }

    protected Adam(IEnumerable<Parameter> parameters, float lr, float beta1, float beta2, float eps, float weightDecay, bool decoupled)
        : base(parameters, lr)
    {
        if (beta1 is < 0f or >= 1f || beta2 is < 0f or >= 1f) throw new ArgumentException($"Adam: betas must be in [0, 1), got ({beta1}, {beta2}).");
        (Beta1, Beta2, Eps, WeightDecay, _decoupled) = (beta1, beta2, eps, weightDecay, decoupled);
    }

    public override string Kind => "adam";

    protected override void Update(int index, Span<float> p, ReadOnlySpan<float> g)
    {
        var m = Slot("exp_avg", index);
        var v = Slot("exp_avg_sq", index);
        float lr = LearningRate;
        float bc1 = 1f - MathF.Pow(Beta1, StepCount), bc2 = 1f - MathF.Pow(Beta2, StepCount);
        float decay = _decoupled ? 1f - lr * WeightDecay : 1f;
        float l2 = _decoupled ? 0f : WeightDecay;
        Kernels.AdamKernel.Step(p, g, m, v, new(Beta1, Beta2, Eps, decay, l2, lr / bc1, MathF.Sqrt(bc2)));
    }
}

/// <summary>Adam with decoupled weight decay (default 0.01, as PyTorch).</summary>
public sealed class AdamW(IEnumerable<Parameter> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0.01f)
    : Adam(parameters, lr, beta1, beta2, eps, weightDecay, decoupled: true)
{
    public override string Kind => "adamw";
}
