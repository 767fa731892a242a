using System.Text.Json.Nodes;
using Xunit;

namespace Loom.Tests.Cli;

/// <summary>
/// The recurrent applications end to end on the embedded text samples: a character language model that
/// trains, evaluates in bits per character and generates reproducibly; a classifier and a tagger; and the
/// messages for text data given to the wrong kind of model.
/// </summary>
public sealed class CliTextTests
{
    [Fact]
    public void CharLstmTrainsEvaluatesAndGenerates()
    {
        using var dir = new TempFolder();
        var train = LoomProcess.Run(dir.Path, "train", "--model", "char-lstm", "--data", "moby-dick-mini", "--epochs", "1", "--batch-size", "16",
            "--seq-len", "50", "--lr", "0.003", "--seed", "2", "--out", "lm.safetensors", "--json");
        Assert.True(train.ExitCode == 0, train.Stderr);
        var trained = JsonNode.Parse(train.Stdout)!;
        double bits = trained["bits_per_char"]!.GetValue<double>();
        // Uniform guessing over ~80 characters costs log2(80) ≈ 6.3 bits; one short epoch must already do far better.
        Assert.InRange(bits, 1.0, 4.0);

        var eval = LoomProcess.Run(dir.Path, "eval", "--model", "lm.safetensors", "--data", "moby-dick-mini", "--batch-size", "16", "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        Assert.Equal(bits, JsonNode.Parse(eval.Stdout)!["bits_per_char"]!.GetValue<double>(), 1e-4);

        var first = LoomProcess.Run(dir.Path, "generate", "--model", "lm.safetensors", "--prompt", "Call me", "--length", "60", "--seed", "5");
        var second = LoomProcess.Run(dir.Path, "generate", "--model", "lm.safetensors", "--prompt", "Call me", "--length", "60", "--seed", "5");
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.StartsWith("Call me", first.Stdout);
        Assert.Equal("Call me".Length + 60, first.Stdout.TrimEnd('\n').Length);
        Assert.Equal(first.Stdout, second.Stdout);

        var unseen = LoomProcess.Run(dir.Path, "generate", "--model", "lm.safetensors", "--prompt", "Call me ☃", "--length", "5");
        Assert.True(unseen.ExitCode == 0, unseen.Stderr);
        Assert.Contains("read as <unk>", unseen.Stderr);
    }

    [Fact]
    public void GruClassifierAndBiLstmTaggerTrainOnTheSamples()
    {
        using var dir = new TempFolder();
        var spam = LoomProcess.Run(dir.Path, "train", "--model", "gru-classifier", "--data", "spam-assassin-mini", "--epochs", "4", "--batch-size", "16", "--max-length", "100",
            "--lr", "0.003", "--json");
        Assert.True(spam.ExitCode == 0, spam.Stderr);
        Assert.InRange(JsonNode.Parse(spam.Stdout)!["accuracy"]!.GetValue<double>(), 0.7, 1.0);

        var pos = LoomProcess.Run(dir.Path, "train", "--model", "bilstm-tagger", "--data", "brown-mini", "--epochs", "1", "--max-length", "60",
            "--lr", "0.003", "--out", "tagger.safetensors", "--json");
        Assert.True(pos.ExitCode == 0, pos.Stderr);
        var tagged = JsonNode.Parse(pos.Stdout)!;
        // Token accuracy: one epoch on a few thousand sentences already beats guessing the commonest tag (~13 %).
        Assert.InRange(tagged["accuracy"]!.GetValue<double>(), 0.4, 1.0);
        var eval = LoomProcess.Run(dir.Path, "eval", "--model", "tagger.safetensors", "--data", "brown-mini", "--json");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        Assert.Equal(tagged["accuracy"]!.GetValue<double>(), JsonNode.Parse(eval.Stdout)!["accuracy"]!.GetValue<double>(), 1e-6);
    }

    [Theory]
    [InlineData("gru-classifier", "moby-dick-mini", "is a classifier but 'moby-dick-mini' is data for a language model")]
    [InlineData("char-lstm", "fashion-mnist-mini", "reads text")]
    [InlineData("lenet", "brown-mini", "no vocabulary")]
    public void TextDataAndModelsThatDoNotFitGetOneMessage(string model, string data, string expected)
    {
        using var dir = new TempFolder();
        var r = LoomProcess.Run(dir.Path, "train", "--model", model, "--data", data, "--epochs", "1");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(expected, r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void GenerateRefusesAModelThatIsNotALanguageModel()
    {
        using var dir = new TempFolder();
        var train = LoomProcess.Run(dir.Path, "train", "--model", "row-gru", "--epochs", "1", "--out", "rows.safetensors");
        Assert.True(train.ExitCode == 0, train.Stderr);
        var r = LoomProcess.Run(dir.Path, "generate", "--model", "rows.safetensors", "--prompt", "Call me");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("is not a language model", r.Stderr);
    }
}

/// <summary>Bad text data: one readable message naming the file and the problem, never a stack trace.</summary>
public sealed class CliTextErrorTests
{
    [Fact]
    public void AMalformedBrownTokenIsNamedWithItsFileAndLine()
    {
        using var dir = new TempFolder();
        var corpus = Directory.CreateDirectory(dir.File("brown")).FullName;
        File.WriteAllText(Path.Combine(corpus, "ca01"), "\n\tThe/at jury/nn said/vbd ./.\n\n\tIt/pps was/bedz fine ./.\n");
        var r = LoomProcess.Run(dir.Path, "train", "--model", "bilstm-tagger", "--data", "brown", "--data-dir", corpus, "--epochs", "1");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("ca01:4", r.Stderr);
        Assert.Contains("'fine'", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void AnEmptyCorpusFolderIsReported()
    {
        using var dir = new TempFolder();
        var corpus = Directory.CreateDirectory(dir.File("moby")).FullName;
        File.WriteAllText(Path.Combine(corpus, "chapter_1.txt"), "");
        var r = LoomProcess.Run(dir.Path, "train", "--model", "char-lstm", "--data", "moby-dick", "--data-dir", corpus, "--epochs", "1");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(corpus, r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void AMissingCorpusSaysWhereItLookedAndHowToGetIt()
    {
        using var dir = new TempFolder();
        var r = LoomProcess.Run(dir.Path, "train", "--model", "gru-classifier", "--data", "spam-assassin", "--data-dir", dir.File("nowhere"), "--epochs", "1");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("nowhere", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }
}
