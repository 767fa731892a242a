namespace Loom.Data;

/// <summary>One mini-batch: inputs (N, …) and targets (N) (class indices as whole-number floats).</summary>
public readonly record struct Batch(Tensor Inputs, Tensor Targets)
{
    public int Count => Inputs.Shape[0];
}
