using Loom.Nn;

namespace Loom.Optim;

/// <summary>Stochastic gradient descent with optional momentum, dampening, Nesterov and L2 weight decay (PyTorch's update).</summary>
public sealed class Sgd : Optimizer
{
    public float Momentum { get; }
    public float Dampening { get; }
    public float WeightDecay { get; }
    public bool Nesterov { get; }

    public Sgd(IEnumerable<Parameter> parameters, float lr, float momentum = 0f, float dampening = 0f, float weightDecay = 0f, bool nesterov = false)
        : base(parameters, lr)
    {
        if (nesterov && (momentum <= 0f || dampening != 0f)) throw new ArgumentException("SGD: Nesterov momentum needs momentum > 0 and zero dampening.");
        (Momentum, Dampening, WeightDecay, Nesterov) = (momentum, dampening, weightDecay, nesterov);
    }

    public override string Kind => "sgd";

    protected override void Update(int index, Span<float> p, ReadOnlySpan<float> g)
    {
        float lr = LearningRate;
        if (Momentum == 0f)
        {
            for (int i = 0; i < p.Length; i++) p[i] -= lr * (g[i] + WeightDecay * p[i]);
            return;
        }
        bool first = !HasSlot("momentum_buffer", index);
        var buf = Slot("momentum_buffer", index);
        for (int i = 0; i < p.Length; i++)
        {
            float d = g[i] + WeightDecay * p[i];
            buf[i] = first ? d : Momentum * buf[i] + (1 - Dampening) * d;
            p[i] -= lr * (Nesterov ? d + Momentum * buf[i] : buf[i]);
        }
    }
}
