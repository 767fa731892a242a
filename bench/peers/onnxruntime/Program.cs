// ONNX Runtime peer of `loom bench` for the one workload it can run: lenet-infer, on a LeNet that `loom export`
// wrote (--model FILE.onnx). Batch-256 images/s and batch-1 latency on synthetic random input (the time of a
// forward pass does not depend on the weights), with bench.py's keys and window plan.
//
//   OMP_WAIT_POLICY=passive taskset -c 0,1 dotnet OnnxRuntimeBench.dll --model lenet.onnx [--quick] [--threads N]
//
// --threads N is the session's intra-op thread count (1: everything on the calling thread); inter-op parallelism
// is off (sequential execution), as a LeNet is one chain of nodes. Graph optimisations: all.
using System.Reflection;
using Loom.Cli.Bench;
using Loom.Peers;
using Microsoft.ML.OnnxRuntime;

string[] names = ["lenet-infer"];
var options = Options.Parse(args, names, "--model");
if (options is null) return 0;
string modelPath = options.Extra.GetValueOrDefault("--model") ?? Options.Fail("--model FILE.onnx is required (write one with `loom export -m lenet -o lenet.onnx`)");
if (!File.Exists(modelPath)) Options.Fail($"--model: no file {modelPath}");

using var sessionOptions = new SessionOptions
{
    IntraOpNumThreads = options.Threads,
    InterOpNumThreads = 1,
    ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
    GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
};
using var session = new InferenceSession(modelPath, sessionOptions);
var (inputName, inputMeta) = session.InputMetadata.Single();
var outputNames = session.OutputMetadata.Keys.ToArray();
string version = typeof(InferenceSession).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "?";
Host.Log($"onnxruntime bench: {options.Threads} intra-op threads, model {modelPath} (input {inputName} [{string.Join(", ", inputMeta.Dimensions)}]){(options.Quick ? ", quick" : "")}");

var report = new Report();
using var runOptions = new RunOptions();

// One forward pass of a fixed batch of normal random images; the outputs are read (first logit) and released.
Action Forward(int batch, Random rng)
{
    var data = new float[batch * 28 * 28];
    for (int i = 0; i < data.Length; i++) data[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
    var input = OrtValue.CreateTensorValueFromMemory(data, new long[] { batch, 1, 28, 28 });
    var inputs = new[] { input };
    var inputNames = new[] { inputName };
    return () =>
    {
        using var outputs = session.Run(runOptions, inputNames, inputs, outputNames);
        _ = outputs[0].GetTensorDataAsSpan<float>()[0];
    };
}

report.RunAll([
    ("lenet-infer", plan =>
    {
        var rng = new Random(1235);
        var batch = Forward(256, rng);
        var single = Forward(1, rng);
        report.Add("lenet_infer_b256_images_per_s", "lenet inference, batch 256", Measure.Throughput(batch, 256, plan), "images/s");
        report.Add("lenet_latency_b1_us", "lenet latency, batch 1 (median)", Measure.LatencyMicroseconds(single, plan), "µs");
    }),
], options);

report.Print(new()
{
    ["threads"] = options.Threads,
    ["quick"] = options.Quick,
    ["data"] = "synthetic, seed 1235",
    ["workloads"] = names.Where(options.Only.Contains).ToList(),
    ["runtime"] = $"ONNX Runtime {version} (CPU execution provider), .NET {Environment.Version}",
    ["model"] = Path.GetFullPath(modelPath),
    ["cpu"] = Host.CpuName(),
    ["affinity"] = Host.Affinity(),
    ["env"] = new[] { "OMP_WAIT_POLICY", "OMP_NUM_THREADS" }.ToDictionary(k => k, Environment.GetEnvironmentVariable),
});
return 0;
