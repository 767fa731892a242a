namespace Loom;

/// <summary>Small helpers for shapes: sizes, strides, formatting, dimension normalisation.</summary>
public static class ShapeUtil
{
    public static long SizeOf(ReadOnlySpan<int> shape)
    {
        long size = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"Negative dimension in shape {Format(shape)}.");
            // Checked: (65536, 65536, 65536, 65536) wraps to 0 in a long, and a file claiming it would pass as empty.
            try { size = checked(size * d); }
            catch (OverflowException) { throw new ArgumentException($"Shape {Format(shape)} has more elements than a 64-bit count holds."); }
        }
        return size;
    }

    public static int CheckedSize(ReadOnlySpan<int> shape)
    {
        long size = SizeOf(shape);
        if (size > Array.MaxLength) throw new ArgumentException($"Shape {Format(shape)} has {size} elements, more than one array can hold.");
        return (int)size;
    }

    public static string Format(ReadOnlySpan<int> shape) => "(" + string.Join(", ", shape.ToArray()) + ")";

    public static int NormalizeDim(int dim, int rank)
    {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) throw new ArgumentOutOfRangeException(nameof(dim), $"Dimension {dim} is out of range for a tensor of rank {rank}.");
        return d;
    }

    public static int[] Strides(ReadOnlySpan<int> shape)
    {
        var strides = new int[shape.Length];
        int s = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { strides[i] = s; s *= shape[i]; }
        return strides;
    }

    public static int Offset(ReadOnlySpan<int> shape, ReadOnlySpan<int> index)
    {
        if (index.Length != shape.Length) throw new ArgumentException($"Index of rank {index.Length} for a tensor of shape {Format(shape)}.");
        int offset = 0;
        for (int i = 0; i < shape.Length; i++)
        {
            if ((uint)index[i] >= (uint)shape[i]) throw new IndexOutOfRangeException($"Index {index[i]} out of range for dimension {i} of shape {Format(shape)}.");
            offset = offset * shape[i] + index[i];
        }
        return offset;
    }

    public static bool SameShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);

    /// <summary>Resolves one -1 in a requested shape against a total size, as PyTorch's view does.</summary>
    public static int[] Infer(ReadOnlySpan<int> requested, int size, string what)
    {
        var shape = requested.ToArray();
        int unknown = -1;
        long known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1)
            {
                if (unknown >= 0) throw new ArgumentException($"{what}: only one dimension can be -1 in {Format(requested)}.");
                unknown = i;
            }
            else known *= shape[i];
        }
        if (unknown >= 0)
        {
            if (known == 0 || size % known != 0) throw new ArgumentException($"{what}: cannot view {size} elements as {Format(requested)}.");
            shape[unknown] = (int)(size / known);
        }
        else if (known != size) throw new ArgumentException($"{what}: cannot view {size} elements as {Format(requested)}.");
        return shape;
    }
}
