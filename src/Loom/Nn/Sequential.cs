namespace Loom.Nn;

/// <summary>
/// Applies its children in order; they are named "0", "1", … as in PyTorch. When the first
/// <see cref="Embedding"/> has a padding index, the lengths of its (N, T) token sequences (padding at
/// the end) are passed on to every <see cref="ISequenceLayer"/> after it.
/// </summary>
public sealed class Sequential : Module
{
    private readonly List<Module> _layers = [];

    public Sequential(params Module[] layers)
    {
        foreach (var layer in layers) Add(layer);
    }

    public Sequential Add(Module layer)
    {
        RegisterModule(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), layer);
        _layers.Add(layer);
        return this;
    }

    public IReadOnlyList<Module> Layers => _layers;

    public Module this[int index] => _layers[index];

    public override Tensor Forward(Tensor x)
    {
        int[]? lengths = null;
        foreach (var layer in _layers)
        {
            if (lengths is null && layer is Embedding { PaddingIdx: int pad }) lengths = SequenceLengths.FromPadding(x, pad);
            x = layer.Call(x, lengths);
        }
        return x;
    }
}
