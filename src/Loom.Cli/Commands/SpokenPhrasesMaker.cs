using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using Loom.Audio;
using Loom.Data;
using Loom.IO;

namespace Loom.Cli.Commands;

/// <summary>
/// Generates the spoken-phrases data set (<c>loom data make spoken-phrases</c>): each clip a phrase of 1–6 words of
/// <see cref="SpokenPhrases.Vocabulary"/>, spoken by espeak-ng as one speaker (voice + variant) of its split at a
/// sampled speed and pitch, resampled to the output rate, placed after a short random pause, scaled to a random
/// peak, with white or pink noise added at a sampled SNR; written as mono PCM WAV files and manifest.tsv.
/// </summary>
/// <remarks>
/// Clip <c>i</c>'s every choice comes from its own generator seeded by (seed, i), so a set is the same whatever
/// <c>--jobs</c> is, and a smaller count gives a prefix of each split of a larger one. Splits are by speaker: the
/// validation and test speakers share neither accent nor variant with the training speakers (docs/speech.md, "Data").
/// </remarks>
internal static class SpokenPhrasesMaker
{
    /// <summary>One split's speakers: every voice (accent) with every variant.</summary>
    public sealed record SplitSpeakers(string Split, string[] Voices, string[] Variants);

    /// <summary>The speakers of each split (espeak-ng 1.51 names; mbrola voices are left out, as they need mbrola).</summary>
    public static IReadOnlyList<SplitSpeakers> Speakers { get; } =
    [
        new("train", TrainVoices,
            ["m1", "m2", "m3", "m4", "m5", "f1", "f2", "f3", "klatt", "klatt2", "klatt3", "whisper", "croak", "grandpa", "Andy", "Annie", "adam"]),
        new("val", ["en-gb-scotland"], ["m6", "f4", "klatt4", "aunty"]),
        new("test", ["en-us-nyc", "en-gb-x-gbcwmd"], ["m7", "f5", "klatt5", "whisperf", "grandma"]),
    ];

    private static string[] TrainVoices => ["en-us", "en-gb", "en-gb-x-rp", "en-029", "en-gb-x-gbclan"];

    /// <summary>
    /// The wide recipe (<c>--speakers wide</c>): the same validation and test speakers, and training speakers made
    /// of the same five accents with every other variant espeak-ng 1.51 has — 91 of them, so 455 training speakers
    /// instead of 85 — because the standard set's model spells its own speakers far better than unheard ones
    /// (docs/speech.md). Left out: "Mr serious", whose name holds a space that <c>-v VOICE+VARIANT</c> cannot carry.
    /// </summary>
    public static IReadOnlyList<SplitSpeakers> WideSpeakers { get; } =
    [
        new("train", TrainVoices,
            ["m1", "m2", "m3", "m4", "m5", "m8", "f1", "f2", "f3", "klatt", "klatt2", "klatt3", "klatt6", "whisper", "croak", "grandpa",
             "Andy", "Annie", "adam", "Alex", "Alicia", "Andrea", "AnxiousAndy", "Demonic", "Denis", "Diogo", "Gene", "Gene2", "Henrique",
             "Hugo", "Jacky", "Lee", "Marco", "Mario", "Michael", "Mike", "Nguyen", "RicishayMax", "RicishayMax2", "RicishayMax3",
             "Storm", "Tweaky", "UniRobot", "anika", "anikaRobot", "announcer", "antonio", "belinda", "benjamin", "boris", "caleb",
             "david", "ed", "edward", "edward2", "fast", "gustave", "iven", "iven2", "iven3", "iven4", "john", "kaukovalta", "linda",
             "marcelo", "max", "michel", "miguel", "norbert", "pablo", "paul", "pedro", "quincy", "rob", "robert", "robosoft",
             "robosoft2", "robosoft3", "robosoft4", "robosoft5", "robosoft6", "robosoft7", "robosoft8", "sandro", "shelby", "steph",
             "steph2", "steph3", "travis", "victor", "zac"]),
        Speakers[1],
        Speakers[2],
    ];

    /// <summary>
    /// The training variants of which the whisper recipe adds a whispered rendering: the 20 that use espeak-ng's
    /// default (non-Klatt) synthesiser and sound human (11 male, 9 female). Of the 91 wide variants one is a whisper,
    /// so about 1 % of the wide set's clips; the test split's speakers include two whispering ones (variant
    /// <c>whisperf</c>), and a model trained on the wide set errs on them most (docs/speech.md).
    /// </summary>
    public static readonly string[] WhisperedBases =
        ["m1", "m2", "m3", "m4", "m5", "f1", "f2", "f3", "croak", "grandpa", "Andy", "Annie", "Alicia", "Lee", "anika", "belinda",
         "boris", "linda", "max", "steph"];

    /// <summary>What a whispered rendering's variant name adds to its base's ("m1" → "m1-whispered").</summary>
    public const string WhisperedSuffix = "-whispered";

    /// <summary>
    /// The whisper recipe (<c>--speakers wide-whisper</c>): the wide recipe's training speakers and a whispered
    /// rendering of 20 of its variants in each of the five accents (111 variants, 555 speakers, about 18 % of the
    /// clips whispered); the same validation and test speakers. The whispered variants are Loom's own variant files,
    /// made from their bases by <see cref="WhisperedVariant"/>; none is the test split's <c>whisperf</c>.
    /// </summary>
    public static IReadOnlyList<SplitSpeakers> WideWhisperSpeakers { get; } =
    [
        new("train", TrainVoices, [.. WideSpeakers[0].Variants, .. WhisperedBases.Select(b => b + WhisperedSuffix)]),
        Speakers[1],
        Speakers[2],
    ];

    /// <summary>The recipes of <c>--speakers</c>, by name.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<SplitSpeakers>> Recipes { get; } = new Dictionary<string, IReadOnlyList<SplitSpeakers>>
    {
        ["standard"] = Speakers,
        ["wide"] = WideSpeakers,
        ["wide-whisper"] = WideWhisperSpeakers,
    };

    /// <summary>
    /// A whispered rendering of a variant: its file with espeak-ng's own whisper settings appended (later lines
    /// override earlier ones): voicing cut to <paramref name="voicing"/> % and breath noise added along the formants,
    /// as espeak-ng's <c>whisper</c> (voicing 17) and <c>whisperf</c> (voicing 20) variants do. The base keeps its
    /// pitch range, formant shifts and timbre, so the whisper is a new speaker, not a copy of a held-out one.
    /// </summary>
    public static string WhisperedVariant(string baseText, int voicing) =>
        baseText.TrimEnd() + $"\n\n// a whispered rendering, made by loom data make spoken-phrases --speakers wide-whisper\nvoicing {voicing}\n" +
        "breath 75 75 50 40 15 10\nbreathw 150 150 200 200 400 400\n";

    /// <summary>Ranges sampled uniformly per clip.</summary>
    public const int MinWords = 1, MaxWords = 6, MinSpeed = 130, MaxSpeed = 200, MinPitch = 20, MaxPitch = 80;

    public const double MinSnrDb = 5, MaxSnrDb = 30, MinPeak = 0.3, MaxPeak = 0.9, MaxLeadSeconds = 0.2;

    /// <summary>What to make: clips per split, output format, parallel espeak-ng processes, and an optional .tar.gz of it all.</summary>
    public sealed record Settings(string OutDir, int Train, int Val, int Test, ulong Seed, int SampleRate, int Bits, int Jobs, string? Archive, string Recipe = "standard")
    {
        public IReadOnlyList<SplitSpeakers> Speakers => Recipes[Recipe];
    }

    /// <summary>What was made.</summary>
    public sealed record Summary(IReadOnlyList<SpokenPhrasesClip> Clips, TimeSpan Elapsed, string EspeakVersion);

    public static Summary Make(Settings s, EspeakNg espeak, Action<int, int>? progress = null)
    {
        var whispered = s.Speakers.SelectMany(x => x.Variants).Where(v => v.EndsWith(WhisperedSuffix, StringComparison.Ordinal)).Distinct().ToList();
        if (whispered.Count == 0) return MakeWith(s, espeak, progress);
        // Voicing 15, 20 or 25 % by turns: a little spread around espeak-ng's own whispers (17 and 20).
        var files = whispered.Select((v, i) => (v, WhisperedVariant(espeak.VariantText(v[..^WhisperedSuffix.Length]), 15 + 5 * (i % 3))))
            .ToDictionary(x => x.v, x => x.Item2);
        using var copy = espeak.WithVariants(files);
        return MakeWith(s, copy.Engine, progress);
    }

    private static Summary MakeWith(Settings s, EspeakNg espeak, Action<int, int>? progress)
    {
        CheckSpeakersExist(espeak, s.Speakers);
        var watch = Stopwatch.StartNew();
        Directory.CreateDirectory(s.OutDir);
        var jobs = new List<(string Split, int Index)>();
        foreach (var (split, count) in new[] { ("train", s.Train), ("val", s.Val), ("test", s.Test) })
        {
            if (count > 0) Directory.CreateDirectory(Path.Combine(s.OutDir, split));
            for (int i = 0; i < count; i++) jobs.Add((split, i));
        }
        var clips = new SpokenPhrasesClip[jobs.Count];
        var resampler = new Lazy<Resampler>(() => new Resampler(22050, s.SampleRate));
        int done = 0;
        Parallel.For(0, jobs.Count, new ParallelOptions { MaxDegreeOfParallelism = s.Jobs }, j =>
        {
            var (split, index) = jobs[j];
            clips[j] = MakeClip(s, espeak, split, index, resampler);
            int n = Interlocked.Increment(ref done);
            progress?.Invoke(n, jobs.Count);
        });
        AtomicFile.WriteAllText(Path.Combine(s.OutDir, SpokenPhrasesManifest.FileName), SpokenPhrasesManifest.Format(clips));
        if (s.Archive is not null) WriteArchive(s.OutDir, clips, s.Archive);
        return new Summary(clips, watch.Elapsed, espeak.Version);
    }

    private static SpokenPhrasesClip MakeClip(Settings s, EspeakNg espeak, string split, int index, Lazy<Resampler> resampler22k)
    {
        var speakers = s.Speakers.First(x => x.Split == split);
        // Its own stream per (seed, split, index): the same clip whatever the order or number of jobs.
        var rng = new Rng(s.Seed * 0x9E3779B97F4A7C15UL + (ulong)(Array.IndexOf(["train", "val", "test"], split) + 1) * 0x100000000UL + (ulong)index);
        int words = MinWords + rng.NextInt(MaxWords - MinWords + 1);
        var phrase = new string[words];
        for (int w = 0; w < words; w++) phrase[w] = SpokenPhrases.Vocabulary[rng.NextInt(SpokenPhrases.Vocabulary.Count)];
        string transcript = string.Join(' ', phrase);
        string voice = speakers.Voices[rng.NextInt(speakers.Voices.Length)];
        string variant = speakers.Variants[rng.NextInt(speakers.Variants.Length)];
        int speed = MinSpeed + rng.NextInt(MaxSpeed - MinSpeed + 1);
        int pitch = MinPitch + rng.NextInt(MaxPitch - MinPitch + 1);
        double snr = MinSnrDb + (MaxSnrDb - MinSnrDb) * rng.NextFloat();
        bool pink = rng.NextFloat() < 0.5f;
        double peak = MinPeak + (MaxPeak - MinPeak) * rng.NextFloat();
        int lead = rng.NextInt((int)(MaxLeadSeconds * s.SampleRate) + 1);

        var spoken = espeak.Speak(transcript, voice, variant, speed, pitch);
        float[] speech = spoken.SampleRate == s.SampleRate ? spoken.Samples
            : spoken.SampleRate == 22050 ? resampler22k.Value.Process(spoken.Samples)
            : new Resampler(spoken.SampleRate, s.SampleRate).Process(spoken.Samples);
        var clip = new float[lead + speech.Length];
        speech.CopyTo(clip, lead);
        float max = 0;
        foreach (float x in clip) max = Math.Max(max, Math.Abs(x));
        if (max > 0) System.Numerics.Tensors.TensorPrimitives.Multiply(clip, (float)(peak / max), clip);
        AddNoise(clip, snr, pink, rng);

        string path = $"{split}/{index:D5}.wav";
        WavWriter.Write(Path.Combine(s.OutDir, path), clip, s.SampleRate, s.Bits);
        return new SpokenPhrasesClip(path, transcript, voice, variant, speed, pitch, Math.Round(snr, 1), pink ? "pink" : "white", s.SampleRate, clip.Length, split);
    }

    /// <summary>
    /// Adds white or pink noise at <paramref name="snrDb"/> below the clip's mean power (over the whole clip, pauses
    /// included), then scales the sum down if it would clip. Pink noise is Paul Kellet's refined filter of white noise
    /// (−3 dB per octave within ±0.05 dB from 9 Hz to Nyquist at 44.1 kHz; at 16 kHz its corners move down, still pink-like).
    /// </summary>
    private static void AddNoise(float[] clip, double snrDb, bool pink, Rng rng)
    {
        double power = 0;
        foreach (float x in clip) power += (double)x * x;
        power /= Math.Max(1, clip.Length);
        var noise = new float[clip.Length];
        double b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
        for (int i = 0; i < noise.Length; i++)
        {
            double w = rng.NextNormal();
            if (!pink) { noise[i] = (float)w; continue; }
            b0 = 0.99886 * b0 + w * 0.0555179; b1 = 0.99332 * b1 + w * 0.0750759; b2 = 0.96900 * b2 + w * 0.1538520;
            b3 = 0.86650 * b3 + w * 0.3104856; b4 = 0.55000 * b4 + w * 0.5329522; b5 = -0.7616 * b5 - w * 0.0168980;
            noise[i] = (float)(b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362);
            b6 = w * 0.115926;
        }
        double noisePower = 0;
        foreach (float n in noise) noisePower += (double)n * n;
        noisePower /= Math.Max(1, noise.Length);
        if (power <= 0 || noisePower <= 0) return;
        float scale = (float)Math.Sqrt(power / Math.Pow(10, snrDb / 10) / noisePower);
        float max = 0;
        for (int i = 0; i < clip.Length; i++) max = Math.Max(max, Math.Abs(clip[i] += scale * noise[i]));
        if (max > 0.99f) System.Numerics.Tensors.TensorPrimitives.Multiply(clip, 0.99f / max, clip);
    }

    /// <summary>espeak-ng falls back to its default voice, silently, for a name it lacks: every name is checked first.</summary>
    private static void CheckSpeakersExist(EspeakNg espeak, IReadOnlyList<SplitSpeakers> speakers)
    {
        var variants = espeak.Variants();
        var voices = espeak.Voices("en");
        var missing = speakers.SelectMany(s => s.Variants).Where(v => !variants.Contains(v)).Select(v => "variant " + v)
            .Concat(speakers.SelectMany(s => s.Voices).Where(v => !voices.Contains(v)).Select(v => "voice " + v)).ToList();
        if (missing.Count > 0)
            throw new UserException($"This espeak-ng ({espeak.Version}) lacks {ErrorText.List(missing)}; the recipe was made with espeak-ng 1.51 (Debian 12).");
    }

    /// <summary>manifest.tsv and the clips' files as a .tar.gz with fixed owners, modes and times (a rerun gives the same bytes).</summary>
    private static void WriteArchive(string dir, IReadOnlyList<SpokenPhrasesClip> clips, string archive)
    {
        AtomicFile.Write(archive, stream =>
        {
            using var gzip = new GZipStream(stream, CompressionLevel.SmallestSize, leaveOpen: true);
            using var tar = new TarWriter(gzip, TarEntryFormat.Ustar, leaveOpen: true);
            foreach (string path in clips.Select(c => c.Path).Prepend(SpokenPhrasesManifest.FileName))
            {
                var entry = new UstarTarEntry(TarEntryType.RegularFile, path)
                {
                    ModificationTime = DateTimeOffset.UnixEpoch,
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                    Uid = 0, Gid = 0, UserName = "", GroupName = "",
                    DataStream = new MemoryStream(File.ReadAllBytes(Path.Combine(dir, path))),
                };
                tar.WriteEntry(entry);
            }
        });
    }
}
