using System.Text;
using Loom.Tests.Data;
using Loom.Text;
using Xunit;

namespace Loom.Tests.Text;

public sealed class BrownCorpusTests
{
    [Fact]
    public void ParsesWordsAndTagsSplittingAtTheLastSlash()
    {
        var sentence = BrownCorpus.ParseLine("\tThe/at Fulton/np-tl 1/2/cd and/or/cc ./.", "ca01", 3, baseTags: false);
        Assert.NotNull(sentence);
        Assert.Equal(["The", "Fulton", "1/2", "and/or", "."], sentence.Words);
        Assert.Equal(["at", "np-tl", "cd", "cc", "."], sentence.Tags);
        Assert.Null(BrownCorpus.ParseLine(" \t ", "ca01", 4, baseTags: false));
        var reduced = BrownCorpus.ParseLine("Fulton/NP-TL I'll/ppss+md", "ca01", 5, baseTags: true);
        Assert.Equal(["np", "ppss+md"], reduced!.Tags);
    }

    [Theory]
    [InlineData("np-tl", "np")]
    [InlineData("nn-hl", "nn")]
    [InlineData("NN-TL-HL", "nn")]
    [InlineData("fw-nn", "nn")]
    [InlineData("fw-in+at-t", "in+at")]
    [InlineData("ppss+ber-n", "ppss+ber")]
    [InlineData("ppss+md", "ppss+md")]
    [InlineData("np$", "np$")]
    [InlineData("md*", "md*")]
    [InlineData("--", "--")]
    [InlineData("---hl", "--")]
    [InlineData(",-hl", ",")]
    [InlineData("(", "(")]
    [InlineData("''", "''")]
    [InlineData(".", ".")]
    public void BaseTags(string tag, string expected) => Assert.Equal(expected, BrownCorpus.BaseTag(tag));

    [Theory]
    [InlineData("The/at jury nn/nn", "jury")]
    [InlineData("The/at /nn", "/nn")]
    [InlineData("The/at jury/ said/vbd", "jury/")]
    public void MalformedTokenGivesFileAndLine(string line, string token)
    {
        var ex = Assert.Throws<InvalidDataException>(() => BrownCorpus.ParseLine(line, "cb07", 12, baseTags: true));
        Assert.Equal($"cb07:12: malformed token '{token}' (expected word/tag).", ex.Message);
    }

    [Fact]
    public void ReadsCorpusFilesInNameOrderAndReportsLines()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("cb01"), "\n\n\tSecond/od file/nn ./.\n");
        File.WriteAllText(dir.File("ca01"), "\n\n\tFirst/od sentence/nn ./.\n\n\n\tAnother/dt one/cd ./.\n");
        File.WriteAllText(dir.File("README"), "not/a corpus file");
        File.WriteAllText(dir.File("cats.txt"), "ca01 news");
        var sentences = BrownCorpus.Read(dir.Path, baseTags: true);
        Assert.Equal(["First", "Another", "Second"], sentences.Select(s => s.Words[0]));

        File.WriteAllText(dir.File("cc01"), "\n\tgood/jj\n\tbad\n");
        var ex = Assert.Throws<InvalidDataException>(() => BrownCorpus.Read(dir.Path, baseTags: true));
        Assert.StartsWith("cc01:3: malformed token 'bad'", ex.Message);
    }

    [Fact]
    public void AFolderWithoutCorpusFilesIsEmpty()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("README"), "nothing");
        var ex = Assert.Throws<InvalidDataException>(() => BrownCorpus.Read(dir.Path, baseTags: true));
        Assert.Contains(dir.Path, ex.Message);
        Assert.Throws<InvalidDataException>(() => BrownCorpus.Read([("x/ca01", Encoding.UTF8.GetBytes("\n \n"))], baseTags: true));
    }

    [Fact]
    public void EveryTenthSentenceIsATestSentence()
    {
        var sentences = Enumerable.Range(0, 25).Select(i => new TaggedSentence([i.ToString()], ["cd"])).ToList();
        var (train, test) = BrownCorpus.Split(sentences);
        Assert.Equal(["9", "19"], test.Select(s => s.Words[0]));
        Assert.Equal(23, train.Count);
    }
}
