namespace Loom.Nn;

/// <summary>
/// Swaps two dimensions, as <c>x.transpose(dim0, dim1)</c>: <c>new Transpose(1, 2)</c> turns embedded text
/// (N, T, E) into (N, E, T) for <see cref="Conv1d"/>, and back. (A copy: Loom's tensors have no strides.)
/// </summary>
public sealed class Transpose(int dim0, int dim1) : Module
{
    public int Dim0 { get; } = dim0;
    public int Dim1 { get; } = dim1;

    /// <summary>x: any shape with both dimensions → the same shape with the two swapped.</summary>
    public override Tensor Forward(Tensor x)
    {
        foreach (int d in (ReadOnlySpan<int>)[Dim0, Dim1])
            if (d >= x.Rank || d < -x.Rank)
                throw new ArgumentException($"{Label}: input {ShapeUtil.Format(x.Shape)} has no dimension {d}.");
        return Functional.Transpose(x, Dim0, Dim1);
    }

    protected override bool DescriptionIsFixed => true;

    public override string Describe() => $"Transpose(dim0={Dim0}, dim1={Dim1})";
}
