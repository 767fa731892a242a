using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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
        float stepSize = lr / bc1, sqrtBc2 = MathF.Sqrt(bc2);
        float decay = _decoupled ? 1f - lr * WeightDecay : 1f;
        float l2 = _decoupled ? 0f : WeightDecay;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            // The same operations in the same order as the scalar loop below (no fused multiply–add), so the
            // result does not depend on the vector width.
            var b1 = Vector512.Create(Beta1); var c1 = Vector512.Create(1 - Beta1);
            var b2 = Vector512.Create(Beta2); var c2 = Vector512.Create(1 - Beta2);
            var vl2 = Vector512.Create(l2); var vDecay = Vector512.Create(decay); var vStep = Vector512.Create(stepSize);
            var vSqrtBc2 = Vector512.Create(sqrtBc2); var vEps = Vector512.Create(Eps);
            ref float rp = ref MemoryMarshal.GetReference(p), rm = ref MemoryMarshal.GetArrayDataReference(m), rv = ref MemoryMarshal.GetArrayDataReference(v);
            ref float rg = ref MemoryMarshal.GetReference(g);
            for (; i <= p.Length - 16; i += 16)
            {
                var pi = Vector512.LoadUnsafe(ref rp, (nuint)i);
                var gi = Vector512.LoadUnsafe(ref rg, (nuint)i) + vl2 * pi;
                var mi = b1 * Vector512.LoadUnsafe(ref rm, (nuint)i) + c1 * gi;
                var vi = b2 * Vector512.LoadUnsafe(ref rv, (nuint)i) + c2 * gi * gi;
                mi.StoreUnsafe(ref rm, (nuint)i);
                vi.StoreUnsafe(ref rv, (nuint)i);
                (pi * vDecay - vStep * mi / (Vector512.Sqrt(vi) / vSqrtBc2 + vEps)).StoreUnsafe(ref rp, (nuint)i);
            }
        }
        for (; i < p.Length; i++)
        {
            float gi = g[i] + l2 * p[i];
            m[i] = Beta1 * m[i] + (1 - Beta1) * gi;
            v[i] = Beta2 * v[i] + (1 - Beta2) * gi * gi;
            p[i] = p[i] * decay - stepSize * m[i] / (MathF.Sqrt(v[i]) / sqrtBc2 + Eps);
        }
    }
}

/// <summary>Adam with decoupled weight decay (default 0.01, as PyTorch).</summary>
public sealed class AdamW(IEnumerable<Parameter> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0.01f)
    : Adam(parameters, lr, beta1, beta2, eps, weightDecay, decoupled: true)
{
    public override string Kind => "adamw";
}
