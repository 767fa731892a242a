namespace Loom.Nn;

/// <summary>A learnable tensor: a leaf that requires a gradient, owned by a <see cref="Module"/>.</summary>
public sealed class Parameter : Tensor
{
    public Parameter(Tensor value) : base(value.Data, value.Shape) => RequiresGrad = true;
}
