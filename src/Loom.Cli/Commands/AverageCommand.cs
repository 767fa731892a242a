using System.CommandLine;
using Loom.Recipes;
using Loom.Serialization;

namespace Loom.Cli.Commands;

/// <summary>
/// <c>loom average --out FILE a.safetensors b.safetensors …</c>: the element-wise mean of saved models of one
/// architecture (checkpoint averaging, e.g. of a run's last epochs saved with <c>--checkpoint</c>), written as a model
/// that <c>loom eval</c>, <c>transcribe</c> and <c>export</c> take. See <see cref="ModelAverage"/>.
/// </summary>
internal static class AverageCommand
{
    public static Command Create()
    {
        var models = new Argument<string[]>("models") { Description = "Two or more saved models or checkpoints (.safetensors) of one architecture.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out", "-o") { Description = "The .safetensors model to write.", Required = true };
        var command = new Command("average", "Average the weights of saved models of one architecture (e.g. a run's last epochs).") { models, output };
        CommandRunner.SetAction(command, parse =>
        {
            var paths = parse.GetValue(models)!;
            foreach (var p in paths)
                if (!ModelSources.IsSavedModel(p)) throw new UserException($"'{p}' is not a saved model (.safetensors or .onnx).");
            string path = parse.GetValue(output)!;
            CliOptions.RequireModelFile(path, "--out");
            var averaged = ModelAverage.Average(paths);
            ModelFile.Save(path, averaged.Model, averaged.Spec, averaged.Metadata);
            Console.WriteLine($"Wrote {path}: the mean of {paths.Length} {averaged.Spec.Name} models ({averaged.Model.ParameterCount():N0} parameters).");
            return 0;
        });
        return command;
    }
}
