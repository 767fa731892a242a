using Loom.Tests.Cli;
using Xunit;

namespace Loom.Tests.Onnx;

/// <summary><c>loom export</c> writes a file ONNX Runtime runs; a wrong format is refused with one line.</summary>
public class ExportCommandTests
{
    [Fact]
    public void ExportWritesAnOnnxModelThatOnnxRuntimeRuns()
    {
        using var dir = new TempFolder();
        var r = LoomProcess.Run(dir.Path, "export", "--model", "lenet", "--out", dir.File("lenet.onnx"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("opset 17", r.Stdout);
        var outputs = OnnxRuntimeRunner.Run(File.ReadAllBytes(dir.File("lenet.onnx")), new OnnxRuntimeRunner.Input("input", [2, 1, 28, 28], Floats: new float[2 * 784]));
        Assert.Equal([2L, 10L], outputs["logits"].Shape);
    }

    [Fact]
    public void AnUnknownFormatIsOneLineAndNonZero()
    {
        using var dir = new TempFolder();
        var r = LoomProcess.Run(dir.Path, "export", "--model", "lenet", "--format", "tflite", "--out", dir.File("x"));
        Assert.NotEqual(0, r.ExitCode);
        Assert.DoesNotContain("   at ", r.Stderr);
    }
}
