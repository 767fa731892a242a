using Loom.Speech;
using Xunit;

namespace Loom.Tests.Speech;

/// <summary>Edit distance (against a full-matrix twin) and corpus CER/WER.</summary>
public class ErrorRateTests
{
    [Theory]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    [InlineData("abc", "", 3)]
    [InlineData("flaw", "lawn", 2)]
    [InlineData("same", "same", 0)]
    public void HandWorkedDistances(string a, string b, int expected) =>
        Assert.Equal(expected, EditDistance.Compute(a.AsSpan(), b.AsSpan()));

    [Fact]
    public void MatchesTheFullMatrixTwinOnRandomAndLongSequences()
    {
        var rng = new Random(7);
        foreach (var (n, m) in new[] { (1, 1), (3, 7), (17, 5), (40, 40), (300, 257), (0, 9) })
        {
            var a = Enumerable.Range(0, n).Select(_ => rng.Next(4)).ToArray();
            var b = Enumerable.Range(0, m).Select(_ => rng.Next(4)).ToArray();
            Assert.Equal(FullMatrix(a, b), EditDistance.Compute<int>(a, b));
        }
    }

    [Theory]
    [InlineData("yes no up", "yes go up", 1, 0, 0)]
    [InlineData("yes no up", "yes up", 0, 1, 0)]
    [InlineData("yes up", "yes no up", 0, 0, 1)]
    [InlineData("one two", "", 0, 2, 0)]
    [InlineData("", "one two", 0, 0, 2)]
    [InlineData("a b", "b c", 2, 0, 0)]                  // ties: substitutions preferred over a deletion and an insertion
    [InlineData("left right stop", "right stop go", 0, 1, 1)]
    [InlineData("left right stop", "left right stop", 0, 0, 0)]
    public void AlignmentsCountEachKindOfEdit(string said, string heard, int s, int d, int i)
    {
        var counts = EditDistance.Align<string>(Words(said), Words(heard));
        Assert.Equal(new EditCounts(s, d, i), counts);
    }

    [Fact]
    public void AlignmentTotalsAreTheDistanceAndReplayTheEdits()
    {
        // Random word sequences over a small alphabet (many ties): the counts sum to the distance, and lengths
        // agree: |h| = |r| - deletions + insertions; the substitutions handed out are pairs of differing words.
        var rng = new Random(11);
        foreach (var (n, m) in new[] { (1, 1), (3, 7), (17, 5), (6, 6), (40, 33), (0, 4), (5, 0), (120, 100) })
        {
            var a = Enumerable.Range(0, n).Select(_ => rng.Next(4)).ToArray();
            var b = Enumerable.Range(0, m).Select(_ => rng.Next(4)).ToArray();
            int handed = 0;
            var counts = EditDistance.Align<int>(a, b, (said, heard) => { Assert.NotEqual(said, heard); handed++; });
            Assert.Equal(FullMatrix(a, b), counts.Total);
            Assert.Equal(m, n - counts.Deletions + counts.Insertions);
            Assert.Equal(counts.Substitutions, handed);
        }
    }

    [Fact]
    public void CorpusRatesSplitWordErrorsAndTallySubstitutions()
    {
        var rates = new ErrorRates();
        rates.Add("turn on the light", "nine one the light"); // 2 substitutions
        rates.Add("turn left", "nine left go");               // 1 substitution, 1 insertion
        var other = new ErrorRates();
        other.Add("on off", "one");                           // 1 substitution (on→one) and 1 deletion, or off→one and a deletion of on
        rates.Add(other);
        Assert.Equal((4L, 1L, 1L), (rates.WordSubstitutions, rates.WordDeletions, rates.WordInsertions));
        Assert.Equal(rates.WordEdits, rates.WordSubstitutions + rates.WordDeletions + rates.WordInsertions);
        var top = rates.TopSubstitutions(2);
        Assert.Equal(("turn", "nine", 2L), top[0]);
        Assert.Equal(2, top.Count);
        Assert.Equal(4, rates.TopSubstitutions(10).Sum(t => t.Count));
        Assert.Equal(4.0, rates.ToMetrics()["word_substitutions"]);
        Assert.Contains("4 substituted, 1 deleted, 1 inserted", rates.ToString());
    }

    private static string[] Words(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static int FullMatrix(int[] a, int[] b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }

    [Fact]
    public void CorpusRatesSumEditsOverReferenceLengths()
    {
        var rates = new ErrorRates();
        Assert.True(double.IsNaN(rates.Cer));
        rates.Add("yes no", "yes go");   // 1 char of 6, 1 word of 2
        rates.Add("up", "up");           // 0 of 2, 0 of 1
        rates.Add("left right", "left"); // 6 chars (" right") of 10, 1 word of 2
        Assert.Equal(7.0 / 18, rates.Cer, 12);
        Assert.Equal(2.0 / 5, rates.Wer, 12);
        Assert.Equal(1, rates.ExactMatches);
        var other = new ErrorRates();
        other.Add("go", "no go");
        rates.Add(other);
        Assert.Equal(4, rates.Utterances);
        Assert.Equal(10.0 / 20, rates.Cer, 12);
        Assert.Equal(3.0 / 6, rates.Wer, 12);
        Assert.Equal(rates.Wer, rates.ToMetrics()["wer"]);
        Assert.Equal(rates.Cer, rates.ToMetrics()["cer"]);
    }
}
