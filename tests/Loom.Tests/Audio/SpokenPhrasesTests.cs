using Loom.Audio;
using Loom.Cli.Commands;
using Loom.Data;
using Xunit;

namespace Loom.Tests.Audio;

/// <summary>
/// The spoken-phrases data: the embedded sample (made by espeak-ng here, read without it), folders in the generator's
/// layout built by the test, the manifest's errors, the speaker split of the recipe, and the character ids.
/// </summary>
public sealed class SpokenPhrasesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("loom-spoken-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly Lazy<SpokenPhrasesSet> Mini = new(SpokenPhrases.LoadMini);

    [Fact]
    public void TheEmbeddedSampleHoldsTrainAndTestClipsOfDisjointSpeakers()
    {
        var set = Mini.Value;
        Assert.Equal("embedded", set.Location);
        Assert.Equal(240, set.Split("train").Count);
        Assert.Empty(set.Split("val"));
        Assert.Equal(60, set.Split("test").Count);
        var train = set.Split("train");
        var test = set.Split("test");
        // Held-out speakers share neither the accent nor the variant with any training speaker.
        Assert.Empty(train.Select(c => c.Voice).Intersect(test.Select(c => c.Voice)));
        Assert.Empty(train.Select(c => c.Variant).Intersect(test.Select(c => c.Variant)));
        Assert.All(set.Clips, c => Assert.All(c.Transcript.Split(' '), w => Assert.Contains(w, SpokenPhrases.Vocabulary)));
        Assert.All(set.Clips, c => Assert.InRange(c.Transcript.Split(' ').Length, 1, 6));
        Assert.All(set.Clips, c => Assert.Equal(8000, c.SampleRate));
    }

    [Fact]
    public void EmbeddedClipsComeOutAt16kHzAsSpeechNotSilence()
    {
        var set = Mini.Value;
        foreach (var clip in set.Clips.Take(20))
        {
            float[] samples = set.ReadSamples(clip);
            Assert.Equal(2 * clip.Frames, samples.Length);     // 8 kHz resampled to 16 kHz
            Assert.Equal(2 * clip.Frames, SpokenPhrasesSet.LengthAt16k(clip));
            float peak = samples.Max(MathF.Abs);
            Assert.InRange(peak, 0.2f, 1.05f);     // scaled to a peak of 0.3–0.9 before noise and 8-bit storage
            double rms = Math.Sqrt(samples.Average(x => (double)x * x));
            Assert.InRange(rms, 0.01, 0.5);
        }
    }

    [Fact]
    public void TheRegistryGivesTheTrainAndTestSplitsAsVariableLengthData()
    {
        var (train, test) = DatasetRegistry.Load("spoken-phrases-mini");
        Assert.Equal((240, 60), (train.Count, test.Count));
        var data = Assert.IsType<SpokenPhrasesDataset>(train);
        Assert.Equal(SpeechAlphabet.Count, data.ClassCount);
        Assert.Equal(data.Clips.Max(SpokenPhrasesSet.LengthAt16k), data.SampleShape[0]);
        Assert.Equal(data.Clips.Max(c => c.Transcript.Length), data.TargetShape[0]);
        int i = Enumerable.Range(0, data.Count).First(k => data.LengthOf(k) < data.SampleShape[0] && data.Clips[k].Transcript.Length < data.TargetShape[0]);
        var features = new float[data.SampleShape[0]];
        var target = new float[data.TargetShape[0]];
        features.AsSpan().Fill(9);
        data.Get(i, features, target);
        Assert.Equal(Mini.Value.ReadSamples(data.Clips[i]), features[..data.LengthOf(i)]);
        Assert.All(features[data.LengthOf(i)..], x => Assert.Equal(0f, x));
        string transcript = data.Clips[i].Transcript;
        Assert.Equal(SpeechAlphabet.Encode(transcript).Select(x => (float)x), target[..transcript.Length]);
        Assert.All(target[transcript.Length..], x => Assert.Equal(IDataset.IgnoreTarget, x));

        var info = DatasetRegistry.Info("spoken-phrases-mini");
        Assert.Equal((240, 60, "embedded"), (info.TrainCount, info.TestCount, info.Location));
        Assert.Equal(29, info.ClassCount);
    }

    [Fact]
    public void AGeneratedFolderIsReadAndCheckedAgainstItsManifest()
    {
        var clips = new List<SpokenPhrasesClip>();
        string[] splits = ["train", "val", "test"];
        for (int i = 0; i < 6; i++)
        {
            string split = splits[i % 3];
            int rate = i == 4 ? 22050 : 16000;     // a clip at another rate is resampled on reading
            float[] tone = Enumerable.Range(0, 1000 + i).Select(n => 0.5f * MathF.Sin(n * 0.05f)).ToArray();
            Directory.CreateDirectory(Path.Combine(_dir, split));
            string path = $"{split}/{i:D5}.wav";
            WavWriter.Write(Path.Combine(_dir, path), tone, rate);
            clips.Add(new SpokenPhrasesClip(path, i % 2 == 0 ? "go left" : "seven oh two", "en-us", $"m{i}", 150, 50, 10.5, "pink", rate, tone.Length, split));
        }
        File.WriteAllText(Path.Combine(_dir, "manifest.tsv"), SpokenPhrasesManifest.Format(clips));

        var set = SpokenPhrases.Load(_dir);
        Assert.Equal(clips, set.Clips);
        Assert.Equal(1000, set.ReadSamples(set.Clips[0]).Length);
        Assert.Equal(new Resampler(22050, 16000).OutputLength(1004), set.ReadSamples(set.Clips[4]).Length);
        Assert.Equal(6, DatasetRegistry.Info("spoken-phrases", _dir).TrainCount + DatasetRegistry.Info("spoken-phrases", _dir).TestCount + set.Split("val").Count);

        // A file that disagrees with its row is named at reading.
        WavWriter.Write(Path.Combine(_dir, clips[1].Path), new float[10], 16000);
        var e = Assert.Throws<InvalidDataException>(() => set.ReadSamples(set.Clips[1]));
        Assert.Contains("00001.wav holds 10 frames at 16000 Hz but the manifest says 1001 at 16000 Hz", e.Message);
        // A missing file is named at loading.
        File.Delete(Path.Combine(_dir, clips[2].Path));
        e = Assert.Throws<InvalidDataException>(() => SpokenPhrases.Load(_dir));
        Assert.Contains("lists 1 file(s) that are not in", e.Message);
        Assert.Contains("test/00002.wav", e.Message);
    }

    [Fact]
    public void AFolderWithoutAManifestSaysHowToMakeTheSet()
    {
        var e = Assert.Throws<FileNotFoundException>(() => SpokenPhrases.Load(_dir));
        Assert.Contains($"loom data make spoken-phrases --out {_dir}", e.Message);
        Assert.Contains("apt-get install espeak-ng", e.Message);
        Assert.False(SpokenPhrases.Info(_dir).Found);
    }

    public static TheoryData<string, string> BadRows() => new()
    {
        { "train/a.wav\tgo\ten-us\tm1\t150\t50\t10\tpink\t16000\t100", "line 2: 10 tab-separated fields, expected 11" },
        { "/etc/a.wav\tgo\ten-us\tm1\t150\t50\t10\tpink\t16000\t100\ttrain", "path '/etc/a.wav' is not a relative .wav path" },
        { "../a.wav\tgo\ten-us\tm1\t150\t50\t10\tpink\t16000\t100\ttrain", "path '../a.wav' is not a relative .wav path" },
        { "train/a.wav\tGo 7\ten-us\tm1\t150\t50\t10\tpink\t16000\t100\ttrain", "transcript 'Go 7' is not lower-case letters" },
        { "train/a.wav\tgo\ten-us\tm1\tfast\t50\t10\tpink\t16000\t100\ttrain", "speed 'fast' is not an integer" },
        { "train/a.wav\tgo\ten-us\tm1\t150\t50\tNaN\tpink\t16000\t100\ttrain", "snr_db 'NaN' is not a finite number" },
        { "train/a.wav\tgo\ten-us\tm1\t150\t50\t10\tpink\t0\t100\ttrain", "sample_rate '0' is not positive" },
        { "train/a.wav\tgo\ten-us\tm1\t150\t50\t10\tpink\t16000\t-1\ttrain", "frames '-1' is negative" },
        { "train/a.wav\tgo\ten-us\tm1\t150\t50\t10\tpink\t16000\t100\tdev", "split 'dev' is not train, val or test" },
        { "train/a.wav\tgo\ten-us\tm1\t150\t50\t10\tpink\t16000\t100\ttrain\ntrain/a.wav\tgo\ten-us\tm1\t150\t50\t10\tpink\t16000\t100\ttrain", "line 3: path 'train/a.wav' is listed twice" },
    };

    [Theory]
    [MemberData(nameof(BadRows))]
    public void BadManifestRowsNameTheLineAndTheField(string rows, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => SpokenPhrasesManifest.Parse(SpokenPhrasesManifest.Header + "\n" + rows + "\n", "m.tsv"));
        Assert.StartsWith("m.tsv line", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void AManifestWithoutItsHeaderOrRowsIsRefused()
    {
        Assert.Contains("not the spoken-phrases manifest header", Assert.Throws<InvalidDataException>(() => SpokenPhrasesManifest.Parse("path,transcript\n", "m.tsv")).Message);
        Assert.Contains("m.tsv lists no clips", Assert.Throws<InvalidDataException>(() => SpokenPhrasesManifest.Parse(SpokenPhrasesManifest.Header + "\n", "m.tsv")).Message);
    }

    [Fact]
    public void TheRecipesSplitsShareNoAccentAndNoVariant()
    {
        Assert.Equal(["standard", "wide", "wide-whisper"], SpokenPhrasesMaker.Recipes.Keys);
        foreach (var splits in SpokenPhrasesMaker.Recipes.Values)
        {
            Assert.Equal(["train", "val", "test"], splits.Select(s => s.Split));
            for (int a = 0; a < splits.Count; a++)
                for (int b = a + 1; b < splits.Count; b++)
                {
                    Assert.Empty(splits[a].Voices.Intersect(splits[b].Voices));
                    Assert.Empty(splits[a].Variants.Intersect(splits[b].Variants));
                }
            Assert.All(splits.SelectMany(s => s.Variants), v => Assert.DoesNotContain(' ', v));
        }
        // The wide recipe only adds training variants: same accents, same held-out speakers.
        var (standard, wide) = (SpokenPhrasesMaker.Speakers, SpokenPhrasesMaker.WideSpeakers);
        Assert.Equal(standard[0].Voices, wide[0].Voices);
        Assert.Subset(wide[0].Variants.ToHashSet(), standard[0].Variants.ToHashSet());
        Assert.Equal(91, wide[0].Variants.Distinct().Count());
        Assert.Equal(standard.Skip(1), wide.Skip(1));
        // The whisper recipe adds 20 whispered renderings of wide variants, and nothing else.
        var whisper = SpokenPhrasesMaker.WideWhisperSpeakers;
        Assert.Equal(wide[0].Variants.Concat(SpokenPhrasesMaker.WhisperedBases.Select(b => b + "-whispered")), whisper[0].Variants);
        Assert.Equal(20, SpokenPhrasesMaker.WhisperedBases.Distinct().Count());
        Assert.Subset(wide[0].Variants.ToHashSet(), SpokenPhrasesMaker.WhisperedBases.ToHashSet());
        Assert.Equal(standard.Skip(1), whisper.Skip(1));
        Assert.Equal(40, SpokenPhrases.Vocabulary.Count);
        Assert.Equal(40, SpokenPhrases.Vocabulary.Distinct().Count());
        Assert.All(SpokenPhrases.Vocabulary, w => Assert.True(SpeechAlphabet.CanEncode(w)));
    }

    [Fact]
    public void AWhisperedVariantIsItsBaseWithEspeakNgsWhisperSettingsLast()
    {
        const string f2 = "language variant\nname female2\ngender female\n\npitch 142 220\nbreath 0 2 3 3 3 3 3 2\n\n";
        string text = SpokenPhrasesMaker.WhisperedVariant(f2, 20);
        Assert.StartsWith(f2.TrimEnd(), text);
        // espeak-ng reads a variant file line by line, a later setting replacing an earlier one: the whisper's come last.
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["voicing 20", "breath 75 75 50 40 15 10", "breathw 150 150 200 200 400 400"], lines[^3..]);
        Assert.Equal(1, lines.Count(l => l.StartsWith("name ", StringComparison.Ordinal)));
    }

    [Fact]
    public void TheAlphabetMapsBlankSpaceLettersAndApostrophe()
    {
        Assert.Equal(29, SpeechAlphabet.Count);
        Assert.Equal([1, 2, 27, 28], SpeechAlphabet.Encode(" az'"));
        Assert.Equal(SpeechAlphabet.Encode("go left"), SpeechAlphabet.Encode("GO LEFT"));
        Assert.Equal("go left", SpeechAlphabet.Decode([0, 8, 16, 0, 1, 13, 6, 7, 21, 0]));
        var e = Assert.Throws<ArgumentException>(() => SpeechAlphabet.Encode("go 7"));
        Assert.Contains("'7' (U+0037) at position 3", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => SpeechAlphabet.Decode([29]));
        Assert.Equal('_', SpeechAlphabet.Characters[SpeechAlphabet.Blank]);
    }
}
