using System.Text.Json.Nodes;
using Loom.Audio;
using Loom.Data;
using Loom.Models;
using Loom.Serialization;
using Xunit;

namespace Loom.Tests.Cli;

/// <summary>
/// <c>loom eval --split val</c>: a transcriber is scored on the data's validation voices (where a choice between epochs
/// or averaged models is made without the test), the report and JSON name the split, and data without a validation
/// split of its own gets one clear message.
/// </summary>
public sealed class CliEvalSplitTests
{
    /// <summary>A spoken-phrases folder of tones: <paramref name="perSplit"/>[s] clips in train, val and test.</summary>
    private static string PhrasesFolder(TempFolder dir, int[] perSplit)
    {
        string root = dir.File("phrases");
        string[] splits = ["train", "val", "test"];
        var clips = new List<SpokenPhrasesClip>();
        int index = 0;
        for (int s = 0; s < splits.Length; s++)
        {
            Directory.CreateDirectory(Path.Combine(root, splits[s]));
            for (int i = 0; i < perSplit[s]; i++, index++)
            {
                float[] tone = Enumerable.Range(0, 4000 + 7 * index).Select(n => 0.4f * MathF.Sin(n * (0.03f + 0.002f * index))).ToArray();
                string path = $"{splits[s]}/{index:D5}.wav";
                WavWriter.Write(Path.Combine(root, path), tone, 16000);
                clips.Add(new SpokenPhrasesClip(path, index % 2 == 0 ? "go left" : "seven oh two", "en-us", $"m{s}", 150, 50, 20, "pink", 16000, tone.Length, splits[s]));
            }
        }
        File.WriteAllText(Path.Combine(root, "manifest.tsv"), SpokenPhrasesManifest.Format(clips));
        return root;
    }

    [Fact]
    public void ATranscriberIsScoredOnTheValidationVoicesWhenAsked()
    {
        using var dir = new TempFolder();
        string data = PhrasesFolder(dir, [2, 3, 5]);
        Rng.ManualSeed(1);
        var built = ModelZoo.Build("speech-cnn");
        ModelFile.Save(dir.File("speech.safetensors"), built.Model, built.Spec);

        var val = LoomProcess.Run(dir.Path, "eval", "--model", "speech.safetensors", "--data", data, "--split", "val", "--json", "--threads", "1");
        Assert.True(val.ExitCode == 0, val.Stderr);
        var json = JsonNode.Parse(val.Stdout)!;
        Assert.Equal("val", (string)json["split"]!);
        Assert.Equal(3, (int)json["utterances"]!);
        var test = JsonNode.Parse(LoomProcess.Run(dir.Path, "eval", "--model", "speech.safetensors", "--data", data, "--json", "--threads", "1").Stdout)!;
        Assert.Equal("test", (string)test["split"]!);
        Assert.Equal(5, (int)test["utterances"]!);

        var report = LoomProcess.Run(dir.Path, "eval", "--model", "speech.safetensors", "--data", data, "--split", "val", "--threads", "1");
        Assert.Contains(" val, greedy:", report.Stdout);

        var none = LoomProcess.Run(dir.Path, "eval", "--model", "speech.safetensors", "--data", "spoken-phrases-mini", "--split", "val");
        CliErrorTestsAssert.CleanFailure(none, "no validation split");
        CliErrorTests.AssertCleanFailure(LoomProcess.Run(dir.Path, "eval", "--model", "speech.safetensors", "--data", data, "--split", "dev"), "dev");
    }
}
