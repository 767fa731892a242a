using Loom.Nn;

namespace Loom.Optim;

/// <summary>RMSprop as PyTorch implements it: optional momentum and the centred variant.</summary>
public sealed class RmsProp : Optimizer
{
    public float Alpha { get; }
    public float Eps { get; }
    public float WeightDecay { get; }
    public float Momentum { get; }
    public bool Centered { get; }

    public RmsProp(IEnumerable<Parameter> parameters, float lr = 1e-2f, float alpha = 0.99f, float eps = 1e-8f, float weightDecay = 0f, float momentum = 0f, bool centered = false)
        : base(parameters, lr) => (Alpha, Eps, WeightDecay, Momentum, Centered) = (alpha, eps, weightDecay, momentum, centered);

    public override string Kind => "rmsprop";

    protected override void Update(int index, Span<float> p, ReadOnlySpan<float> g)
    {
        var sq = Slot("square_avg", index);
        var gAvg = Centered ? Slot("grad_avg", index) : null;
        var buf = Momentum > 0f ? Slot("momentum_buffer", index) : null;
        float lr = LearningRate;
        for (int i = 0; i < p.Length; i++)
        {
            float gi = g[i] + WeightDecay * p[i];
            sq[i] = Alpha * sq[i] + (1 - Alpha) * gi * gi;
            float avg;
            if (gAvg is not null)
            {
                gAvg[i] = Alpha * gAvg[i] + (1 - Alpha) * gi;
                avg = MathF.Sqrt(sq[i] - gAvg[i] * gAvg[i]) + Eps;
            }
            else avg = MathF.Sqrt(sq[i]) + Eps;
            if (buf is not null)
            {
                buf[i] = Momentum * buf[i] + gi / avg;
                p[i] -= lr * buf[i];
            }
            else p[i] -= lr * gi / avg;
        }
    }
}
