using System.Text.Json.Nodes;
using Loom.Models;
using Loom.Serialization;
using Loom.Tests.Audio;
using Xunit;

namespace Loom.Tests.Cli;

/// <summary>
/// <c>loom transcribe</c> as a user meets it: a clip recorded at another rate, in stereo, with noise, is read and
/// transcribed (the model here is untrained, so only the mechanics are checked; docs/speech.md shows a trained one);
/// an empty, corrupt or non-WAV file, a model that does not transcribe, and a clip longer than the model reads each
/// get one message naming the problem and a non-zero exit.
/// </summary>
public sealed class CliTranscribeTests
{
    private static string SaveTranscriber(TempFolder dir)
    {
        Rng.ManualSeed(1);
        var built = ModelZoo.Build("speech-cnn");
        string path = dir.File("speech.safetensors");
        ModelFile.Save(path, built.Model, built.Spec);
        return path;
    }

    /// <summary>A 44.1 kHz stereo 16-bit clip: a gliding tone in both channels (out of phase a little) and noise.</summary>
    private static byte[] StereoNoisyClip(double seconds)
    {
        int rate = 44100, n = (int)(seconds * rate);
        var rng = new Rng(7);
        var pcm = new short[2 * n];
        for (int i = 0; i < n; i++)
        {
            double t = (double)i / rate;
            pcm[2 * i] = (short)(8000 * Math.Sin(2 * Math.PI * (200 + 300 * t) * t) + 800 * rng.NextNormal());
            pcm[2 * i + 1] = (short)(8000 * Math.Sin(2 * Math.PI * (200 + 300 * t) * t + 0.3) + 800 * rng.NextNormal());
        }
        return WavFiles.Riff(WavFiles.Chunk("fmt ", WavFiles.Fmt(1, 2, rate, 16)), WavFiles.Chunk("data", WavFiles.Int16(pcm)));
    }

    [Fact]
    public void AStereoClipAtAnotherRateWithNoiseIsTranscribed()
    {
        using var dir = new TempFolder();
        string model = SaveTranscriber(dir);
        File.WriteAllBytes(dir.File("clip.wav"), StereoNoisyClip(1.2));
        var r = LoomProcess.Run(dir.Path, "transcribe", "--model", model, "clip.wav", "--json", "--threads", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var o = JsonNode.Parse(r.Stdout)!;
        Assert.Equal(44100, (int)o["sample_rate"]!);
        Assert.Equal(2, (int)o["channels"]!);
        Assert.Equal(1.2, (double)o["seconds"]!, 3);
        Assert.NotNull(o["text"]);
        Assert.True((double)o["real_time_factor"]! > 0);

        var beam = LoomProcess.Run(dir.Path, "transcribe", "--model", model, "clip.wav", "clip.wav", "--words", "spoken-phrases");
        Assert.True(beam.ExitCode == 0, beam.Stderr);
        Assert.Equal(2, beam.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("beam 8 + words", beam.Stdout);
    }

    [Fact]
    public void BadClipsAndWrongModelsGetOneClearMessage()
    {
        using var dir = new TempFolder();
        string model = SaveTranscriber(dir);
        File.WriteAllBytes(dir.File("empty.wav"), []);
        File.WriteAllText(dir.File("notes.wav"), "these are not samples, just text in a file named .wav\n");
        File.WriteAllBytes(dir.File("cut.wav"), StereoNoisyClip(0.5)[..30]);
        File.WriteAllBytes(dir.File("silent.wav"), WavFiles.Riff(WavFiles.Chunk("fmt ", WavFiles.Fmt(1, 1, 16000, 16)), WavFiles.Chunk("data", [])));
        File.WriteAllBytes(dir.File("long.wav"), Loom.Audio.WavWriter.ToBytes(new float[16000 * 9], 16000));
        foreach (var (file, mention) in new[] { ("empty.wav", "empty.wav"), ("notes.wav", "notes.wav"), ("cut.wav", "cut.wav"), ("silent.wav", "silent.wav"), ("long.wav", "at most 800 frames"), ("missing.wav", "missing.wav") })
            CliErrorTestsAssert.CleanFailure(LoomProcess.Run(dir.Path, "transcribe", "--model", model, file), mention);

        Rng.ManualSeed(1);
        var lenet = ModelZoo.Build("lenet");
        ModelFile.Save(dir.File("lenet.safetensors"), lenet.Model, lenet.Spec);
        File.WriteAllBytes(dir.File("clip.wav"), StereoNoisyClip(0.3));
        CliErrorTestsAssert.CleanFailure(LoomProcess.Run(dir.Path, "transcribe", "--model", "lenet.safetensors", "clip.wav"), "does not transcribe");
    }
}

internal static class CliErrorTestsAssert
{
    /// <summary>The shared clean-failure check, and the message is one line.</summary>
    public static void CleanFailure(LoomProcess.Result r, string mention)
    {
        CliErrorTests.AssertCleanFailure(r, mention);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
