using System.CommandLine;
using Loom.Models;
using Loom.Recipes;
using Loom.Serialization.Onnx;

namespace Loom.Cli.Commands;

/// <summary>
/// <c>loom export --model FILE --format onnx --out FILE.onnx</c>: a saved model (or a spec or built-in name, with its
/// fresh weights, to try a deployment path before training) as an ONNX model for ONNX Runtime. See docs/interop.md.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model("Saved model (.safetensors), spec .json file or built-in model name (exported with fresh weights).");
        var format = new Option<string>("--format", "-f") { Description = "Output format; onnx (IR 8, opset 17) is the one there is.", DefaultValueFactory = _ => "onnx" };
        format.AcceptOnlyFromAmong("onnx");
        var output = new Option<string>("--out", "-o") { Description = "The .onnx file to write.", Required = true };
        var vocabSize = new Option<int>("--vocab-size") { Description = "Built-in text models: the stand-in vocabulary size to build them with.", DefaultValueFactory = _ => 100 };
        var command = new Command("export", "Write a model as ONNX (runs in ONNX Runtime; normalisation folded into the graph).") { model, format, output, vocabSize };
        CommandRunner.SetAction(command, parse =>
        {
            string name = parse.GetValue(model)!;
            TextModelInputs? text = null;
            if (ModelZoo.Contains(name) && ModelZoo.Find(name).ReadsText)
            {
                CliOptions.RequirePositive(parse.GetValue(vocabSize), "--vocab-size");
                var sizing = new TextSizing();
                text = TextModels.StandIn(name, parse.GetValue(vocabSize), ModelZoo.TaskOf(name) == Data.TaskKind.LanguageModel ? sizing.SequenceLength : sizing.MaxLength);
            }
            var (spec, built) = ModelSources.Build(name, text);
            string path = parse.GetValue(output)!;
            OnnxExport.Save(built, spec, path);
            Console.WriteLine($"Wrote {path}: {spec.Name} as ONNX (IR {OnnxExport.IrVersion}, opset {OnnxExport.OpsetVersion}), {new FileInfo(path).Length:N0} bytes.");
            return 0;
        });
        return command;
    }
}
