using Loom.Data;

namespace Loom.Text;

/// <summary>
/// Token-id sequences with one class label each (document classification): sample (maxLength) ids as
/// floats, padded with <see cref="Vocabulary.Pad"/> (0); target () the label.
/// </summary>
/// <remarks>
/// A sequence longer than maxLength T keeps its head and its tail: the first T − ⌊T/4⌋ tokens and the
/// last ⌊T/4⌋. The beginning of a document is usually the most telling part, but its end often holds
/// what marks its kind (a mailing list's footer, an unsubscribe notice), and head plus tail beats the
/// head alone for long documents (Sun et al. 2019, "How to fine-tune BERT for text classification");
/// the middle would cost time and memory. An empty sequence is
/// stored as a single <see cref="Vocabulary.Unk"/> so that every sample has at least one step
/// (<see cref="LengthOf"/> ≥ 1) for a recurrent layer to read. The sequences are copied.
/// </remarks>
public sealed class TokenSequenceDataset : IVariableLengthDataset
{
    private readonly int[] _ids;       // all kept tokens, back to back
    private readonly int[] _offsets;   // sequence i is _ids[_offsets[i] .. _offsets[i + 1])
    private readonly int[] _labels;

    /// <param name="sequences">Token ids of each document (each id ≥ 0).</param>
    /// <param name="labels">Class of each document, 0..classCount−1.</param>
    /// <param name="maxLength">Steps per sample, T ≥ 1: longer sequences keep their first T − ⌊T/4⌋ and last ⌊T/4⌋ tokens.</param>
    /// <param name="classCount">Number of classes.</param>
    public TokenSequenceDataset(IReadOnlyList<int[]> sequences, IReadOnlyList<int> labels, int maxLength, int classCount)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        if (sequences.Count != labels.Count)
            throw new ArgumentException($"{sequences.Count} sequences but {labels.Count} labels.", nameof(labels));
        int n = sequences.Count;
        _offsets = new int[n + 1];
        _labels = new int[n];
        long total = 0;
        for (int i = 0; i < n; i++)
        {
            ArgumentNullException.ThrowIfNull(sequences[i], $"{nameof(sequences)}[{i}]");
            total += Math.Max(1, Math.Min(sequences[i].Length, maxLength));
        }
        if (total > Array.MaxLength) throw new ArgumentException($"{total} tokens do not fit in one array; use a smaller maxLength.", nameof(sequences));
        _ids = new int[total];
        int at = 0;
        for (int i = 0; i < n; i++)
        {
            int label = labels[i];
            if ((uint)label >= (uint)classCount)
                throw new ArgumentOutOfRangeException(nameof(labels), label, $"Label {label} of sequence {i} is not a class in 0..{classCount - 1}.");
            _labels[i] = label;
            var sequence = sequences[i];
            int length = Math.Min(sequence.Length, maxLength);
            if (length == 0)
            {
                _ids[at++] = Vocabulary.Unk;
            }
            else
            {
                int tail = sequence.Length > maxLength ? maxLength / 4 : 0, head = length - tail;
                for (int k = 0; k < length; k++)
                {
                    int t = k < head ? k : sequence.Length - length + k;
                    int id = sequence[t];
                    if (id < 0) throw new ArgumentOutOfRangeException(nameof(sequences), id, $"Token id {id} at step {t} of sequence {i} is negative.");
                    _ids[at++] = id;
                }
            }
            _offsets[i + 1] = at;
        }
        MaxLength = maxLength;
        ClassCount = classCount;
    }

    /// <summary>Steps per sample, T.</summary>
    public int MaxLength { get; }

    /// <inheritdoc/>
    public int Count => _labels.Length;

    /// <summary>(T): token ids.</summary>
    public int[] SampleShape => [MaxLength];

    /// <summary>(): one class index.</summary>
    public int[] TargetShape => [];

    /// <inheritdoc/>
    public int ClassCount { get; }

    /// <summary>The label of sample <paramref name="index"/>.</summary>
    public int LabelOf(int index) => _labels[index];

    /// <summary>Kept tokens of sample <paramref name="index"/> (1..T).</summary>
    public int LengthOf(int index) => _offsets[index + 1] - _offsets[index];

    /// <summary>The kept token ids of sample <paramref name="index"/>, without padding.</summary>
    public ReadOnlySpan<int> Tokens(int index) => _ids.AsSpan(_offsets[index], LengthOf(index));

    /// <summary>Copies the ids (padded with 0) into <paramref name="features"/> (T) and the label into <paramref name="target"/> (1).</summary>
    public void Get(int index, Span<float> features, Span<float> target)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"Sample index must be in 0..{Count - 1}.");
        var tokens = Tokens(index);
        for (int t = 0; t < tokens.Length; t++) features[t] = tokens[t];
        features[tokens.Length..MaxLength].Clear();
        target[0] = _labels[index];
    }
}
