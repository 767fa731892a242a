namespace Loom.Nn;

/// <summary>
/// A layer over batch-first sequences (N, T, …) that needs each sequence's valid length: padding sits
/// at the end of shorter sequences and must change neither states nor pooled results.
/// <see cref="Sequential"/> finds the lengths from the padding index of its first <see cref="Embedding"/>
/// (as Keras' <c>mask_zero</c>) and passes them to every such layer.
/// </summary>
public interface ISequenceLayer
{
    /// <summary>The layer's output for <paramref name="x"/>; <paramref name="lengths"/> null means every sequence is full.</summary>
    Tensor Forward(Tensor x, int[]? lengths);
}

/// <summary>Sequence lengths read from padded token ids.</summary>
public static class SequenceLengths
{
    /// <summary>
    /// For token ids (N, T): one past each row's last non-padding token, at least 1 (an all-padding row
    /// counts as one padding step, so every sequence has a state). Null when every row is full, so
    /// callers take the faster fixed-length path.
    /// </summary>
    public static int[]? FromPadding(Tensor tokens, int paddingIndex)
    {
        if (tokens.Rank != 2) return null;
        int n = tokens.Shape[0], t = tokens.Shape[1];
        var lengths = new int[n];
        bool anyShort = false;
        float pad = paddingIndex;
        for (int i = 0; i < n; i++)
        {
            var row = tokens.Data.AsSpan(i * t, t);
            int len = t;
            while (len > 1 && row[len - 1] == pad) len--;
            lengths[i] = len;
            anyShort |= len < t;
        }
        return anyShort ? lengths : null;
    }
}
