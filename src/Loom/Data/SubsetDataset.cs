namespace Loom.Data;

/// <summary>
/// The samples of another data set at given indices, without copying them — e.g. a validation split
/// taken from a training set. <see cref="Of"/> keeps variable lengths when the inner set has them.
/// </summary>
public class SubsetDataset : IDataset
{
    private readonly IDataset _inner;
    private readonly int[] _indices;

    /// <summary>A view of <paramref name="inner"/>'s samples at <paramref name="indices"/>, variable-length when the inner set is.</summary>
    public static SubsetDataset Of(IDataset inner, IReadOnlyList<int> indices) =>
        inner is IVariableLengthDataset ? new VariableLength(inner, indices) : new SubsetDataset(inner, indices);

    private SubsetDataset(IDataset inner, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(indices);
        _inner = inner;
        _indices = [.. indices];
        foreach (int i in _indices)
            if ((uint)i >= (uint)inner.Count) throw new ArgumentOutOfRangeException(nameof(indices), i, $"Index {i} is outside the {inner.Count} samples.");
    }

    /// <summary>
    /// Splits <paramref name="data"/> at random (seeded) into a training part and a validation part holding
    /// <paramref name="fraction"/> of the samples (at least one each).
    /// </summary>
    public static (SubsetDataset Train, SubsetDataset Validation) Split(IDataset data, double fraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The validation fraction must be between 0 and 1.");
        if (data.Count < 2) throw new ArgumentException($"A data set of {data.Count} samples cannot be split.", nameof(data));
        int validation = Math.Clamp((int)Math.Round(data.Count * fraction), 1, data.Count - 1);
        var order = new Rng(seed).Permutation(data.Count);
        var held = order[..validation];
        var kept = order[validation..];
        Array.Sort(held);
        Array.Sort(kept);
        return (Of(data, kept), Of(data, held));
    }

    public int Count => _indices.Length;
    public int[] SampleShape => _inner.SampleShape;
    public int[] TargetShape => _inner.TargetShape;
    public int ClassCount => _inner.ClassCount;

    public void Get(int index, Span<float> features, Span<float> target) => _inner.Get(_indices[index], features, target);

    private sealed class VariableLength(IDataset inner, IReadOnlyList<int> indices) : SubsetDataset(inner, indices), IVariableLengthDataset
    {
        public int LengthOf(int index) => ((IVariableLengthDataset)_inner).LengthOf(_indices[index]);
    }
}
