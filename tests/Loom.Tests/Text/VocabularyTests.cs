using System.Text.Json.Nodes;
using Loom.Text;
using Xunit;

namespace Loom.Tests.Text;

public sealed class VocabularyTests
{
    [Fact]
    public void BuildOrdersByCountThenOrdinally()
    {
        var v = Vocabulary.Build(["b", "a", "c", "a", "b", "B", "a", "d"]);
        // a×3, b×2, then the singletons in ordinal order: "B" (0x42) before "c" and "d".
        Assert.Equal(["<pad>", "<unk>", "a", "b", "B", "c", "d"], v.Tokens);
        Assert.Equal(7, v.Count);
        Assert.Equal(0, Vocabulary.Pad);
        Assert.Equal(1, Vocabulary.Unk);
        Assert.Equal(2, v.IdOf("a"));
        Assert.Equal(Vocabulary.Unk, v.IdOf("zebra"));
        Assert.Equal(Vocabulary.Unk, v.IdOf("A"));
        Assert.Equal(4, v.IdOf("B".AsSpan()));
        Assert.Equal("b", v.TokenOf(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.TokenOf(7));
    }

    [Fact]
    public void MinCountAndMaxSizeLimitTheTokens()
    {
        string[] tokens = ["x", "x", "x", "y", "y", "z", Vocabulary.UnkToken, Vocabulary.PadToken];
        Assert.Equal(["<pad>", "<unk>", "x", "y"], Vocabulary.Build(tokens, minCount: 2).Tokens);
        Assert.Equal(["<pad>", "<unk>", "x"], Vocabulary.Build(tokens, maxSize: 3).Tokens);
        Assert.Equal(["<pad>", "<unk>"], Vocabulary.Build(tokens, maxSize: 2).Tokens);
        Assert.Equal(["<pad>", "<unk>", "x", "y", "z"], Vocabulary.Build(tokens).Tokens);
        Assert.Throws<ArgumentOutOfRangeException>(() => Vocabulary.Build(tokens, maxSize: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Vocabulary.Build(tokens, minCount: 0));
    }

    [Fact]
    public void EncodeAndDecode()
    {
        var v = Vocabulary.FromTokens(["<pad>", "<unk>", "the", "whale"]);
        int[] ids = v.Encode(["the", "white", "whale"]);
        Assert.Equal([2, Vocabulary.Unk, 3], ids);
        Assert.Equal("the <unk> whale", v.Decode(ids, " "));
        Assert.Equal("thewhale", v.Decode([2, 3, Vocabulary.Pad, Vocabulary.Pad], ""));
        Assert.Equal(v.Tokens, Vocabulary.FromTokens(v.Tokens).Tokens);
        var ex = Assert.Throws<InvalidDataException>(() => Vocabulary.FromTokens(["<pad>", "<unk>", "a", "a"], "m.json"));
        Assert.StartsWith("m.json: token \"a\" appears twice", ex.Message);
        Assert.Throws<InvalidDataException>(() => Vocabulary.FromTokens(["the", "whale"]));
    }

    [Fact]
    public void JsonRoundTrip()
    {
        var v = Vocabulary.Build(["é", "\"", "a", "é"]);
        string json = v.ToJson().ToJsonString();
        var back = Vocabulary.FromJson(JsonNode.Parse(json), "vocab.json");
        Assert.Equal(v.Tokens, back.Tokens);
        Assert.Equal(2, back.IdOf("é"));
    }

    [Theory]
    [InlineData("{\"tokens\": []}", "JSON array")]
    [InlineData("[\"<pad>\", \"<unk>\", 3]", "entry 2 must be a string")]
    [InlineData("[\"<unk>\", \"<pad>\", \"a\"]", "must start with")]
    [InlineData("[\"<pad>\"]", "must start with")]
    [InlineData("[\"<pad>\", \"<unk>\", \"a\", \"b\", \"a\"]", "\"a\" appears twice")]
    public void BadJsonNamesTheSource(string json, string problem)
    {
        var ex = Assert.Throws<InvalidDataException>(() => Vocabulary.FromJson(JsonNode.Parse(json), "model/vocab.json"));
        Assert.StartsWith("model/vocab.json: ", ex.Message);
        Assert.Contains(problem, ex.Message);
    }
}
