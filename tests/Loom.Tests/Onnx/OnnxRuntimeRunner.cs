using Microsoft.ML.OnnxRuntime;

namespace Loom.Tests.Onnx;

/// <summary>Runs an ONNX model in ONNX Runtime (the real consumer of Loom's exports) on float or int64 inputs.</summary>
internal static class OnnxRuntimeRunner
{
    /// <summary>An input: its name, and either floats or int64s with their shape.</summary>
    public sealed record Input(string Name, long[] Shape, float[]? Floats = null, long[]? Ints = null);

    /// <summary>Every output by name: its values and shape.</summary>
    public static Dictionary<string, (float[] Values, long[] Shape)> Run(byte[] model, params Input[] inputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(model, options);
        var values = inputs.Select(i => i.Floats is not null
            ? OrtValue.CreateTensorValueFromMemory(i.Floats, i.Shape)
            : OrtValue.CreateTensorValueFromMemory(i.Ints!, i.Shape)).ToArray();
        try
        {
            var names = session.OutputNames;
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, inputs.Select(i => i.Name).ToArray(), values, names);
            var result = new Dictionary<string, (float[], long[])>();
            for (int k = 0; k < names.Count; k++)
                result[names[k]] = (outputs[k].GetTensorDataAsSpan<float>().ToArray(), outputs[k].GetTensorTypeAndShape().Shape);
            return result;
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    /// <summary>‖a − b‖∞ / ‖b‖∞: the agreement figure the ONNX tests state (1e-4 allowed).</summary>
    public static double RelativeError(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"{a.Length} values against {b.Length}.");
        double diff = 0, scale = 0;
        for (int i = 0; i < a.Length; i++)
        {
            diff = Math.Max(diff, Math.Abs((double)a[i] - b[i]));
            scale = Math.Max(scale, Math.Abs((double)b[i]));
        }
        if (scale == 0) throw new ArgumentException("the reference output is all zeros, which tests nothing.");
        return diff / scale;
    }
}
