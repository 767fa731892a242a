namespace Loom.Nn;

/// <summary>Applies its children in order; they are named "0", "1", … as in PyTorch.</summary>
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
        foreach (var layer in _layers) x = layer.Call(x);
        return x;
    }
}
