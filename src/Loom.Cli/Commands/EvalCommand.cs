using Loom.Recipes;
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Loom.Data;
using Loom.Training;

namespace Loom.Cli.Commands;

/// <summary>
/// <c>loom eval --model FILE --data NAME|PATH [--split test|val]</c>: loss and accuracy on the test split, or on the data's own
/// validation split (the spoken phrases' validation voices), which is where a choice between models (an epoch, an average)
/// is made without looking at the test.
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model("Saved model: .safetensors written by loom train, or an .onnx file.");
        var data = CliOptions.Data("fashion-mnist-mini");
        var dataDir = CliOptions.DataDir();
        var batchSize = CliOptions.BatchSize(256);
        var threads = CliOptions.Threads();
        var json = CliOptions.Json();
        var beam = SpeechOptions.Beam();
        var words = SpeechOptions.Words();
        var bySpeaker = new Option<bool>("--by-speaker") { Description = "A transcriber: also report CER and WER per speaker (voice+variant)." };
        var split = new Option<string>("--split") { Description = "The split to evaluate: test, or val (data with a validation split of its own, such as spoken-phrases).", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("test", "val");
        var command = new Command("eval", "Evaluate a saved model on a dataset's test (or validation) split.") { model, data, dataDir, batchSize, threads, json, beam, words, bySpeaker, split };
        CommandRunner.SetAction(command, parse =>
        {
            CliOptions.ApplyThreads(parse.GetValue(threads));
            int batch = parse.GetValue(batchSize);
            CliOptions.RequirePositive(batch, "--batch-size");
            var loaded = ModelSource.Saved(parse.GetValue(model)!);
            string dataName = parse.GetValue(data)!;
            bool stream = loaded.Spec.Task == Data.TaskKind.LanguageModel;
            // A language model's held-out text is cut into parallel streams, one per batch row; 32 rows
            // (the training batch of char-lstm) lose at most one chunk's tail per row.
            if (stream && parse.GetResult(batchSize) is null or { Implicit: true }) batch = 32;
            var sets = Recipe.LoadData(loaded.Spec, dataName, parse.GetValue(dataDir), batch);
            string splitName = parse.GetValue(split)!;
            var held = splitName == "val"
                ? sets.Validation ?? throw new UserException($"{sets.Name} has no validation split of its own; --split val needs one (spoken-phrases has).")
                : sets.Test;
            if (loaded.Spec.Task == TaskKind.Transcribe)
                return Transcription(loaded, sets.Name, held, splitName, batch, parse.GetValue(beam), SpeechOptions.WordList(parse.GetValue(words)), parse.GetValue(json), parse.GetValue(bySpeaker), parse.GetValue(model)!);
            var loader = Recipe.TestLoaderFor(loaded.Spec, held, batch);
            var result = Evaluator.Evaluate(loaded.Model, loader, (logits, targets) => Losses.CrossEntropy(logits, targets));
            if (parse.GetValue(json))
            {
                JsonOutput.Write(new JsonObject
                {
                    ["model"] = parse.GetValue(model),
                    ["data"] = sets.Name,
                    ["split"] = splitName,
                    ["accuracy"] = JsonOutput.Number(result.Accuracy),
                    ["loss"] = JsonOutput.Number(result.Loss),
                    ["bits_per_char"] = stream ? JsonOutput.Number(result.Loss / Math.Log(2)) : null,
                    ["samples"] = result.Samples,
                    ["eval_seconds"] = JsonOutput.Number(result.Seconds),
                });
            }
            else
            {
                Console.WriteLine(stream
                    ? string.Create(CultureInfo.InvariantCulture,
                        $"{sets.Name} held-out text: {result.Loss:F4} nats/char = {result.Loss / Math.Log(2):F4} bits/char, next-character accuracy {result.Accuracy:P2}  ({result.Samples} characters, {result.Seconds:F1}s)")
                    : string.Create(CultureInfo.InvariantCulture,
                        $"{sets.Name} {splitName}: accuracy {result.Accuracy:P2}  loss {result.Loss:F4}  ({result.Samples} {(loaded.Spec.PerStep ? "tokens" : "samples")}, {result.Seconds:F1}s)"));
            }
            return 0;
        });
        return command;
    }

    /// <summary>
    /// A transcriber's figures on <paramref name="held"/> (the test or validation split): CER and WER of greedy decoding, and of beam search when asked; word errors by kind
    /// and the most frequent substitutions; with <paramref name="bySpeaker"/>, each speaker's rates too.
    /// </summary>
    private static int Transcription(Serialization.ModelFile.Loaded loaded, string dataName, IDataset held, string splitName, int batch, int beam, IReadOnlyList<string>? words, bool json, bool bySpeaker, string modelPath)
    {
        var clips = (Speech.SpeechFeatureDataset)held;
        var greedy = new Speech.Transcriber(loaded.Model, loaded.Spec).Evaluate(clips, batch);
        var beamed = beam > 0 ? new Speech.Transcriber(loaded.Model, loaded.Spec, beam, words).Evaluate(clips, batch) : null;
        if (json)
        {
            JsonOutput.Write(new JsonObject
            {
                ["model"] = modelPath,
                ["data"] = dataName,
                ["split"] = splitName,
                ["cer"] = JsonOutput.Number(greedy.Rates.Cer),
                ["wer"] = JsonOutput.Number(greedy.Rates.Wer),
                ["word_errors"] = WordErrors(greedy.Rates),
                ["beam"] = beam > 0 ? beam : null,
                ["words"] = words is null ? null : words.Count,
                ["beam_cer"] = beamed is null ? null : JsonOutput.Number(beamed.Rates.Cer),
                ["beam_wer"] = beamed is null ? null : JsonOutput.Number(beamed.Rates.Wer),
                ["beam_word_errors"] = beamed is null ? null : WordErrors(beamed.Rates),
                ["utterances"] = greedy.Rates.Utterances,
                ["audio_seconds"] = JsonOutput.Number(greedy.AudioSeconds),
                ["eval_seconds"] = JsonOutput.Number(greedy.Seconds),
                ["beam_eval_seconds"] = beamed is null ? null : JsonOutput.Number(beamed.Seconds),
                ["speakers"] = bySpeaker ? Speakers(greedy, beamed) : null,
            });
            return 0;
        }
        Console.WriteLine($"{dataName} {splitName}, greedy: {greedy.Rates}  ({greedy.Seconds:F1}s for {greedy.AudioSeconds:F0}s of audio)");
        if (beamed is not null)
            Console.WriteLine($"{dataName} {splitName}, beam {beam}{(words is null ? "" : $" + {words.Count} words")}: {beamed.Rates}  ({beamed.Seconds:F1}s)");
        var last = beamed ?? greedy;
        if (bySpeaker)
        {
            Console.WriteLine($"per speaker ({(beamed is null ? "greedy" : "beam")}), worst first:");
            foreach (var (speaker, rates) in last.BySpeaker.OrderByDescending(s => s.Value.Wer).ThenBy(s => s.Key, StringComparer.Ordinal))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {speaker,-28} WER {rates.Wer,7:P2} ({rates.WordEdits}/{rates.ReferenceWords})  CER {rates.Cer,7:P2}  {rates.Utterances} clips"));
        }
        var top = last.Rates.TopSubstitutions(CommonSubstitutions);
        if (top.Count > 0)
            Console.WriteLine($"most often heard wrong ({(beamed is null ? "greedy" : "beam")}): {string.Join(", ", top.Select(t => $"{t.Said} → {t.Heard} ×{t.Count}"))}");
        return 0;
    }

    /// <summary>How many substituted word pairs the text report names.</summary>
    private const int CommonSubstitutions = 8;

    /// <summary>Each test speaker's clips, CER and WER (greedy, and beam when run), for <c>--json</c>.</summary>
    private static JsonArray Speakers(Speech.TranscriptionScore greedy, Speech.TranscriptionScore? beamed)
    {
        var speakers = new JsonArray();
        foreach (var (speaker, rates) in greedy.BySpeaker)
        {
            var beam = beamed?.BySpeaker[speaker];
            speakers.Add(new JsonObject
            {
                ["speaker"] = speaker,
                ["utterances"] = rates.Utterances,
                ["cer"] = JsonOutput.Number(rates.Cer),
                ["wer"] = JsonOutput.Number(rates.Wer),
                ["beam_cer"] = beam is null ? null : JsonOutput.Number(beam.Cer),
                ["beam_wer"] = beam is null ? null : JsonOutput.Number(beam.Wer),
            });
        }
        return speakers;
    }

    /// <summary>A decoding's word errors by kind, and its most frequent substitutions, for <c>--json</c>.</summary>
    private static JsonObject WordErrors(Speech.ErrorRates rates)
    {
        var common = new JsonArray();
        foreach (var (said, heard, count) in rates.TopSubstitutions(CommonSubstitutions))
            common.Add(new JsonObject { ["said"] = said, ["heard"] = heard, ["count"] = count });
        return new JsonObject
        {
            ["substitutions"] = rates.WordSubstitutions,
            ["deletions"] = rates.WordDeletions,
            ["insertions"] = rates.WordInsertions,
            ["reference_words"] = rates.ReferenceWords,
            ["common_substitutions"] = common,
        };
    }
}
