using Loom.Recipes;
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Loom.Data;
using Loom.IO;
using Loom.Serialization;
using Loom.Training;
using StbImageSharp;

[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Loom.Tests")]

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
        byte[] gray = ReadGrayscale(path, File.ReadAllBytes(path), w, h, $"model '{spec.Name}'", ReaderLimits.Default);
        var features = new float[w * h];
        for (int i = 0; i < features.Length; i++)
        {
            float v = gray[i] / 255f;
            features[i] = invert ? 1f - v : v;
        }
        return features;
    }

    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>
    /// Checks the PNG signature and that every chunk's stated length fits in the bytes after it, before the decoder
    /// sees the file: the decoder grows its buffers by the lengths chunks claim, so 1.8 KB of chunks each claiming
    /// 64 KB made it allocate 33 MB. Only PNG is accepted (the option says PNG), which keeps the decoder's other
    /// formats, and their parsers, out of reach of a hostile file.
    /// </summary>
    private static void CheckPngChunks(string path, byte[] bytes)
    {
        if (bytes.Length < 8 || !bytes.AsSpan(0, 8).SequenceEqual(PngSignature))
            throw new InvalidDataException($"'{path}' is not a PNG file: it does not start with the 8-byte PNG signature.");
        long offset = 8;
        while (offset < bytes.Length)
        {
            if (bytes.Length - offset < 12)
                throw new InvalidDataException($"'{path}' is not a readable image: truncated chunk at byte {offset} ({bytes.Length - offset} bytes left, a chunk needs at least 12).");
            uint length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan((int)offset));
            if (length > bytes.Length - offset - 12)
                throw new InvalidDataException($"'{path}' is not a readable image: the chunk at byte {offset} claims {length} bytes, the file has {bytes.Length - offset - 12} after its header.");
            bool end = bytes.AsSpan((int)offset + 4, 4).SequenceEqual("IEND"u8);
            offset += 12 + length;
            if (end) break;
        }
    }

    /// <summary>
    /// Decodes PNG bytes to one byte per pixel, after checking the size
    /// the header states against <paramref name="width"/>×<paramref name="height"/> and the pixel limit, so a
    /// hostile header never makes the decoder allocate for a huge image.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not a readable image of that size; the message names <paramref name="path"/>.</exception>
    internal static byte[] ReadGrayscale(string path, byte[] bytes, int width, int height, string wanted, ReaderLimits limits)
    {
        // Messages from deeper down quote file content; the entry point lets out only clean, bounded ones (ErrorText.Bounded).
        try { return ReadGrayscaleCore(path, bytes, width, height, wanted, limits); }
        catch (InvalidDataException e) when (!Loom.IO.ErrorText.IsClean(e.Message)) { throw Loom.IO.ErrorText.Bounded(e); }
    }

    private static byte[] ReadGrayscaleCore(string path, byte[] bytes, int width, int height, string wanted, ReaderLimits limits)
    {
        CheckPngChunks(path, bytes);
        ImageInfo? info;
        ImageResult? img;
        try
        {
            using (var header = new MemoryStream(bytes, writable: false)) info = ImageInfo.FromStream(header);
            if (info is not ImageInfo i) throw new InvalidDataException($"'{path}' is not a readable image (no image header found).");
            if ((long)i.Width * i.Height > limits.MaxImagePixels || i.Width <= 0 || i.Height <= 0)
                throw new InvalidDataException($"Image '{path}' claims {i.Width}×{i.Height} pixels, above the limit of {limits.MaxImagePixels} (ReaderLimits.MaxImagePixels).");
            if (i.Width != width || i.Height != height)
                throw new InvalidDataException($"Image '{path}' is {i.Width}×{i.Height} pixels; {wanted} needs {width}×{height}.");
            img = ImageResult.FromMemory(bytes, ColorComponents.Grey);
        }
        catch (InvalidDataException) { throw; }
        // The decoder is a port of C code: on hostile bytes it throws whatever its arithmetic hits (an IOException
        // from a seek, IndexOutOfRange, NullReference, Overflow), and its messages embed raw chunk bytes (NUL).
        // Every one of them means "this is not a readable image" for the file it was given.
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"'{path}' is not a readable image ({ErrorText.Clean(e.Message)}).", e);
        }
        if (img is null || img.Data is null) throw new InvalidDataException($"'{path}' is not a readable image.");
        if (img.Width != width || img.Height != height || img.Data.Length < width * height)
            throw new InvalidDataException($"Image '{path}' decodes to {img.Width}×{img.Height} pixels; {wanted} needs {width}×{height}.");
        return img.Data;
    }
}
