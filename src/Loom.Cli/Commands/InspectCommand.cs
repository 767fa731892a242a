using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Loom.Cli.Inspect;
using Loom.Data;
using Loom.Recipes;

namespace Loom.Cli.Commands;

/// <summary>
/// <c>loom inspect --model FILE (--image PNG | --index I | --text "...") --out DIR</c>: pictures of what the model
/// does with one input, and <c>DIR/report.html</c> linking them.
/// </summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model("Saved model (.safetensors) written by loom train.");
        var image = new Option<string?>("--image", "-i") { Description = "A grayscale PNG of the model's input size (image models)." };
        var invert = new Option<bool>("--invert") { Description = "Invert the image first (for a dark object on a light background)." };
        var index = new Option<int?>("--index") { Description = "Look at test sample number I of --data (image models)." };
        var data = CliOptions.Data("fashion-mnist-mini");
        var dataDir = CliOptions.DataDir();
        var text = new Option<string?>("--text") { Description = "The text to look at (text models)." };
        var textFile = new Option<string?>("--text-file") { Description = "Read the text to look at from this file (its first 20,000 characters)." };
        var target = new Option<int?>("--class") { Description = "Explain this class (saliency, Grad-CAM) instead of the predicted one." };
        var units = new Option<string?>("--units") { Description = "Hidden units to colour the text by, comma separated (default: the two that vary most, the most and the least active)." };
        var top = new Option<int>("--top") { Description = "How many classes to show.", DefaultValueFactory = _ => 5 };
        var output = new Option<string>("--out") { Description = "Folder for report.html and the pictures (created if missing).", DefaultValueFactory = _ => "inspect" };
        var threads = CliOptions.Threads();
        var command = new Command("inspect", "Show what a trained model does with one input: kernels, feature maps, saliency and Grad-CAM; hidden states, gates and surprisal; as PNGs and one HTML report.")
        {
            model, image, invert, index, data, dataDir, text, textFile, target, units, top, output, threads,
        };
        CommandRunner.SetAction(command, parse =>
        {
            CliOptions.ApplyThreads(parse.GetValue(threads));
            var clock = Stopwatch.StartNew();
            var loaded = ModelSource.Saved(parse.GetValue(model)!);
            var spec = loaded.Spec;
            string? imagePath = parse.GetValue(image), sample = parse.GetValue(text) ?? ReadText(parse.GetValue(textFile));
            int? sampleIndex = parse.GetValue(index);
            string outDir = parse.GetValue(output)!;
            Directory.CreateDirectory(outDir);
            var page = new ReportPage($"Inside {spec.Name}");
            page.Paragraph($"{spec.Name}: {loaded.Model.ParameterCount():N0} parameters, input (N, {string.Join(", ", spec.InputShape)}), {spec.Classes} classes.");
            if (spec.Vocabulary is not null)
            {
                if (imagePath is not null || sampleIndex is not null) throw new UserException($"Model '{spec.Name}' reads text: give --text \"...\", not an image.");
                TextInspection.Write(page, loaded.Model, spec, sample ?? throw new UserException($"Model '{spec.Name}' reads text: give --text \"...\"."),
                    ParseUnits(parse.GetValue(units)), parse.GetValue(top), outDir);
            }
            else
            {
                if (sample is not null) throw new UserException($"Model '{spec.Name}' reads images of shape ({string.Join(", ", spec.InputShape)}): give --image or --index, not --text.");
                var (features, label, source) = imagePath is not null
                    ? (PredictCommand.ReadImage(imagePath, spec, parse.GetValue(invert)), (int?)null, imagePath)
                    : PredictCommand.TestSample(spec, parse.GetValue(data)!, parse.GetValue(dataDir), sampleIndex ?? 0);
                foreach (var t in DataSets.Preprocessing(spec, training: false)) t.Apply(features, spec.InputShape, new Rng(0));
                ImageInspection.Write(page, loaded.Model, spec, features, label, source, parse.GetValue(target), parse.GetValue(top), outDir);
            }
            page.Heading("The model").Raw($"<pre>{ReportPage.Encode(Nn.ModelSummary.Create(loaded.Model, spec.InputShape).ToString())}</pre>");
            string report = Path.Combine(outDir, "report.html");
            page.Save(report);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Wrote {report} and {page.Images.Count} pictures in {clock.Elapsed.TotalSeconds:F1} s."));
            return 0;
        });
        return command;
    }

    private static string? ReadText(string? path)
    {
        if (path is null) return null;
        if (!File.Exists(path)) throw new UserException($"Text file '{path}' does not exist.");
        string text = File.ReadAllText(path);
        return text.Length > 20_000 ? text[..20_000] : text;
    }

    private static int[]? ParseUnits(string? units)
    {
        if (string.IsNullOrWhiteSpace(units)) return null;
        try { return units.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(u => int.Parse(u, CultureInfo.InvariantCulture)).ToArray(); }
        catch (FormatException) { throw new UserException($"--units must be whole numbers separated by commas, got '{units}'."); }
    }
}
