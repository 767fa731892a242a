// Loom and ONNX Runtime in one process: LeNet's batch-1 latency, and its second convolution block, each side
// timed in turn, round after round. Across processes (bench/compare.sh) a slow spell of a shared host can fall on
// one side of a ratio; here both sides share every spell. Between sides the program sleeps 30 ms, so that the
// spinning workers of the side just timed (ONNX Runtime's, Loom's) are asleep before the other starts.
//
//   dotnet run -c Release --project bench/peers/side-by-side -- [threads] [rounds]
//
// Each round times 300 calls per side; the figure per round is the median call, and the report gives the median
// and the best round per side, and their ratios. Both models are written by `loom export`'s code (fresh weights).
using System.Diagnostics;
using Loom;
using Loom.Autograd;
using Loom.Models;
using Loom.Nn;
using Loom.Serialization;
using Loom.Serialization.Onnx;
using Microsoft.ML.OnnxRuntime;

int threads = args.Length > 0 ? int.Parse(args[0]) : 2, rounds = args.Length > 1 ? int.Parse(args[1]) : 20;
const int Calls = 300;
Loom.Kernels.Threading.Threads = threads;
Rng.ManualSeed(1);
string dir = Directory.CreateTempSubdirectory("loom-side-by-side-").FullName;

var lenet = ModelZoo.LeNet();
lenet.Model.Eval();
// LeNet's second convolution with its ReLU and 2×2 max-pool, flattened so that the graph ends in (N, features) as a
// model file's does.
var block = new Sequential(new Conv2d(32, 64, 3, padding: 1), new Relu(), new MaxPool2d(2), new Flatten());
block.Eval();
OnnxExport.Save(lenet.Model, lenet.Spec, Path.Combine(dir, "lenet.onnx"));
OnnxExport.Save(block, new ModelSpec { Name = "conv2-block", InputShape = [32, 14, 14], Classes = 64 * 7 * 7 }, Path.Combine(dir, "conv2.onnx"));

var buffers = new BufferPool();
using var noGrad = GradMode.NoGrad();
Action LoomCall(Module model, int[] shape)
{
    var x = Tensor.Normal(0f, 1f, shape, new Rng(2));
    return () => { using var scope = buffers.Scope(); model.Call(x); };
}
Action OrtCall(string file, long[] shape)
{
    var options = new SessionOptions
    {
        IntraOpNumThreads = threads,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
    };
    var session = new InferenceSession(Path.Combine(dir, file), options);
    var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
    var random = new Random(3);
    for (int i = 0; i < data.Length; i++) data[i] = (float)random.NextDouble();
    var inputs = new[] { OrtValue.CreateTensorValueFromMemory(data, shape) };
    var inputNames = new[] { session.InputMetadata.Keys.Single() };
    var outputNames = session.OutputMetadata.Keys.ToArray();
    var runOptions = new RunOptions();
    return () => { using var outputs = session.Run(runOptions, inputNames, inputs, outputNames); };
}

// Pairs: Loom, then its ONNX Runtime counterpart.
var sides = new (string Name, Action Call)[]
{
    ("Loom, lenet", LoomCall(lenet.Model, [1, 1, 28, 28])),
    ("ONNX Runtime, lenet", OrtCall("lenet.onnx", [1, 1, 28, 28])),
    ("Loom, conv2 block", LoomCall(block, [1, 32, 14, 14])),
    ("ONNX Runtime, conv2 block", OrtCall("conv2.onnx", [1, 32, 14, 14])),
};
var medians = sides.Select(_ => new List<double>()).ToArray();
var times = new double[Calls];
for (int round = -3; round < rounds; round++) // three rounds of warm-up
    for (int s = 0; s < sides.Length; s++)
    {
        int side = round % 2 == 0 ? s : s ^ 1; // within each pair, each side goes first every other round
        for (int i = 0; i < Calls; i++)
        {
            long start = Stopwatch.GetTimestamp();
            sides[side].Call();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        Array.Sort(times);
        if (round >= 0) medians[side].Add(times[Calls / 2]);
        Thread.Sleep(30);
    }

Console.WriteLine($"{threads} thread(s), {Loom.Kernels.Gemm.PathName}; {rounds} rounds of {Calls} calls per side, the median call of each round (µs)");
foreach (var list in medians) list.Sort();
double Median(List<double> l) => l[l.Count / 2];
for (int s = 0; s < sides.Length; s++)
    Console.WriteLine($"  {sides[s].Name,-26} median round {Median(medians[s]),7:F1}   best round {medians[s][0],7:F1}");
for (int s = 0; s < sides.Length; s += 2)
    Console.WriteLine($"  {sides[s].Name} against {sides[s + 1].Name}: {Median(medians[s]) / Median(medians[s + 1]):F2}× the time at the median, {medians[s][0] / medians[s + 1][0]:F2}× at the best");
Directory.Delete(dir, recursive: true);
