namespace Loom.Nn;

/// <summary>
/// Applies its children in order; they are named "0", "1", … as in PyTorch. When the first
/// <see cref="Embedding"/> has a padding index, the lengths of its (N, T) token sequences (padding at
/// the end) are passed on to every <see cref="ISequenceLayer"/> after it. A <see cref="Conv2d"/> or
/// <see cref="Linear"/> followed by a <see cref="Relu"/> runs as one fused op (<see cref="IReluFusible"/>)
/// unless something observes each layer's output (as <see cref="ModelSummary"/> does).
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
        for (int i = 0; i < _layers.Count; i++)
        {
            var layer = _layers[i];
            if (lengths is null && layer is Embedding { PaddingIdx: int pad }) lengths = SequenceLengths.FromPadding(x, pad);
            if (layer is IReluFusible fusible && i + 1 < _layers.Count && _layers[i + 1] is Relu && ForwardObserver is null)
            {
                x = fusible.ForwardRelu(x);
                i++;
                continue;
            }
            x = layer.Call(x, lengths);
        }
        return x;
    }
}
