using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Loom.Audio;
using Loom.Speech;

namespace Loom.Cli.Commands;

/// <summary>
/// <c>loom transcribe --model FILE clip.wav [more.wav …] [--beam 8] [--words spoken-phrases] [--json]</c>: speech to
/// text with a trained transcriber, one line (or one JSON object) per clip, with the real-time factor. WAV files of any
/// rate, 8/16/24/32-bit PCM or float, mono or stereo are read; anything else gets one message naming the file.
/// </summary>
internal static class TranscribeCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model("A trained transcriber (.safetensors from loom train --model speech-crnn, speech-bilstm or speech-cnn).");
        var clips = new Argument<string[]>("clips") { Description = "WAV files to transcribe.", Arity = ArgumentArity.OneOrMore };
        var beam = SpeechOptions.Beam();
        var words = SpeechOptions.Words();
        var threads = CliOptions.Threads();
        var json = CliOptions.Json();
        var command = new Command("transcribe", "Transcribe WAV clips with a trained speech model.") { model, clips, beam, words, threads, json };
        CommandRunner.SetAction(command, parse =>
        {
            CliOptions.ApplyThreads(parse.GetValue(threads));
            int width = parse.GetValue(beam);
            if (width < 0) throw new UserException($"--beam must be 0 (greedy) or more, got {width}.");
            var list = SpeechOptions.WordList(parse.GetValue(words));
            if (list is not null && width == 0) width = 8; // a word list constrains the beam: give it one
            var loaded = ModelSource.Saved(parse.GetValue(model)!);
            Transcriber transcriber;
            try { transcriber = new Transcriber(loaded.Model, loaded.Spec, width, list); }
            catch (ArgumentException e) { throw new UserException(e.Message); }
            var results = new JsonArray();
            foreach (string path in parse.GetValue(clips)!)
            {
                var audio = WavReader.Read(path);
                var t = transcriber.Transcribe(audio, $"'{path}'");
                if (parse.GetValue(json))
                    results.Add(new JsonObject
                    {
                        ["file"] = path,
                        ["text"] = t.Text,
                        ["seconds"] = JsonOutput.Number(t.AudioSeconds),
                        ["sample_rate"] = audio.SampleRate,
                        ["channels"] = audio.Channels,
                        ["decoding"] = transcriber.Decoding,
                        ["compute_seconds"] = JsonOutput.Number(t.Seconds),
                        ["real_time_factor"] = JsonOutput.Number(t.RealTimeFactor),
                    });
                else
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{path}: {t.Text}    ({t.AudioSeconds:0.00} s at {audio.SampleRate} Hz, {audio.Channels} ch; {transcriber.Decoding}, {t.Seconds * 1000:0} ms, real-time factor {t.RealTimeFactor:0.000})"));
            }
            if (parse.GetValue(json)) JsonOutput.Write(results.Count == 1 ? (JsonObject)results[0]!.DeepClone() : new JsonObject { ["clips"] = results });
            return 0;
        });
        return command;
    }
}
