using Loom.Data;
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Loom.Models;
using Loom.Serialization;
using Loom.Text;

namespace Loom.Cli.Commands;

/// <summary><c>loom generate --model FILE --prompt TEXT</c>: continues a prompt with a trained character language model.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model("Saved language model (.safetensors), e.g. trained with loom train --model char-lstm --data moby-dick.");
        var prompt = new Option<string>("--prompt", "-p") { Description = "Text to continue.", DefaultValueFactory = _ => "The " };
        var length = new Option<int>("--length", "-n") { Description = "Characters to generate.", DefaultValueFactory = _ => 300 };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature: below 1 is safer, above 1 more varied, 0 always takes the likeliest character.", DefaultValueFactory = _ => 0.8f };
        var seed = new Option<int>("--seed", "-s") { Description = "Seed of the sampling.", DefaultValueFactory = _ => 1 };
        var threads = CliOptions.Threads();
        var json = CliOptions.Json();
        var command = new Command("generate", "Generate text with a trained character language model.") { model, prompt, length, temperature, seed, threads, json };
        CommandRunner.SetAction(command, parse =>
        {
            CliOptions.ApplyThreads(parse.GetValue(threads));
            int count = parse.GetValue(length);
            if (count < 0) throw new UserException($"--length must be 0 or more, got {count}.");
            float temp = parse.GetValue(temperature);
            if (!(temp >= 0f) || !float.IsFinite(temp)) throw new UserException($"--temperature must be 0 or more, got {temp.ToString(CultureInfo.InvariantCulture)}.");
            var loaded = ModelSource.Saved(parse.GetValue(model)!);
            var spec = loaded.Spec;
            if (spec.Task != TaskKind.LanguageModel || spec.Vocabulary is null)
                throw new UserException($"Model '{spec.Name}' is not a language model; train one with loom train --model char-lstm --data moby-dick.");
            if (spec.Tokenizer != TokenizerKind.Char)
                throw new UserException($"Model '{spec.Name}' reads {(spec.Tokenizer is TokenizerKind t ? ModelSpec.TokenizerName(t) : "no")} tokens; loom generate writes characters and needs a character model.");
            var vocabulary = Vocabulary.FromTokens(spec.Vocabulary);
            string text = parse.GetValue(prompt)!;
            if (text.Length == 0) throw new UserException("--prompt must not be empty: the model needs at least one character to start from.");
            var ids = vocabulary.Encode(Tokenizer.Tokenize(text, TokenizerKind.Char));
            var unknown = text.Where(c => !vocabulary.Contains(c.ToString())).Distinct().ToList();
            // Documented fallback: characters the model never saw are read as <unk>, with a warning.
            if (unknown.Count > 0)
                Console.Error.WriteLine($"Warning: the model's vocabulary lacks {string.Join(", ", unknown.Select(c => $"'{c}'"))}; they are read as <unk>.");
            var sampler = new LanguageModelSampler(loaded.Model, vocabulary.Count);
            var output = sampler.Generate(ids, count, temp, new Rng((ulong)parse.GetValue(seed)), [Vocabulary.Pad, Vocabulary.Unk]);
            string generated = vocabulary.Decode(output, "");
            if (parse.GetValue(json))
                JsonOutput.Write(new JsonObject { ["model"] = parse.GetValue(model), ["prompt"] = text, ["generated"] = generated, ["temperature"] = temp, ["seed"] = parse.GetValue(seed) });
            else
                Console.WriteLine(text + generated);
            return 0;
        });
        return command;
    }
}
