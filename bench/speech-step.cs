#:project ../src/Loom/Loom.csproj
#:property PublishAot=false
// Where a training step of speech-crnn spends its time: a whole step (forward, CTC, backward, Adam) on a batch of 32
// clips of random features, then each layer's forward alone, then forward + backward through each prefix of the
// model against a fixed random projection of its output (the differences are each layer's share, backward
// included). Medians of 15 calls after 3 warm-ups; run it pinned to one core with tiering off, as `loom` runs:
//   DOTNET_TieredCompilation=0 taskset -c 0 dotnet run -c Release bench/speech-step.cs [threads] [frames]
using System.Diagnostics;
using Loom;
using Loom.Data;
using Loom.Models;
using Loom.Nn;
using Loom.Speech;

Loom.Kernels.Threading.Threads = args.Length > 0 ? int.Parse(args[0]) : 1;
int frames = args.Length > 1 ? int.Parse(args[1]) : 160, n = 32;
Rng.ManualSeed(1);
var model = (Sequential)ModelZoo.Build("speech-crnn").Model;
model.Train();
var x = Tensor.Normal(0f, 1f, [n, frames, 40], new Rng(2));
var lengths = Enumerable.Range(0, n).Select(i => frames - i % 8 * (frames / 16)).ToArray(); // a bucket of similar lengths
var targets = new Tensor(new float[n * 20], n, 20);
var draw = new Random(3);
for (int i = 0; i < targets.Size; i++) targets.Data[i] = i % 20 < 14 ? draw.Next(2, 29) : IDataset.IgnoreTarget;
var batch = new Batch(x, targets) { Lengths = lengths };
var pool = new BufferPool();
var adam = new Loom.Optim.Adam(model.Parameters().ToList(), 1e-3f);
var ctc = new CtcObjective();

double Median(Action call)
{
    for (int i = 0; i < 3; i++) call();
    var times = new double[15];
    for (int i = 0; i < times.Length; i++)
    {
        long start = Stopwatch.GetTimestamp();
        call();
        times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }
    Array.Sort(times);
    return times[times.Length / 2];
}

double step = Median(() =>
{
    using var scope = pool.Scope();
    adam.ZeroGrad();
    var loss = ctc.Loss(model.Call(x, lengths), batch, model.OutputLengths(lengths));
    loss.Backward();
    adam.Step();
});
double forward = Median(() => { using var scope = pool.Scope(); ctc.Loss(model.Call(x, lengths), batch, model.OutputLengths(lengths)); });
Console.WriteLine($"speech-crnn, batch {n} of {frames} frames, {Loom.Kernels.Threading.Threads} thread(s), {Loom.Kernels.Gemm.PathName}; medians (ms)");
Console.WriteLine($"  training step {step:F1}, forward and loss {forward:F1}");

var inputs = new List<Tensor> { x };
var layerLengths = new List<int[]> { lengths };
foreach (var layer in model.Layers)
{
    inputs.Add(layer.Call(inputs[^1], layerLengths[^1]));
    layerLengths.Add(layer.OutputLengths(layerLengths[^1]));
}
double previous = 0;
for (int i = 0; i < model.Layers.Count; i++)
{
    var (layer, input, inLengths) = (model.Layers[i], inputs[i], layerLengths[i]);
    double alone = Median(() => { using var scope = pool.Scope(); layer.Call(input, inLengths); });
    var prefix = model.Layers.Take(i + 1).ToArray();
    var projection = Tensor.Normal(0f, 1f, inputs[i + 1].Shape, new Rng(9));
    // The first layer (Unsqueeze) has no parameters: nothing to differentiate through it alone.
    double through = i == 0 ? 0 : Median(() =>
    {
        using var scope = pool.Scope();
        adam.ZeroGrad();
        Tensor h = x;
        int[] l = lengths;
        foreach (var m in prefix) { h = m.Call(h, l); l = m.OutputLengths(l); }
        Functional.Sum(Functional.Mul(h, projection)).Backward();
    });
    Console.WriteLine($"  {layer.GetType().Name,-12} on {string.Join('×', input.Shape),-14} forward {alone,6:F2}, with backward +{through - previous,6:F2}");
    previous = through;
}
