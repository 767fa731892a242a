namespace Loom.Nn;

/// <summary>
/// Max- or mean-pooling over the valid steps of batch-first sequences, (N, T, F) → (N, F): the pooled
/// summary a sequence classifier reads instead of (or besides) the last state. Padding steps are left out.
/// </summary>
public sealed class SequencePool(SequencePoolMode mode) : Module
{
    public SequencePoolMode Mode { get; } = mode;

    public override Tensor Forward(Tensor x) => Forward(x, null);

    /// <summary>x: (N, T, F), lengths: each sequence's valid steps (null: all T) → (N, F).</summary>
    public override Tensor Forward(Tensor x, int[]? lengths) => Functional.SequencePool(x, lengths, Mode, Label);

    protected override bool DescriptionIsFixed => true;

    public override string Describe() => $"SequencePool(mode='{Mode.ToString().ToLowerInvariant()}')";
}
