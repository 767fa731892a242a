namespace Loom.Data;

/// <summary>
/// The contents of one IDX file: its dimensions and its unsigned-byte elements, row-major.
/// Images are dims (N, rows, cols); labels are dims (N).
/// </summary>
/// <param name="Dims">The dimensions from the file header, e.g. (60000, 28, 28).</param>
/// <param name="Data">The elements; length = product of <paramref name="Dims"/>.</param>
public sealed record IdxArray(int[] Dims, byte[] Data)
{
    /// <summary>Size of the first dimension: the number of images or labels.</summary>
    public int Count => Dims.Length == 0 ? 0 : Dims[0];
}
