namespace Loom.Data;

/// <summary>
/// One mini-batch: inputs (N, …) and targets (N, …) (class indices as whole-number floats), and for a data set of
/// variable-length sequences (<see cref="IVariableLengthDataset"/>) each sample's valid steps, (N); null otherwise.
/// </summary>
public readonly record struct Batch(Tensor Inputs, Tensor Targets, int[]? Lengths = null)
{
    public int Count => Inputs.Shape[0];
}
