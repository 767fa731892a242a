#:project ../src/Loom/Loom.csproj
#:property PublishAot=false
// Where LeNet's inference spends its time (batch 1 unless given): each layer on its own, the whole model, and the
// first linear layer (3136×128, 1.6 MB of weights) in context — after the convolutions — against alone. Each figure
// is the best, over 12 rounds, of the median of 500 calls (500 / batch for a larger batch, at least 5), so that a
// noisy spell of a shared machine does not make it.
//   dotnet run -c Release bench/lenet-layers.cs [threads] [batch]
using System.Diagnostics;
using Loom;
using Loom.Autograd;
using Loom.Models;
using Loom.Nn;

Loom.Kernels.Threading.Threads = args.Length > 0 ? int.Parse(args[0]) : 1;
Rng.ManualSeed(1);
var model = (Sequential)ModelZoo.LeNet().Model;
model.Eval();
int batch = args.Length > 1 ? int.Parse(args[1]) : 1;
int calls = Math.Max(5, 500 / batch);
var x = Tensor.Normal(0f, 1f, [batch, 1, 28, 28], new Rng(2));
var pool = new BufferPool();
using var noGrad = GradMode.NoGrad();

double Best(Action call)
{
    double best = double.MaxValue;
    var times = new double[calls];
    for (int i = 0; i < Math.Max(2, calls / 2); i++) call();
    for (int round = 0; round < 12; round++)
    {
        for (int i = 0; i < times.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            call();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        Array.Sort(times);
        best = Math.Min(best, times[times.Length / 2]);
    }
    return best;
}

var inputs = new List<Tensor> { x };
foreach (var layer in model.Layers) inputs.Add(layer.Call(inputs[^1]));
Console.WriteLine($"LeNet, batch {batch}, {Loom.Kernels.Threading.Threads} thread(s), {Loom.Kernels.Gemm.PathName}; best median of 12 rounds of {calls} calls (µs)");
Console.WriteLine($"  whole model: {Best(() => { using var s = pool.Scope(); model.Call(x); }):F1}");
for (int i = 0; i < model.Layers.Count; i++)
{
    var (layer, input) = (model.Layers[i], inputs[i]);
    Console.WriteLine($"  {layer.GetType().Name,-10} on {string.Join('×', input.Shape),-10}: {Best(() => { using var s = pool.Scope(); layer.Call(input); }):F1}");
}
int linear = model.Layers.Select((l, i) => (l, i)).First(p => p.l is Linear).i;
double convs = Best(() => { using var s = pool.Scope(); var h = x; for (int i = 0; i < linear; i++) h = model.Layers[i].Call(h); });
double convsThenLinear = Best(() => { using var s = pool.Scope(); var h = x; for (int i = 0; i < linear; i++) h = model.Layers[i].Call(h); model.Layers[linear].Call(inputs[linear]); });
double alone = Best(() => { using var s = pool.Scope(); model.Layers[linear].Call(inputs[linear]); });
Console.WriteLine($"  first Linear after the convolutions: {convsThenLinear - convs:F1}, alone: {alone:F1} (its weights: {((Linear)model.Layers[linear]).Weight.Size * 4 / 1024} KB)");
