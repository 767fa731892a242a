namespace Loom.Nn;

/// <summary>
/// Max- or mean-pooling over the valid steps of batch-first sequences, (N, T, F) → (N, F): the pooled
/// summary a sequence classifier reads instead of (or besides) the last state. Padding steps are left out.
/// </summary>
public sealed class SequencePool(SequencePoolMode mode) : Module, ISequenceLayer
{
    public SequencePoolMode Mode { get; } = mode;

    public override Tensor Forward(Tensor x) => Functional.SequencePool(x, null, Mode, Label);

    Tensor ISequenceLayer.Forward(Tensor x, int[]? lengths) => Functional.SequencePool(x, lengths, Mode, Label);

    public override string Describe() => $"SequencePool(mode='{Mode.ToString().ToLowerInvariant()}')";
}
