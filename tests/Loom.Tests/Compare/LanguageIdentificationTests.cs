using Loom.Data;
using Loom.Text;
using Xunit;

namespace Loom.Tests.Compare;

/// <summary>
/// The word-list language identification corpus: filtering, cross-list duplicates, balance, the seeded 80/20 split and
/// the missing-list message on small lists written here; the real Debian lists only where they are installed.
/// </summary>
public class LanguageIdentificationTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("loom-langid-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_folder, true); } catch (IOException) { }
        GC.SuppressFinalize(this);
    }

    private string List(string file, IEnumerable<string> lines)
    {
        var path = Path.Combine(_folder, file);
        File.WriteAllLines(path, lines);
        return path;
    }

    private static IEnumerable<string> Words(string stem, int count) => Enumerable.Range(0, count).Select(i => stem + (char)('a' + i % 26) + (char)('a' + i / 26 % 26));

    [Fact]
    public void ReadWordsKeepsLowerCasedLetterOnlyWordsOnce()
    {
        var path = List("test", ["Apple", "apple", "whale's", "naïve", "a", "co-op", "U.S.", "  Straße  ", "x1", "Éclair"]);
        Assert.Equal(["apple", "naïve", "straße", "éclair"], LanguageIdentification.ReadWords(path));
    }

    [Fact]
    public void BalancedSeededSplitWithoutWordsOfTwoLanguages()
    {
        var lists = new[]
        {
            new WordListFile("aa", List("aa", [.. Words("aa", 60), "taxi", "radio"])),
            new WordListFile("bb", List("bb", [.. Words("bb", 40), "Taxi"])),
            new WordListFile("cc", List("cc", [.. Words("cc", 80), "radio"])),
        };
        var corpus = LanguageIdentification.FromWordLists(lists, wordsPerLanguage: 50, seed: 3);
        Assert.Equal(TaskKind.Classify, corpus.Kind);
        Assert.Equal(TokenizerKind.Char, corpus.Tokenizer);
        Assert.Equal(["aa", "bb", "cc"], corpus.ClassNames);
        var all = corpus.LabeledTrain.Concat(corpus.LabeledTest).ToList();
        // "bb" has only 40 usable words (its "taxi" is shared), so every language gets 40: 32 train, 8 test each.
        Assert.All(Enumerable.Range(0, 3), k => Assert.Equal(40, all.Count(d => d.Label == k)));
        Assert.All(Enumerable.Range(0, 3), k => Assert.Equal(8, corpus.LabeledTest.Count(d => d.Label == k)));
        Assert.DoesNotContain(all, d => d.Text is "taxi" or "radio");
        Assert.All(all, d => Assert.StartsWith(corpus.ClassNames[d.Label], d.Text));
        Assert.Equal(all.Count, all.Select(d => d.Text).Distinct().Count());

        var again = LanguageIdentification.FromWordLists(lists, wordsPerLanguage: 50, seed: 3);
        Assert.Equal(corpus.LabeledTest.Select(d => d.Text), again.LabeledTest.Select(d => d.Text));
        var other = LanguageIdentification.FromWordLists(lists, wordsPerLanguage: 30, seed: 4);
        Assert.NotEqual(corpus.LabeledTest.Select(d => d.Text).Take(10), other.LabeledTest.Select(d => d.Text).Take(10));
    }

    [Fact]
    public void MissingListsAreNamedWithTheirPackages()
    {
        List("american-english", Words("en", 30));
        List("spanish", Words("es", 30));
        var e = Assert.Throws<FileNotFoundException>(() => LanguageIdentification.Load(_folder));
        Assert.Contains("apt-get install wdutch wfrench wngerman witalian", e.Message);
        Assert.Contains("german (ngerman", e.Message);
        Assert.DoesNotContain("wspanish", e.Message);
        Assert.Throws<DirectoryNotFoundException>(() => LanguageIdentification.Load(Path.Combine(_folder, "nowhere")));
    }

    [Fact]
    public void LoadsTheSixListsFromADataDirectory()
    {
        foreach (var (file, stem) in new[] { ("dutch", "nl"), ("american-english", "en"), ("french", "fr"), ("ngerman", "de"), ("italian", "it"), ("spanish", "es") })
            List(file, Words(stem, 50));
        var corpus = TextCorpora.Load("langid", _folder);
        Assert.Equal(["dutch", "english", "french", "german", "italian", "spanish"], corpus.ClassNames);
        Assert.Equal(6 * 40, corpus.TrainCount);
        Assert.Equal(6 * 10, corpus.TestCount);
        Assert.Equal(TaskKind.Classify, TextCorpora.KindOf("langid"));
    }

    [Fact]
    public void RealDebianWordLists()
    {
        // CI machines have no /usr/share/dict lists: nothing to check there (apt-get install wamerican wspanish wngerman wfrench witalian wdutch).
        if (!LanguageIdentification.IsAvailable()) return;
        var corpus = LanguageIdentification.Load(wordsPerLanguage: 200);
        Assert.Equal(6, corpus.ClassNames.Count);
        Assert.Equal(6 * 160, corpus.TrainCount);
        Assert.Equal(6 * 40, corpus.TestCount);
        Assert.All(corpus.LabeledTrain, d => Assert.True(d.Text.Length >= 2 && d.Text.All(char.IsLetter) && d.Text == d.Text.ToLowerInvariant()));
    }
}
