namespace Loom.Nn;

/// <summary>
/// Inserts a dimension of size 1 at <see cref="Dim"/>, as <c>torch.unsqueeze</c>: frames (N, T, F) → (N, 1, T, F), a
/// one-channel image a <see cref="Conv2d"/> front end reads with time down its rows. A negative dim counts from the
/// end of the output, as PyTorch's.
/// </summary>
public sealed class Unsqueeze(int dim) : Module
{
    public int Dim { get; } = dim;

    public override Tensor Forward(Tensor x)
    {
        int rank = x.Rank + 1;
        if (Dim < -rank || Dim >= rank)
            throw new ArgumentException($"{Label}: dimension {Dim} is outside the {rank} dimensions of the output for input {ShapeUtil.Format(x.Shape)}.");
        int at = Dim < 0 ? Dim + rank : Dim;
        var shape = new int[rank];
        for (int i = 0, j = 0; i < rank; i++) shape[i] = i == at ? 1 : x.Shape[j++];
        return Functional.Reshape(x, shape);
    }

    protected override bool DescriptionIsFixed => true;

    public override string Describe() => $"Unsqueeze(dim={Dim})";
}
