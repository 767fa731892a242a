using System.CommandLine;
using Loom.Nn;

namespace Loom.Cli.Commands;

/// <summary><c>loom summary --model NAME|spec.json|FILE</c>: layers, output shapes, parameter counts.</summary>
internal static class SummaryCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model("Built-in model name (lenet, fashion-cnn), spec .json file or saved .safetensors model.");
        var command = new Command("summary", "Print each layer with its output shape and parameter count, like Keras' summary().") { model };
        CommandRunner.SetAction(command, parse =>
        {
            var (spec, built) = ModelSource.Build(parse.GetValue(model)!);
            Console.WriteLine($"Model: {spec.Name}");
            Console.Write(ModelSummary.Create(built, spec.InputShape));
            return 0;
        });
        return command;
    }
}
