namespace Loom.Nn;

/// <summary>
/// Reorders dimensions, as <c>x.permute(*dims)</c>: <c>new Permute(0, 3, 1, 2)</c> turns a feature map
/// (N, C, H, W) into (N, W, C, H), so that a following <c>Flatten(2, 3)</c> gives (N, W, C·H): the image's
/// columns as the steps of a recurrent layer. (A copy: Loom's tensors have no strides.)
/// </summary>
public sealed class Permute : Module
{
    private readonly int[] _dims;

    public Permute(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length == 0) throw new ArgumentException("Permute: give the new order of the dimensions, e.g. (0, 3, 1, 2).");
        _dims = (int[])dims.Clone();
    }

    public IReadOnlyList<int> Dims => _dims;

    /// <summary>x: a tensor with as many dimensions as <see cref="Dims"/> → y.Shape[i] = x.Shape[Dims[i]].</summary>
    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != _dims.Length)
            throw new ArgumentException($"{Label}: expected a {_dims.Length}-dimensional input, got {ShapeUtil.Format(x.Shape)}.");
        return Functional.Permute(x, _dims);
    }

    protected override bool DescriptionIsFixed => true;

    public override string Describe() => $"Permute(dims=({string.Join(", ", _dims)}))";
}
