using Loom.Speech;
using Xunit;

namespace Loom.Tests.Speech;

/// <summary>Greedy and prefix beam decoding: hand-worked cases and the brute-force twin (every alignment enumerated).</summary>
public class DecodingTests
{
    private static float[] Log(params float[] p) => p.Select(v => MathF.Log(v)).ToArray();

    [Fact]
    public void GreedyMergesRepeatsAndDropsBlanks()
    {
        // Frame argmaxes 1 1 0 1 2 2 0 → 1 (merged) | blank | 1 | 2 (merged) → [1, 1, 2].
        int[] best = [1, 1, 0, 1, 2, 2, 0];
        var lp = new float[best.Length * 3];
        for (int t = 0; t < best.Length; t++)
            for (int c = 0; c < 3; c++) lp[t * 3 + c] = c == best[t] ? -0.1f : -3f;
        Assert.Equal([1, 1, 2], GreedyDecoder.Decode(lp, best.Length, 3));
        Assert.Equal([1], GreedyDecoder.Decode(lp, 3, 3)); // only the first 3 frames
        Assert.Equal([1, 0, 1, 0], GreedyDecoder.Decode(lp, best.Length, 3, blank: 2)); // blank 2: class 0 is a label
    }

    [Fact]
    public void GreedyReadsOneSampleOfABatchByStride()
    {
        // (T=2, N=2, C=2): sample 1's frames are at offsets 2 and 6.
        float[] lp = [0f, -1f, -1f, 0f, 0f, -1f, -1f, 0f];
        Assert.Equal([1], GreedyDecoder.Decode(lp.AsSpan(2), 2, 2, stride: 4));
        Assert.Empty(GreedyDecoder.Decode(lp, 2, 2, stride: 4));
    }

    [Fact]
    public void BeamFindsTheLabellingThatBestPathMisses()
    {
        // Two frames, p(blank) = 0.6, p(a) = 0.4 each: best path is "" (0.36) but p("a") = 0.16 + 0.24 + 0.24 = 0.64.
        var lp = Log(0.6f, 0.4f, 0.6f, 0.4f);
        Assert.Empty(GreedyDecoder.Decode(lp, 2, 2));
        var (labels, logProb) = new PrefixBeamSearch(4).Decode(lp, 2, 2);
        Assert.Equal([1], labels);
        Assert.Equal(Math.Log(0.64), logProb, 5);
    }

    [Fact]
    public void BeamCountsARepeatOnlyAcrossABlank()
    {
        // p(a a) needs a blank between: frames (a, blank, a) with near-certain probabilities.
        var lp = Log(0.01f, 0.99f, 0.98f, 0.02f, 0.01f, 0.99f);
        var (labels, _) = new PrefixBeamSearch(8).Decode(lp, 3, 2);
        Assert.Equal([1, 1], labels);
        var (merged, _) = new PrefixBeamSearch(8).Decode(Log(0.01f, 0.99f, 0.01f, 0.99f), 2, 2);
        Assert.Equal([1], merged);
    }

    public static TheoryData<int, int, int, int> Tiny => new()
    {
        { 4, 3, 0, 1 }, { 5, 3, 0, 2 }, { 5, 4, 0, 3 }, { 4, 4, 2, 4 }, { 6, 3, 1, 5 }, { 3, 5, 4, 6 },
    };

    [Theory, MemberData(nameof(Tiny))]
    public void WideBeamFindsTheMostProbableLabelling(int t, int c, int blank, int seed)
    {
        var lp = Functional.LogSoftmax(Tensor.Normal(0f, 1.2f, [t, c], new Rng((ulong)seed)), 1).Data;
        var all = CtcBruteForce.LabellingProbabilities(lp, t, c, blank);
        var best = all.MaxBy(kv => kv.Value);
        var (labels, logProb) = new PrefixBeamSearch(2000, blank).Decode(lp, t, c);
        Assert.Equal(best.Key, CtcBruteForce.Key(labels));
        Assert.Equal(Math.Log(best.Value), logProb, 5);
        // A narrow beam drops alignments with the prefixes it prunes: what it reports is a lower bound.
        var (narrow, narrowLogProb) = new PrefixBeamSearch(2, blank).Decode(lp, t, c);
        Assert.True(narrowLogProb <= Math.Log(all[CtcBruteForce.Key(narrow)]) + 1e-9);
        Assert.True(narrowLogProb > double.NegativeInfinity);
    }

    [Theory]
    [InlineData(5, 1)]
    [InlineData(6, 2)]
    [InlineData(6, 3)]
    public void WordListBeamFindsTheMostProbableListedLabelling(int t, int seed)
    {
        // Classes: 0 blank, 1 space, 2 'a', 3 'b'. Words: "ab", "b", "ba".
        var trie = new WordTrie(space: 1);
        trie.Add([2, 3]); trie.Add([3]); trie.Add([3, 2]);
        var lp = Functional.LogSoftmax(Tensor.Normal(0f, 1.5f, [t, 4], new Rng((ulong)(100 + seed))), 1).Data;
        var allowed = CtcBruteForce.LabellingProbabilities(lp, t, 4, 0)
            .Where(kv => Listed(kv.Key, ["2,3", "3", "3,2"])).ToList();
        var best = allowed.MaxBy(kv => kv.Value);
        var (labels, logProb) = new PrefixBeamSearch(2000, lexicon: trie).Decode(lp, t, 4);
        Assert.Equal(best.Key, CtcBruteForce.Key(labels));
        Assert.Equal(Math.Log(best.Value), logProb, 5);
    }

    /// <summary>Whether a labelling is empty or words of the list separated by single spaces (label 1).</summary>
    private static bool Listed(string key, string[] words)
    {
        if (key.Length == 0) return true;
        var parts = ("," + key + ",").Split(",1,");
        return parts.All(p => words.Contains(p.Trim(',')));
    }

    [Fact]
    public void WordTrieFromCharacters()
    {
        string alphabet = "_ abc";
        var trie = WordTrie.FromWords(["ab", "cab", "ab"], ch => alphabet.IndexOf(ch), space: 1);
        Assert.Equal(2, trie.Words);
        int s = trie.Next(WordTrie.Root, 2);
        Assert.False(trie.CanEnd(s, empty: false));
        s = trie.Next(s, 3);
        Assert.True(trie.CanEnd(s, empty: false));
        Assert.Equal(WordTrie.Root, trie.Next(s, 1));
        Assert.Equal(WordTrie.Rejected, trie.Next(WordTrie.Root, 1)); // no leading space
        Assert.Equal(WordTrie.Rejected, trie.Next(WordTrie.Root, 3)); // no word starts with b
        Assert.Throws<ArgumentException>(() => trie.Add([2, 1]));
    }

    [Fact]
    public void BadArgumentsGetClearErrors()
    {
        var lp = new float[6];
        Assert.Contains("3 frames of 3 classes", Assert.Throws<ArgumentException>(() => GreedyDecoder.Decode(lp, 3, 3)).Message);
        Assert.Contains("blank 3 is outside", Assert.Throws<ArgumentOutOfRangeException>(() => GreedyDecoder.Decode(lp, 2, 3, blank: 3)).Message);
        Assert.Contains("beam width", Assert.Throws<ArgumentOutOfRangeException>(() => new PrefixBeamSearch(0)).Message);
        Assert.Contains("is the blank", Assert.Throws<ArgumentException>(() => new PrefixBeamSearch(4, 1, new WordTrie(1))).Message);
    }
}
