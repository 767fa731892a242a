namespace Loom.Nn;

/// <summary>
/// A residual block: y = x + f(x), with f the layers given in order (He et al. 2016; the blocks of WaveNet and
/// temporal convolutional networks). f must keep the shape of its input. The skip path lets a deep stack of
/// convolutions start near the identity, so the signal and its gradient reach every layer from the first step;
/// without it, PyTorch's default initialisation shrinks a ReLU stack's activations layer by layer. The layers are
/// named "0", "1", … (state-dict names <c>4.0.weight</c>: layer 4, its first layer), as an <c>nn.Sequential</c>
/// inside a module whose forward adds its input.
/// </summary>
public sealed class Residual : Module
{
    private readonly LayerChain _body = new();

    public Residual(params Module[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Length == 0) throw new ArgumentException("Residual: give at least one layer.");
        for (int i = 0; i < layers.Length; i++)
            _body.Add(RegisterModule(i.ToString(System.Globalization.CultureInfo.InvariantCulture), layers[i]));
    }

    public IReadOnlyList<Module> Layers => _body.Layers;

    /// <summary>x: any shape that the layers keep → x + f(x), the same shape.</summary>
    public override Tensor Forward(Tensor x) => Forward(x, null);

    /// <summary>As <see cref="Forward(Tensor)"/>, the lengths passed to every layer of f.</summary>
    public override Tensor Forward(Tensor x, int[]? lengths)
    {
        var y = _body.Forward(x, lengths);
        if (!ShapeUtil.SameShape(x.Shape, y.Shape))
            throw new ArgumentException($"{Label}: its layers turn {ShapeUtil.Format(x.Shape)} into {ShapeUtil.Format(y.Shape)}; a residual block must keep the shape.");
        return Functional.Add(x, y);
    }

    public override string Describe() => $"Residual(layers={_body.Layers.Count})";
}
