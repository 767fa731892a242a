namespace Loom.Nn;

/// <summary>
/// Runs several branches on the same input and joins their outputs along <see cref="Dim"/> (a parallel
/// container, as Keras' <c>concatenate</c> over branches or PyTorch's <c>torch.cat([b(x) for b in branches], dim)</c>).
/// Kim's TextCNN is one: for each window width a Conv1d → ReLU → max over time branch, (N, E, T) → (N, maps),
/// joined into (N, widths·maps). Branches are named "0", "1", … (state-dict names <c>2.0.0.weight</c>: layer 2,
/// branch 0, its first layer), as an <c>nn.ModuleList</c> of <c>nn.Sequential</c>s.
/// </summary>
public sealed class Concat : Module
{
    private readonly List<Module> _branches = [];

    public Concat(int dim, params Module[] branches)
    {
        ArgumentNullException.ThrowIfNull(branches);
        if (branches.Length == 0) throw new ArgumentException("Concat: give at least one branch.");
        Dim = dim;
        for (int i = 0; i < branches.Length; i++)
            _branches.Add(RegisterModule(i.ToString(System.Globalization.CultureInfo.InvariantCulture), branches[i]));
    }

    /// <summary>The dimension the branch outputs are joined along (1: features of (N, F) or channels of (N, C, L)).</summary>
    public int Dim { get; }

    public IReadOnlyList<Module> Branches => _branches;

    /// <summary>x: whatever every branch takes → the branches' outputs joined along <see cref="Dim"/>.</summary>
    public override Tensor Forward(Tensor x) => Forward(x, null);

    /// <summary>As <see cref="Forward(Tensor)"/>, the lengths passed to every branch.</summary>
    public override Tensor Forward(Tensor x, int[]? lengths)
    {
        var outputs = new Tensor[_branches.Count];
        for (int i = 0; i < outputs.Length; i++) outputs[i] = _branches[i].Call(x, lengths);
        return outputs.Length == 1 ? outputs[0] : Functional.Concat(outputs, Dim, Label);
    }

    /// <summary>The first branch's: branches joined along channels or features keep one steps axis between them.</summary>
    public override int[] OutputLengths(int[] lengths) => _branches.Count == 0 ? lengths : _branches[0].OutputLengths(lengths);

    public override string Describe() => $"Concat(dim={Dim}, branches={_branches.Count})";
}
