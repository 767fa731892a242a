using Loom.Data;
using Loom.Text;
using Xunit;

namespace Loom.Tests.Text;

public sealed class SequenceDatasetTests
{
    private static void AssertSample(IDataset data, int index, float[] features, float[] target)
    {
        var actualFeatures = new float[data.SampleShape.Aggregate(1, (a, b) => a * b)];
        var actualTarget = new float[data.TargetShape.Aggregate(1, (a, b) => a * b)];
        data.Get(index, actualFeatures, actualTarget);
        Assert.Equal(features, actualFeatures);
        Assert.Equal(target, actualTarget);
    }

    [Fact]
    public void TokenSequencesAreTruncatedPaddedAndNeverEmpty()
    {
        var data = new TokenSequenceDataset([[5, 6, 7, 8, 9, 10], [3, 4], []], [1, 0, 2], maxLength: 4, classCount: 3);
        Assert.Equal(3, data.Count);
        Assert.Equal([4], data.SampleShape);
        Assert.Empty(data.TargetShape);
        Assert.Equal(3, data.ClassCount);
        Assert.Equal([4, 2, 1], Enumerable.Range(0, 3).Select(data.LengthOf));

        AssertSample(data, 0, [5f, 6, 7, 10], [1f]);   // head (3 tokens) and tail (⌊4/4⌋ = 1 token)
        AssertSample(data, 1, [3f, 4, 0, 0], [0f]);
        AssertSample(data, 2, [(float)Vocabulary.Unk, 0, 0, 0], [2f]);

        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenSequenceDataset([[1]], [3], 4, 3));
        Assert.Throws<ArgumentException>(() => new TokenSequenceDataset([[1]], [0, 1], 4, 3));
    }

    [Fact]
    public void LongSentencesAreSplitAndPaddingIsIgnored()
    {
        int[][] words = [[10, 11, 12, 13, 14, 15, 16], [20, 21]];
        int[][] tags = [[0, 1, 2, 0, 1, 2, 0], [2, 2]];
        var data = new TaggedSequenceDataset(words, tags, maxLength: 3, tagCount: 3);
        Assert.Equal(4, data.Count);   // 3 + 3 + 1, then 2
        Assert.Equal(9, data.TokenCount);
        Assert.Equal([3], data.SampleShape);
        Assert.Equal([3], data.TargetShape);
        Assert.Equal([3, 3, 1, 2], Enumerable.Range(0, 4).Select(data.LengthOf));
        Assert.Equal([0, 0, 0, 1], Enumerable.Range(0, 4).Select(data.SentenceOf));

        AssertSample(data, 0, [10f, 11, 12], [0f, 1, 2]);
        AssertSample(data, 1, [13f, 14, 15], [0f, 1, 2]);
        AssertSample(data, 2, [16f, 0, 0], [0f, IDataset.IgnoreTarget, IDataset.IgnoreTarget]);
        AssertSample(data, 3, [20f, 21, 0], [2f, 2, IDataset.IgnoreTarget]);

        Assert.Throws<ArgumentException>(() => new TaggedSequenceDataset([[1, 2]], [[0]], 3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TaggedSequenceDataset([[1]], [[3]], 3, 3));
    }

    [Fact]
    public void LanguageModelStreamRowsContinueAcrossBatches()
    {
        // 103 ids, B = 4 streams of L = 25 tokens, k = 6: 4 chunks per stream (the last token of each stream left over).
        int[] ids = Enumerable.Range(0, 103).Select(i => i % 50).ToArray();
        var stream = new LanguageModelStream(ids, batchSize: 4, sequenceLength: 6, vocabularySize: 50);
        Assert.Equal(25, stream.StreamLength);
        Assert.Equal(4, stream.ChunkCount);
        Assert.Equal(16, stream.Count);
        Assert.Equal([6], stream.SampleShape);
        Assert.Equal([6], stream.TargetShape);
        Assert.Equal(50, stream.ClassCount);

        var loader = new DataLoader(stream, stream.BatchSize, shuffle: false, prefetch: 0);
        var batches = loader.Batches(0).ToList();
        Assert.Equal(4, batches.Count);
        for (int b = 0; b < batches.Count; b++)
        {
            var x = batches[b].Inputs;
            var y = batches[b].Targets;
            Assert.Equal([4, 6], x.Shape);
            Assert.Equal([4, 6], y.Shape);
            for (int i = 0; i < 4; i++)
            {
                for (int t = 0; t < 6; t++)
                {
                    int position = i * 25 + b * 6 + t;
                    Assert.Equal(ids[position], x.Data[i * 6 + t]);
                    Assert.Equal(ids[position + 1], y.Data[i * 6 + t]);   // target = next token
                }
                if (b + 1 < batches.Count)   // row i of batch b+1 starts where row i of batch b stopped
                    Assert.Equal(y.Data[i * 6 + 5], batches[b + 1].Inputs.Data[i * 6]);
            }
        }
    }

    [Fact]
    public void LanguageModelStreamTooShortNamesTheSizes()
    {
        var ex = Assert.Throws<ArgumentException>(() => new LanguageModelStream(new int[40], batchSize: 8, sequenceLength: 5, vocabularySize: 2));
        Assert.Contains("40 tokens", ex.Message);
        Assert.Contains("8 streams", ex.Message);
        Assert.Contains("41 tokens", ex.Message);
        Assert.Equal(8, new LanguageModelStream(new int[41], batchSize: 8, sequenceLength: 5, vocabularySize: 2).Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LanguageModelStream([0, 1, 2], 1, 2, vocabularySize: 2));
    }

    [Fact]
    public void LoaderTrimsBatchesToTheLongestMemberAndCoversEverySampleOnce()
    {
        // Sequence i has length 1 + i % 9 and starts with id 100 + i, so each batch row names its sample.
        var sequences = Enumerable.Range(0, 47).Select(i => Enumerable.Range(100 + i, 1 + i % 9).ToArray()).ToList();
        var labels = Enumerable.Range(0, 47).Select(i => i % 2).ToList();
        var data = new TokenSequenceDataset(sequences, labels, maxLength: 12, classCount: 2);
        var loader = new DataLoader(data, batchSize: 5, shuffle: true, seed: 3, prefetch: 0);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            var seen = new List<int>();
            foreach (var batch in loader)
            {
                int steps = batch.Inputs.Shape[1];
                int longest = 0;
                for (int r = 0; r < batch.Count; r++)
                {
                    int sample = (int)batch.Inputs.Data[r * steps] - 100;
                    seen.Add(sample);
                    longest = Math.Max(longest, data.LengthOf(sample));
                    Assert.Equal(sample % 2, batch.Targets.Data[r]);
                    for (int t = 0; t < steps; t++)
                        Assert.Equal(t < data.LengthOf(sample) ? 100 + sample + t : 0, batch.Inputs.Data[r * steps + t]);
                }
                Assert.Equal(longest, steps);
            }
            Assert.Equal(Enumerable.Range(0, 47), seen.Order());
        }
    }
}
