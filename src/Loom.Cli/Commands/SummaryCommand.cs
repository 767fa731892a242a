using System.CommandLine;
using Loom.Models;
using Loom.Nn;
using Loom.Recipes;
using Loom.Text;

namespace Loom.Cli.Commands;

/// <summary>
/// <c>loom summary --model NAME|spec.json|FILE</c>: layers, output shapes, parameter counts. A built-in text model is
/// sized by the vocabulary of <c>--data</c> (a text data set) or, without it, by <c>--vocab-size</c> stand-in tokens.
/// </summary>
internal static class SummaryCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model("Built-in model name (lenet, fashion-cnn, char-lstm, …), spec .json file or saved .safetensors model.");
        var data = new Option<string?>("--data", "-d") { Description = "Text models: size the vocabulary, classes and length from this text data set (moby-dick-mini, brown-mini, spam-assassin-mini, langid, …)." };
        var dataDir = CliOptions.DataDir();
        var vocabSize = new Option<int>("--vocab-size") { Description = "Text models without --data: the vocabulary size to show them with.", DefaultValueFactory = _ => 100 };
        var command = new Command("summary", "Print each layer with its output shape and parameter count, like Keras' summary().") { model, data, dataDir, vocabSize };
        CommandRunner.SetAction(command, parse =>
        {
            string name = parse.GetValue(model)!;
            string? dataName = parse.GetValue(data);
            TextModelInputs? text = null;
            if (ModelZoo.Contains(name) && ModelZoo.Find(name).ReadsText)
            {
                var sizing = new TextSizing();
                if (dataName is not null) text = TextModels.Inputs(name, TextCorpora.Load(dataName, parse.GetValue(dataDir)), sizing);
                else
                {
                    CliOptions.RequirePositive(parse.GetValue(vocabSize), "--vocab-size");
                    text = TextModels.StandIn(name, parse.GetValue(vocabSize), ModelZoo.TaskOf(name) == Data.TaskKind.LanguageModel ? sizing.SequenceLength : sizing.MaxLength);
                }
            }
            var (spec, built) = ModelSources.Build(name, text);
            Console.WriteLine($"Model: {spec.Name}");
            Console.Write(ModelSummary.Create(built, spec.InputShape));
            return 0;
        });
        return command;
    }
}
