using System.Buffers;

namespace Loom.Speech;

/// <summary>Levenshtein distance: the fewest insertions, deletions and substitutions that turn one sequence into another.</summary>
public static class EditDistance
{
    /// <summary>
    /// The distance between <paramref name="reference"/> and <paramref name="hypothesis"/>, by the two-row
    /// dynamic programme: O(|r|·|h|) time, O(|h|) memory (on the stack for short sequences), nothing per cell.
    /// </summary>
    public static int Compute<T>(ReadOnlySpan<T> reference, ReadOnlySpan<T> hypothesis) where T : IEquatable<T>
    {
        if (reference.IsEmpty) return hypothesis.Length;
        if (hypothesis.IsEmpty) return reference.Length;
        int m = hypothesis.Length + 1;
        int[]? rented = null;
        Span<int> rows = 2 * m <= 512 ? stackalloc int[2 * m] : (rented = ArrayPool<int>.Shared.Rent(2 * m)).AsSpan(0, 2 * m);
        try
        {
            var prev = rows[..m];
            var cur = rows.Slice(m, m);
            for (int j = 0; j < m; j++) prev[j] = j;
            for (int i = 1; i <= reference.Length; i++)
            {
                cur[0] = i;
                T r = reference[i - 1];
                for (int j = 1; j < m; j++)
                {
                    int substitute = prev[j - 1] + (r.Equals(hypothesis[j - 1]) ? 0 : 1);
                    cur[j] = Math.Min(substitute, Math.Min(prev[j], cur[j - 1]) + 1);
                }
                var swap = prev; prev = cur; cur = swap;
            }
            return prev[m - 1];
        }
        finally
        {
            if (rented is not null) ArrayPool<int>.Shared.Return(rented);
        }
    }
}
