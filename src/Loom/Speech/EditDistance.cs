using System.Buffers;

namespace Loom.Speech;

/// <summary>How one sequence was turned into another: substituted, deleted and inserted elements of an alignment.</summary>
/// <param name="Substitutions">Reference elements replaced by another.</param>
/// <param name="Deletions">Reference elements missing from the hypothesis.</param>
/// <param name="Insertions">Hypothesis elements with no reference element.</param>
public readonly record struct EditCounts(int Substitutions, int Deletions, int Insertions)
{
    /// <summary>The number of edits: the edit distance when the counts come from a minimal alignment.</summary>
    public int Total => Substitutions + Deletions + Insertions;
}

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

    /// <summary>
    /// A minimal alignment of <paramref name="hypothesis"/> to <paramref name="reference"/>, told as its substitutions,
    /// deletions and insertions (their sum is <see cref="Compute{T}"/>'s distance), and each substitution handed to
    /// <paramref name="onSubstitution"/> as (reference element, hypothesis element) when given. Minimal alignments can
    /// split the same distance differently ("a b" → "b c": two substitutions, or a deletion, a match and an insertion);
    /// the trace back from the end prefers a match or substitution, then a deletion, then an insertion. (sclite weighs
    /// a substitution 4 against 3 for the others and so would choose the second; the distance is the same either way.)
    /// Full matrix: O(|r|·|h|) time and memory,
    /// meant for word sequences (a few to a few hundred words).
    /// </summary>
    public static EditCounts Align<T>(ReadOnlySpan<T> reference, ReadOnlySpan<T> hypothesis, Action<T, T>? onSubstitution = null) where T : IEquatable<T>
    {
        int n = reference.Length, m = hypothesis.Length, width = m + 1, cells = (n + 1) * width;
        int[]? rented = null;
        Span<int> d = cells <= 1024 ? stackalloc int[cells] : (rented = ArrayPool<int>.Shared.Rent(cells)).AsSpan(0, cells);
        try
        {
            for (int j = 0; j <= m; j++) d[j] = j;
            for (int i = 1; i <= n; i++)
            {
                int row = i * width, above = row - width;
                d[row] = i;
                T r = reference[i - 1];
                for (int j = 1; j <= m; j++)
                {
                    int substitute = d[above + j - 1] + (r.Equals(hypothesis[j - 1]) ? 0 : 1);
                    d[row + j] = Math.Min(substitute, Math.Min(d[above + j], d[row + j - 1]) + 1);
                }
            }
            int substitutions = 0, deletions = 0, insertions = 0;
            for (int i = n, j = m; i > 0 || j > 0;)
            {
                int here = d[i * width + j];
                if (i > 0 && j > 0)
                {
                    bool same = reference[i - 1].Equals(hypothesis[j - 1]);
                    if (d[(i - 1) * width + j - 1] + (same ? 0 : 1) == here)
                    {
                        if (!same)
                        {
                            substitutions++;
                            onSubstitution?.Invoke(reference[i - 1], hypothesis[j - 1]);
                        }
                        i--; j--;
                        continue;
                    }
                }
                if (i > 0 && d[(i - 1) * width + j] + 1 == here) { deletions++; i--; }
                else { insertions++; j--; }
            }
            return new EditCounts(substitutions, deletions, insertions);
        }
        finally
        {
            if (rented is not null) ArrayPool<int>.Shared.Return(rented);
        }
    }
}
