using Loom.Recipes;
using System.CommandLine;
using Loom.Data;

namespace Loom.Cli.Commands;

/// <summary>
/// <c>loom data download|info|make NAME</c>: fetch a dataset into the cache, say where it is and what it holds, or
/// generate one (spoken-phrases, with espeak-ng).
/// </summary>
internal static class DataCommand
{
    public static Command Create()
    {
        var command = new Command("data", "Download datasets or show what is available.");

        var name = new Argument<string>("name") { Description = "Dataset name (fashion-mnist)." };
        var dir = new Option<string?>("--dir") { Description = "Download into this folder instead of the user cache." };
        var download = new Command("download", "Download a dataset into the user cache (checksums verified).") { name, dir };
        CommandRunner.SetAction(download, parse =>
        {
            string n = parse.GetValue(name)!;
            if (n != "fashion-mnist") throw new UserException($"Only 'fashion-mnist' can be downloaded; '{n}' is {(n == "fashion-mnist-mini" ? "embedded in Loom already" : "not a known dataset")}.");
            string folder = FashionMnist.Download(parse.GetValue(dir));
            Console.WriteLine($"Fashion-MNIST is in {folder}");
            return 0;
        });

        var infoName = new Argument<string>("name") { Description = "Dataset name (fashion-mnist-mini, fashion-mnist, spoken-phrases, moby-dick, brown, spam-assassin, or their -mini samples)." };
        var dataDir = CliOptions.DataDir();
        var info = new Command("info", "Show where a dataset is found and how many samples it has.") { infoName, dataDir };
        CommandRunner.SetAction(info, parse =>
        {
            string dataName = parse.GetValue(infoName)!;
            if (Text.TextCorpora.Contains(dataName))
            {
                var corpus = Text.TextCorpora.Load(dataName, parse.GetValue(dataDir));
                string unit = corpus.Kind switch { Data.TaskKind.LanguageModel => "characters", Data.TaskKind.Tag => "sentences", _ => "documents" };
                Console.WriteLine($"{corpus.Name} ({corpus.Location}): {corpus.Description}; {corpus.TrainCount:N0} train / {corpus.TestCount:N0} test {unit}");
                if (corpus.Kind == Data.TaskKind.Classify)
                {
                    string Counts(IReadOnlyList<Text.LabeledText> docs) => string.Join(", ", corpus.ClassNames.Select((c, i) => $"{docs.Count(d => d.Label == i):N0} {c}"));
                    Console.WriteLine($"train: {Counts(corpus.LabeledTrain)}; test: {Counts(corpus.LabeledTest)}");
                }
                else if (corpus.ClassNames.Count > 0) Console.WriteLine($"{corpus.ClassNames.Count} classes: " + string.Join(", ", corpus.ClassNames.Take(40)) + (corpus.ClassNames.Count > 40 ? ", …" : ""));
                return 0;
            }
            if (dataName.Trim().StartsWith(SpokenPhrases.Name, StringComparison.OrdinalIgnoreCase))
            {
                var speech = dataName.Trim().Equals(SpokenPhrases.MiniName, StringComparison.OrdinalIgnoreCase)
                    ? SpokenPhrases.LoadMini() : SpokenPhrases.Load(parse.GetValue(dataDir));
                Console.WriteLine($"{dataName} ({speech.Location}): {speech.Clips.Count:N0} clips at {SpokenPhrases.SampleRate} Hz, transcripts of {SpokenPhrases.Vocabulary.Count} words");
                foreach (string split in SpokenPhrasesManifest.Splits)
                {
                    var clips = speech.Split(split);
                    if (clips.Count == 0) continue;
                    Console.WriteLine($"{split}: {clips.Count:N0} clips, {speech.Seconds(split) / 60:0.0} min, {speech.Speakers(split).Count} speakers ({string.Join(", ", speech.Speakers(split).Take(6))}{(speech.Speakers(split).Count > 6 ? ", …" : "")})");
                }
                return 0;
            }
            var sets = DataSets.Load(dataName, parse.GetValue(dataDir));
            Console.WriteLine($"{sets.Name}: {sets.Train.Count:N0} train / {sets.Test.Count:N0} test samples of shape ({string.Join(", ", sets.Train.SampleShape)}), {sets.Train.ClassCount} classes");
            if (sets.ClassNames is not null) Console.WriteLine("classes: " + string.Join(", ", sets.ClassNames));
            return 0;
        });

        command.Subcommands.Add(download);
        command.Subcommands.Add(info);
        command.Subcommands.Add(Make());
        return command;
    }

    /// <summary><c>loom data make spoken-phrases --out DIR</c>: renders the speech set with espeak-ng (see <see cref="SpokenPhrasesMaker"/>).</summary>
    private static Command Make()
    {
        var name = new Argument<string>("name") { Description = "What to make: spoken-phrases." };
        var output = new Option<string>("--out") { Description = "Folder for the WAV files and manifest.tsv (e.g. ~/.cache/loom/spoken-phrases, where --data-dir defaults).", Required = true };
        var count = new Option<int>("--count") { Description = "Clips in all, split 6:1:1 into train, val and test.", DefaultValueFactory = _ => 8000 };
        var counts = new Option<string?>("--counts") { Description = "Clips per split as TRAIN,VAL,TEST (overrides --count), e.g. 240,0,60." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of every random choice.", DefaultValueFactory = _ => 1 };
        var rate = new Option<int>("--rate") { Description = "Sample rate of the files written (Hz).", DefaultValueFactory = _ => SpokenPhrases.SampleRate };
        var bits = new Option<int>("--bits") { Description = "Bits per sample of the files written: 16 or 8.", DefaultValueFactory = _ => 16 };
        var jobs = new Option<int>("--jobs") { Description = "espeak-ng processes at once.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var archive = new Option<string?>("--archive") { Description = "Also pack manifest.tsv and the clips into this .tar.gz (how the embedded sample is made)." };
        var espeak = new Option<string>("--espeak") { Description = "The espeak-ng program.", DefaultValueFactory = _ => "espeak-ng" };
        var speakers = new Option<string>("--speakers") { Description = "Training speakers: standard (5 accents × 17 variants, the embedded sample's recipe), wide (the same accents × 91 variants) or wide-whisper (wide and whispered renderings of 20 of its variants: 111); validation and test speakers are the same in all.", DefaultValueFactory = _ => "standard" };
        speakers.AcceptOnlyFromAmong([.. SpokenPhrasesMaker.Recipes.Keys]);
        var make = new Command("make", "Generate a data set: spoken-phrases, rendered by espeak-ng.") { name, output, count, counts, seed, rate, bits, jobs, archive, espeak, speakers };
        CommandRunner.SetAction(make, parse =>
        {
            string what = parse.GetValue(name)!;
            if (!what.Equals(SpokenPhrases.Name, StringComparison.OrdinalIgnoreCase))
                throw new UserException($"Only '{SpokenPhrases.Name}' can be made; '{what}' is {(DatasetRegistry.Contains(what) || Text.TextCorpora.Contains(what) ? "read, not made" : "not a known dataset")}.");
            int total = parse.GetValue(count);
            (int train, int val, int test) = (total - 2 * (total / 8), total / 8, total / 8);
            if (parse.GetValue(counts) is string text)
            {
                string[] parts = text.Split(',');
                if (parts.Length != 3 || !int.TryParse(parts[0], out train) || !int.TryParse(parts[1], out val) || !int.TryParse(parts[2], out test) || train < 0 || val < 0 || test < 0)
                    throw new UserException($"--counts '{text}' is not TRAIN,VAL,TEST (three counts, e.g. 6000,1000,1000).");
            }
            if (train + val + test <= 0) throw new UserException("Nothing to make: the counts are all 0.");
            int sampleRate = parse.GetValue(rate), depth = parse.GetValue(bits), parallel = parse.GetValue(jobs);
            if (sampleRate is < 8000 or > 48000) throw new UserException($"--rate {sampleRate}: speech is made at 8,000 to 48,000 Hz.");
            if (depth is not (8 or 16)) throw new UserException($"--bits {depth}: the files are 8- or 16-bit PCM.");
            if (parallel < 1) throw new UserException($"--jobs {parallel}: at least 1.");
            var settings = new SpokenPhrasesMaker.Settings(parse.GetValue(output)!, train, val, test, parse.GetValue(seed), sampleRate, depth, parallel, parse.GetValue(archive), parse.GetValue(speakers)!);
            var engine = EspeakNg.Find(parse.GetValue(espeak)!);
            Console.Error.WriteLine($"Rendering {train + val + test:N0} clips with {engine.Version} into {settings.OutDir} ({parallel} at once)…");
            int step = Math.Max(1, (train + val + test) / 20);
            var summary = SpokenPhrasesMaker.Make(settings, engine, (n, all) => { if (n % step == 0 || n == all) Console.Error.WriteLine($"  {n:N0} / {all:N0}"); });
            foreach (string split in SpokenPhrasesManifest.Splits)
            {
                var clips = summary.Clips.Where(c => c.Split == split).ToList();
                if (clips.Count == 0) continue;
                Console.WriteLine($"{split}: {clips.Count:N0} clips, {clips.Sum(c => c.Seconds) / 3600:0.000} h, {clips.Select(c => c.Speaker).Distinct().Count()} speakers");
            }
            Console.WriteLine($"Made {summary.Clips.Count:N0} clips ({summary.Clips.Sum(c => c.Seconds) / 3600:0.000} h of audio) in {summary.Elapsed.TotalSeconds:0.0} s: {Path.Combine(settings.OutDir, SpokenPhrasesManifest.FileName)}{(settings.Archive is null ? "" : $" and {settings.Archive}")}");
            return 0;
        });
        return make;
    }
}
