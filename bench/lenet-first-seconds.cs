#:project ../src/Loom/Loom.csproj
#:property PublishAot=false
// What an application that uses Loom sees in its first seconds: LeNet at batch 1 called in a loop, with .NET's
// default tiered compilation (which `loom` itself turns off), printing the median of each window of 250 calls in
// the first 3 s, then of every fourth, against the time since the first call. Run it on one CPU for the worst
// case (.NET delays recompiling tenfold there), and with DOTNET_TieredCompilation=0 for fully optimised code from
// the start:
//   taskset -c 0 dotnet run -c Release bench/lenet-first-seconds.cs [threads] [windows]
using System.Diagnostics;
using Loom;
using Loom.Autograd;
using Loom.Models;
using Loom.Nn;

Loom.Kernels.Threading.Threads = args.Length > 0 ? int.Parse(args[0]) : 1;
int windows = args.Length > 1 ? int.Parse(args[1]) : 60;
Rng.ManualSeed(1);
var model = (Sequential)ModelZoo.LeNet().Model;
model.Eval();
var x = Tensor.Normal(0f, 1f, [1, 1, 28, 28], new Rng(2));
var pool = new BufferPool();
using var noGrad = GradMode.NoGrad();
var clock = Stopwatch.StartNew();
var times = new double[250];
var line = new System.Text.StringBuilder($"LeNet batch 1, {Loom.Kernels.Threading.Threads} thread(s), {Environment.ProcessorCount} CPU(s); seconds since the first call: median µs of 250 calls\n ");
for (int window = 0; window < windows; window++)
{
    for (int i = 0; i < times.Length; i++)
    {
        long start = Stopwatch.GetTimestamp();
        using (pool.Scope()) model.Call(x);
        times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    }
    Array.Sort(times);
    if (window % 4 == 3 || clock.Elapsed.TotalSeconds < 3) line.Append($" {clock.Elapsed.TotalSeconds:F1}s:{times[times.Length / 2]:F0}");
}
Console.WriteLine(line);
