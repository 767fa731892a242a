using Loom.Data;

namespace Loom.Text;

/// <summary>
/// A token stream cut for stateful truncated back-propagation through time (the batching of
/// PyTorch's word_language_model <c>batchify</c>): sample (k) token ids, target (k) the next ids.
/// </summary>
/// <remarks>
/// <para><b>Read it unshuffled, exactly <see cref="BatchSize"/> samples per batch</b> (<c>new DataLoader(stream,
/// stream.BatchSize, shuffle: false)</c>; the count is a multiple of the batch size, so no batch is short).
/// Then row i of batch b+1 continues row i of batch b, and a recurrent model may carry its hidden state
/// from one batch to the next (detached), seeing every stream as one long text. Shuffling, or any other
/// batch size, silently breaks that continuity.</para>
/// <para>The ids are cut into B = batchSize parallel streams of L = ⌊(N − 1) / B⌋ tokens each (the last
/// tokens are dropped; one extra token is needed for the last target). Each stream gives C = ⌊L / k⌋
/// chunks of k = sequenceLength tokens (a shorter rest is dropped). Sample s = b·B + i is chunk b of
/// stream i: inputs ids[i·L + b·k …+k), targets ids[i·L + b·k + 1 …+k).</para>
/// </remarks>
public sealed class LanguageModelStream : IDataset
{
    private readonly int[] _ids;

    /// <param name="ids">The token ids of the whole text, each in 0..vocabularySize−1 (copied).</param>
    /// <param name="batchSize">Parallel streams B, the batch size to read with.</param>
    /// <param name="sequenceLength">Tokens per sample k (steps of back-propagation).</param>
    /// <param name="vocabularySize">Number of token ids (the classes of the targets).</param>
    /// <exception cref="ArgumentException">The text is too short for one chunk of k tokens in each of B streams; the message gives the sizes.</exception>
    public LanguageModelStream(int[] ids, int batchSize, int sequenceLength, int vocabularySize)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 1);
        int streamLength = Math.Max(0, ids.Length - 1) / batchSize;
        int chunks = streamLength / sequenceLength;
        if (chunks == 0)
            throw new ArgumentException(
                $"A text of {ids.Length} tokens is too short for {batchSize} streams of at least one chunk of {sequenceLength} tokens " +
                $"(needs at least {(long)batchSize * sequenceLength + 1} tokens); use a smaller batch size or sequence length.", nameof(ids));
        int used = batchSize * streamLength + 1;
        for (int i = 0; i < used; i++)
        {
            if ((uint)ids[i] >= (uint)vocabularySize)
                throw new ArgumentOutOfRangeException(nameof(ids), ids[i], $"Token id {ids[i]} at position {i} is not in 0..{vocabularySize - 1}.");
        }
        _ids = ids[..used];
        BatchSize = batchSize;
        SequenceLength = sequenceLength;
        StreamLength = streamLength;
        ChunkCount = chunks;
        ClassCount = vocabularySize;
    }

    /// <summary>Parallel streams B: read with exactly this many samples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Tokens per sample, k.</summary>
    public int SequenceLength { get; }

    /// <summary>Tokens per stream, L.</summary>
    public int StreamLength { get; }

    /// <summary>Chunks per stream, C = batches per epoch.</summary>
    public int ChunkCount { get; }

    /// <summary>B·C samples.</summary>
    public int Count => BatchSize * ChunkCount;

    /// <summary>(k): token ids.</summary>
    public int[] SampleShape => [SequenceLength];

    /// <summary>(k): the next token id at each step.</summary>
    public int[] TargetShape => [SequenceLength];

    /// <summary>Vocabulary size.</summary>
    public int ClassCount { get; }

    /// <summary>Where sample <paramref name="index"/>'s inputs start in the id sequence: i·L + b·k for s = b·B + i.</summary>
    public int StartOf(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"Sample index must be in 0..{Count - 1}.");
        int chunk = index / BatchSize, stream = index % BatchSize;
        return stream * StreamLength + chunk * SequenceLength;
    }

    /// <summary>Copies ids[start …+k) into <paramref name="features"/> and ids[start+1 …+k) into <paramref name="target"/>.</summary>
    public void Get(int index, Span<float> features, Span<float> target)
    {
        int start = StartOf(index);
        int k = SequenceLength;
        for (int t = 0; t < k; t++)
        {
            features[t] = _ids[start + t];
            target[t] = _ids[start + t + 1];
        }
    }
}
