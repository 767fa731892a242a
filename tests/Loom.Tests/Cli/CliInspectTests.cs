using System.Text.RegularExpressions;
using StbImageSharp;
using Xunit;

namespace Loom.Tests.Cli;

/// <summary>
/// <c>loom inspect</c> end to end on small models trained here: the report links only pictures that exist, every
/// picture decodes at the size its content implies, the page's elements are balanced, and an input of the wrong
/// kind gets one clear message.
/// </summary>
public sealed partial class CliInspectTests
{
    private const string TinyCnn = """
        { "name": "tiny-cnn", "input_shape": [1, 28, 28], "classes": 10, "normalize": { "mean": [0.286], "std": [0.353] },
          "layers": [ { "type": "Conv2d", "in_channels": 1, "out_channels": 4, "kernel_size": 3, "padding": 1 }, { "type": "ReLU" },
                      { "type": "MaxPool2d", "kernel_size": 4 }, { "type": "Flatten" }, { "type": "Linear", "in_features": 196, "out_features": 10 } ] }
        """;

    [Fact]
    public void ACnnReportShowsKernelsFeatureMapsSaliencyAndGradCam()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("tiny.json"), TinyCnn);
        Train(dir, "tiny.json", "fashion-mnist-mini", "cnn.safetensors");
        var r = LoomProcess.Run(dir.Path, "inspect", "--model", "cnn.safetensors", "--index", "5", "--out", "report");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var images = CheckReport(dir.File("report"));
        Assert.Equal(["input.png", "kernels.png", "feature-maps-0.png", "saliency.png", "grad-cam.png"], images);
        // 4 kernels of 3×3 at 14 pixels a value, 2-pixel gaps: 4·(42 + 2) + 2 wide, 42 + 4 high.
        AssertSize(dir.File("report/kernels.png"), 178, 46);
        AssertSize(dir.File("report/feature-maps-0.png"), 4 * (28 * 2 + 2) + 2, 28 * 2 + 4);
        AssertSize(dir.File("report/grad-cam.png"), 224, 224);
    }

    [Fact]
    public void ARecurrentTextReportShowsHiddenUnitsGatesAndSurprisal()
    {
        using var dir = new TempFolder();
        Train(dir, "char-rnn", "moby-dick-mini", "lm.safetensors", "--seq-len", "50");
        var r = LoomProcess.Run(dir.Path, "inspect", "--model", "lm.safetensors", "--text", "Call me Ishmael. Some years ago", "--units", "3,7", "--out", "report");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var images = CheckReport(dir.File("report"));
        Assert.Equal(["gate-h.png"], images);
        // 256 units × 31 characters, at the scale that keeps the map about 600 pixels wide at most.
        int scale = Math.Clamp(600 / 31, 2, 8);
        AssertSize(dir.File("report/gate-h.png"), 31 * scale + 4, 256 * scale + 4);
        string html = File.ReadAllText(dir.File("report/report.html"));
        Assert.Contains("bits per character", html);
        Assert.Contains("Unit 7 (chosen)", html);
        Assert.Contains("<svg", html);

        var wrong = LoomProcess.Run(dir.Path, "inspect", "--model", "lm.safetensors", "--index", "0");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Equal("error: Model 'char-rnn' reads text: give --text \"...\", not an image.", wrong.Stderr.Trim());
    }

    [Fact]
    public void TrainWritesAReportOfCurvesScheduleConfusionAndMistakes()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("tiny.json"), TinyCnn);
        var r = LoomProcess.Run(dir.Path, "train", "--model", "tiny.json", "--data", "fashion-mnist-mini", "--epochs", "2", "--report", "run");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"Report: {Path.Combine("run", "report.html")}", r.Stdout);
        var images = CheckReport(dir.File("run"));
        Assert.Equal(["loss.png", "accuracy.png", "learning-rate.png", "confusion.png", "wrong.png"], images);
        AssertSize(dir.File("run/confusion.png"), 10 * 24 + 4, 10 * 24 + 4);
        // 16 wrong images of 28×28 at 3 pixels a value, 8 to a row.
        AssertSize(dir.File("run/wrong.png"), 8 * (84 + 2) + 2, 2 * (84 + 2) + 2);
    }

    private static void Train(TempFolder dir, string model, string data, string output, params string[] extra)
    {
        var r = LoomProcess.Run(dir.Path, ["train", "--model", model, "--data", data, "--epochs", "1", "--out", output, .. extra]);
        Assert.True(r.ExitCode == 0, r.Stderr);
    }

    /// <summary>Checks the page and returns the images it links, in order; each must exist and decode.</summary>
    private static List<string> CheckReport(string folder)
    {
        string html = File.ReadAllText(Path.Combine(folder, "report.html"));
        Assert.StartsWith("<!DOCTYPE html>", html);
        foreach (var tag in (string[])["html", "head", "body", "figure", "table", "tr", "div", "span", "svg", "figcaption", "p", "h2"])
            Assert.True(Regex.Matches(html, $"<{tag}[ >]").Count == Regex.Matches(html, $"</{tag}>").Count, $"<{tag}> is not balanced");
        var images = ImageSource().Matches(html).Select(m => m.Groups[1].Value).ToList();
        foreach (var image in images)
        {
            using var stream = File.OpenRead(Path.Combine(folder, image));
            Assert.NotNull(ImageResult.FromStream(stream, ColorComponents.RedGreenBlue));
        }
        Assert.DoesNotContain("http", html.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal)); // nothing fetched from a network
        return images;
    }

    private static void AssertSize(string png, int width, int height)
    {
        using var stream = File.OpenRead(png);
        var image = ImageResult.FromStream(stream, ColorComponents.RedGreenBlue);
        Assert.Equal((width, height), (image.Width, image.Height));
    }

    [GeneratedRegex("<img src=\"([^\"]+)\"")]
    private static partial Regex ImageSource();
}
