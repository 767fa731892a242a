using Loom.Recipes;
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Loom.Data;
using Loom.Serialization;
using Loom.Training;
using StbImageSharp;

namespace Loom.Cli.Commands;

/// <summary><c>loom predict --model FILE (--image PNG | --index I)</c>: the most likely classes for one sample.</summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model("Saved model (.safetensors) written by loom train.");
        var image = new Option<string?>("--image", "-i") { Description = "A grayscale image file (PNG) of the model's input size, e.g. 28×28 for Fashion-MNIST models: light object on a dark background." };
        var invert = new Option<bool>("--invert") { Description = "Invert the image first (for a dark object on a light background)." };
        var index = new Option<int?>("--index") { Description = "Predict test sample number I of --data instead of an image." };
        var data = CliOptions.Data("fashion-mnist-mini");
        var dataDir = CliOptions.DataDir();
        var top = new Option<int>("--top") { Description = "How many classes to list.", DefaultValueFactory = _ => 3 };
        var json = CliOptions.Json();
        var command = new Command("predict", "Classify one image or one dataset sample with a saved model.") { model, image, invert, index, data, dataDir, top, json };
        CommandRunner.SetAction(command, parse =>
        {
            string? imagePath = parse.GetValue(image);
            int? sampleIndex = parse.GetValue(index);
            if ((imagePath is null) == (sampleIndex is null)) throw new UserException("Give either --image FILE or --index I (one of them).");
            var loaded = ModelSource.Saved(parse.GetValue(model)!);
            var spec = loaded.Spec;
            var (features, label, source) = imagePath is not null
                ? (ReadImage(imagePath, spec, parse.GetValue(invert)), (int?)null, imagePath)
                : TestSample(spec, parse.GetValue(data)!, parse.GetValue(dataDir), sampleIndex!.Value);
            foreach (var t in DataSets.Preprocessing(spec, training: false)) t.Apply(features, spec.InputShape, new Rng(0));
            var probs = Evaluator.PredictProbabilities(loaded.Model, new Tensor(features, [1, .. spec.InputShape]));
            int k = Math.Clamp(parse.GetValue(top), 1, spec.Classes);
            var ranked = Enumerable.Range(0, spec.Classes).OrderByDescending(c => probs.Data[c]).Take(k).ToList();
            string Name(int c) => spec.ClassNames?[c] ?? c.ToString(CultureInfo.InvariantCulture);
            if (parse.GetValue(json))
            {
                var o = new JsonObject
                {
                    ["source"] = source,
                    ["prediction"] = ranked[0],
                    ["class_name"] = Name(ranked[0]),
                    ["top"] = new JsonArray(ranked.Select(c => (JsonNode)new JsonObject { ["class"] = c, ["name"] = Name(c), ["probability"] = JsonOutput.Number(probs.Data[c]) }).ToArray()),
                };
                if (label is int l) o["label"] = l;
                JsonOutput.Write(o);
            }
            else
            {
                Console.WriteLine($"{source}: {Name(ranked[0])}" + (label is int l ? $" (true label: {Name(l)})" : ""));
                foreach (var c in ranked) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {probs.Data[c],7:P2}  {Name(c)}"));
            }
            return 0;
        });
        return command;
    }

    /// <summary>Test sample <paramref name="i"/> of <paramref name="data"/>, its label and how to name it.</summary>
    internal static (float[] Features, int? Label, string Source) TestSample(ModelSpec spec, string data, string? dataDir, int i)
    {
        var sets = DataSets.Load(data, dataDir);
        DataSets.CheckFits(spec, sets.Test, sets.Name);
        if (i < 0 || i >= sets.Test.Count) throw new UserException($"--index {i} is outside the {sets.Test.Count} test samples of {sets.Name} (0..{sets.Test.Count - 1}).");
        var features = new float[spec.InputShape.Aggregate(1, (a, b) => a * b)];
        int label = sets.Test.GetLabeled(i, features);
        return (features, label, $"{sets.Name} test sample {i}");
    }

    /// <summary>Reads an image as grayscale in [0, 1]; it must match the model's (1, H, W) input.</summary>
    internal static float[] ReadImage(string path, ModelSpec spec, bool invert)
    {
        if (!File.Exists(path)) throw new UserException($"Image file '{path}' does not exist.");
        if (spec.InputShape.Length != 3 || spec.InputShape[0] != 1)
            throw new UserException($"Model '{spec.Name}' takes input ({string.Join(", ", spec.InputShape)}), not a grayscale image.");
        int h = spec.InputShape[1], w = spec.InputShape[2];
        ImageResult img;
        try
        {
            using var stream = File.OpenRead(path);
            img = ImageResult.FromStream(stream, ColorComponents.Grey);
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException or ArgumentException or IndexOutOfRangeException)
        {
            throw new UserException($"'{path}' is not a readable image ({e.Message}).");
        }
        if (img is null) throw new UserException($"'{path}' is not a readable image.");
        if (img.Width != w || img.Height != h)
            throw new UserException($"Image '{path}' is {img.Width}×{img.Height} pixels; model '{spec.Name}' needs {w}×{h}.");
        var features = new float[w * h];
        for (int i = 0; i < features.Length; i++)
        {
            float v = img.Data[i] / 255f;
            features[i] = invert ? 1f - v : v;
        }
        return features;
    }
}
