using Loom.Text;
using Xunit;

namespace Loom.Tests.Text;

public sealed class TokenizerTests
{
    [Fact]
    public void WordsAreLowerCasedRunsAndPunctuationStandsAlone()
    {
        var tokens = Tokenizer.Tokenize("Don't stop—the Whale's 3.5 tons!\n'Quoted' ends' Café", TokenizerKind.Word);
        Assert.Equal(["don't", "stop", "—", "the", "whale's", "3", ".", "5", "tons", "!", "'", "quoted", "'", "ends", "'", "café"], tokens);
        Assert.Empty(Tokenizer.Tokenize(" \t\n ", TokenizerKind.Word));
    }

    [Fact]
    public void WordTokensKeepCombiningMarksAndSurrogatePairs()
    {
        // "e" + combining acute stays one word; an emoji (two UTF-16 units) is one token.
        Assert.Equal(["cafe\u0301", "😀", "x"], Tokenizer.Tokenize("Cafe\u0301 😀x", TokenizerKind.Word));
        Assert.Equal(["it’s"], Tokenizer.Tokenize("It’s", TokenizerKind.Word));
    }

    [Fact]
    public void CharTokensAreUtf16Units()
    {
        Assert.Equal(["A", " ", "b", "\n", "é"], Tokenizer.Tokenize("A b\né", TokenizerKind.Char));
        Assert.Equal(2, Tokenizer.Tokenize("😀", TokenizerKind.Char).Count);
    }

    [Theory]
    [InlineData(TokenizerKind.Char)]
    [InlineData(TokenizerKind.Word)]
    public void EncodeMatchesTokenizeThenLookUp(TokenizerKind kind)
    {
        const string text = "Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse. ÆTHER don't";
        var vocabulary = Vocabulary.Build(Tokenizer.Tokenize(text[..60], kind));
        Assert.Equal(vocabulary.Encode(Tokenizer.Tokenize(text, kind)), Tokenizer.Encode(text, kind, vocabulary));
        Assert.Contains(Vocabulary.Unk, Tokenizer.Encode(text, kind, vocabulary));
    }
}

public class WordSignatureTests
{
    [Theory]
    [InlineData("Smithson", "<unk-Cap>")]
    [InlineData("mellifluously", "<unk-ly>")]
    [InlineData("NATO", "<unk-CAPS>")]
    [InlineData("1964", "<unk-num>")]
    [InlineData("well-meaning", "<unk-hyph-ing>")]
    [InlineData("B-52s", "<unk-Cap-digit-hyph-s>")]
    [InlineData("happiness", "<unk-ness>")]
    [InlineData(";", "<unk-punct>")]
    public void ShapesAndSuffixes(string word, string signature) => Assert.Equal(signature, Loom.Text.WordSignature.Of(word));

    [Fact]
    public void KnownWordsAreThemselvesAndUnknownOnesTheirSignature()
    {
        var v = Loom.Text.Vocabulary.FromTokens(["<pad>", "<unk>", "whale", "<unk-Cap>"]);
        Assert.Equal(2, Loom.Text.WordSignature.IdOf(v, "whale"));
        Assert.Equal(3, Loom.Text.WordSignature.IdOf(v, "Ahab"));
        Assert.Equal(Loom.Text.Vocabulary.Unk, Loom.Text.WordSignature.IdOf(v, "harpooneer"));
    }
}
