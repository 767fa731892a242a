namespace Loom.Nn;

/// <summary>Merges dimensions startDim..endDim: (N, C, H, W) → (N, C·H·W) by default.</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    public int StartDim { get; } = startDim;
    public int EndDim { get; } = endDim;
    public override Tensor Forward(Tensor x) => Functional.Flatten(x, StartDim, EndDim);
    public override string Describe() => $"Flatten(start_dim={StartDim}, end_dim={EndDim})";
}
