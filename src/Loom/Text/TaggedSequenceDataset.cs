using Loom.Data;

namespace Loom.Text;

/// <summary>
/// Sentences of word ids with one tag id per word (sequence tagging): sample (maxLength) word ids as
/// floats padded with <see cref="Vocabulary.Pad"/> (0); target (maxLength) tag ids, with
/// <see cref="IDataset.IgnoreTarget"/> (−100) at padded steps so that losses and accuracy skip them.
/// </summary>
/// <remarks>
/// A sentence longer than maxLength is cut into consecutive pieces of at most maxLength words, each
/// its own sample, so every word is tagged and counted exactly once (a piece loses the context of the
/// others, which costs a little accuracy at the cuts and nothing else). Empty sentences are skipped.
/// </remarks>
public sealed class TaggedSequenceDataset : IVariableLengthDataset
{
    private readonly int[] _words;
    private readonly int[] _tags;
    private readonly int[] _offsets;   // piece i is [_offsets[i], _offsets[i + 1]) in _words and _tags
    private readonly int[] _sentence;  // the sentence each piece comes from

    /// <param name="words">Word ids of each sentence (each ≥ 0).</param>
    /// <param name="tags">Tag ids of each sentence, one per word, in 0..tagCount−1.</param>
    /// <param name="maxLength">Steps per sample, T ≥ 1.</param>
    /// <param name="tagCount">Number of tags (the classes of the targets).</param>
    public TaggedSequenceDataset(IReadOnlyList<int[]> words, IReadOnlyList<int[]> tags, int maxLength, int tagCount)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(tagCount, 1);
        if (words.Count != tags.Count)
            throw new ArgumentException($"{words.Count} word sequences but {tags.Count} tag sequences.", nameof(tags));
        long total = 0;
        int pieces = 0;
        for (int s = 0; s < words.Count; s++)
        {
            ArgumentNullException.ThrowIfNull(words[s], $"{nameof(words)}[{s}]");
            ArgumentNullException.ThrowIfNull(tags[s], $"{nameof(tags)}[{s}]");
            if (words[s].Length != tags[s].Length)
                throw new ArgumentException($"Sentence {s} has {words[s].Length} words but {tags[s].Length} tags.", nameof(tags));
            total += words[s].Length;
            pieces += (words[s].Length + maxLength - 1) / maxLength;
        }
        if (total > Array.MaxLength) throw new ArgumentException($"{total} words do not fit in one array.", nameof(words));
        _words = new int[total];
        _tags = new int[total];
        _offsets = new int[pieces + 1];
        _sentence = new int[pieces];
        int at = 0, piece = 0;
        for (int s = 0; s < words.Count; s++)
        {
            var w = words[s];
            var g = tags[s];
            for (int t = 0; t < w.Length; t++)
            {
                if (w[t] < 0) throw new ArgumentOutOfRangeException(nameof(words), w[t], $"Word id {w[t]} at step {t} of sentence {s} is negative.");
                if ((uint)g[t] >= (uint)tagCount)
                    throw new ArgumentOutOfRangeException(nameof(tags), g[t], $"Tag id {g[t]} at step {t} of sentence {s} is not in 0..{tagCount - 1}.");
                if (t % maxLength == 0)
                {
                    _sentence[piece] = s;
                    _offsets[piece++] = at;
                }
                _words[at] = w[t];
                _tags[at++] = g[t];
            }
        }
        _offsets[pieces] = at;
        MaxLength = maxLength;
        ClassCount = tagCount;
        SentenceCount = words.Count;
    }

    /// <summary>Steps per sample, T.</summary>
    public int MaxLength { get; }

    /// <summary>Number of samples (sentence pieces).</summary>
    public int Count => _sentence.Length;

    /// <summary>Number of sentences given, empty ones included.</summary>
    public int SentenceCount { get; }

    /// <summary>Number of tagged words over all samples (the denominator of per-token accuracy).</summary>
    public int TokenCount => _words.Length;

    /// <summary>(T): word ids.</summary>
    public int[] SampleShape => [MaxLength];

    /// <summary>(T): tag ids, −100 at padding.</summary>
    public int[] TargetShape => [MaxLength];

    /// <summary>Number of tags.</summary>
    public int ClassCount { get; }

    /// <summary>Words in sample <paramref name="index"/> (1..T).</summary>
    public int LengthOf(int index) => _offsets[index + 1] - _offsets[index];

    /// <summary>The index of the sentence that sample <paramref name="index"/> is (a piece of).</summary>
    public int SentenceOf(int index) => _sentence[index];

    /// <summary>Copies word ids (padded with 0) into <paramref name="features"/> (T) and tag ids (padded with −100) into <paramref name="target"/> (T).</summary>
    public void Get(int index, Span<float> features, Span<float> target)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"Sample index must be in 0..{Count - 1}.");
        int start = _offsets[index], length = LengthOf(index);
        for (int t = 0; t < length; t++)
        {
            features[t] = _words[start + t];
            target[t] = _tags[start + t];
        }
        features[length..MaxLength].Clear();
        target[length..MaxLength].Fill(IDataset.IgnoreTarget);
    }
}
