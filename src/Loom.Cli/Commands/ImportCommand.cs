using System.CommandLine;
using Loom.Models;
using Loom.Recipes;
using Loom.Serialization;

namespace Loom.Cli.Commands;

/// <summary>
/// <c>loom import --weights state_dict.safetensors --model lenet|spec.json|model.safetensors --out model.safetensors</c>:
/// a PyTorch state dict into a Loom model of the same layers, written as a normal Loom model file (spec and weights)
/// that <c>loom eval</c>, <c>predict</c> and <c>train</c> read. See docs/interop.md for the name table.
/// </summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var weights = new Option<string>("--weights", "-w")
        {
            Description = "PyTorch state dict as safetensors (safetensors.torch.save_file(model.state_dict(), path)).",
            Required = true,
        };
        var model = CliOptions.Model("The architecture: built-in image model name, spec .json file, or a saved model (.safetensors/.onnx) whose weights are replaced.");
        var output = new Option<string>("--out", "-o") { Description = "The Loom model file to write (.safetensors).", Required = true };
        var strict = new Option<bool>("--strict")
        {
            Description = "Refuse a file that lacks a tensor of the model or has one the model has no place for (default); with false, keep the model's own values and ignore the extras, listing both.",
            DefaultValueFactory = _ => true,
        };
        var command = new Command("import", "Load a PyTorch state dict (safetensors) into a Loom model and save it.") { weights, model, output, strict };
        CommandRunner.SetAction(command, parse =>
        {
            string name = parse.GetValue(model)!, weightsPath = parse.GetValue(weights)!, outPath = parse.GetValue(output)!;
            CliOptions.RequireModelFile(outPath, "--out");
            // A text model's embedding rows mean the tokens of a vocabulary, which a state dict does not carry.
            if (ModelZoo.Contains(name) && ModelZoo.Find(name).ReadsText)
                throw new UserException($"'{name}' reads text, and the state dict's embedding rows mean the vocabulary it was trained with, which the file does not hold; "
                    + $"pass a spec .json with that vocabulary (Vocabulary, ClassNames) or a Loom model file built with it (loom train --model {name} --data …).");
            var (spec, built) = ModelSources.Build(name);
            var report = StateDictImport.Load(built, weightsPath, parse.GetValue(strict));
            built.Eval();
            ModelFile.Save(outPath, built, spec, new Dictionary<string, string> { ["loom.imported_from"] = Path.GetFileName(weightsPath) });
            foreach (string line in report.Describe()) Console.WriteLine(line);
            Console.WriteLine($"Wrote {outPath}: {spec.Name} with the imported weights, {new FileInfo(outPath).Length:N0} bytes.");
            return 0;
        });
        return command;
    }
}
