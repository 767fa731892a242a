namespace Loom.Nn;

/// <summary>
/// Applies its children in order; they are named "0", "1", … as in PyTorch. Sequence lengths pass to every
/// child: those given to <see cref="Forward(Tensor, int[])"/>, else those the first layer able to reads off its
/// input (an <see cref="Embedding"/> with a padding index). Conv2d/Linear + ReLU pairs run fused (see
/// <see cref="LayerChain"/>).
/// </summary>
public sealed class Sequential : Module
{
    private readonly LayerChain _chain = new();

    public Sequential(params Module[] layers)
    {
        foreach (var layer in layers) Add(layer);
    }

    public Sequential Add(Module layer)
    {
        RegisterModule(_chain.Layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), layer);
        _chain.Add(layer);
        return this;
    }

    public IReadOnlyList<Module> Layers => _chain.Layers;

    public Module this[int index] => _chain.Layers[index];

    public override Tensor Forward(Tensor x) => _chain.Forward(x, null);

    public override Tensor Forward(Tensor x, int[]? lengths) => _chain.Forward(x, lengths);

    /// <summary>The lengths through every child in order.</summary>
    public override int[] OutputLengths(int[] lengths) => _chain.OutputLengths(lengths);
}
