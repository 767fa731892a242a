namespace Loom.Text;

/// <summary>A sentence with one tag (part of speech) per word; <paramref name="Words"/> and <paramref name="Tags"/> have the same length.</summary>
/// <param name="Words">The words as written in the corpus (case kept).</param>
/// <param name="Tags">The tag of each word, e.g. "nn", "vbd", "." (full or base tags, as read).</param>
public sealed record TaggedSentence(string[] Words, string[] Tags)
{
    /// <summary>Number of words.</summary>
    public int Length => Words.Length;
}
