#:project ../src/Loom/Loom.csproj
#:property PublishAot=false
// Bytes LeNet allocates on the managed heap (all threads, GC.GetTotalAllocatedBytes): a batch-1 forward without a
// gradient, inside a buffer-pool scope as `loom bench` runs it, and a training step (batch 64: forward, backward,
// Adam) likewise. Averages over many calls after a warm-up; the counts, unlike times, barely move with the host.
//   dotnet run -c Release bench/lenet-allocations.cs [threads]
using Loom;
using Loom.Autograd;
using Loom.Models;
using Loom.Nn;
using Loom.Kernels;

Threading.Threads = args.Length > 0 ? int.Parse(args[0]) : Environment.ProcessorCount;
Rng.ManualSeed(1);
var model = (Sequential)ModelZoo.Build("lenet").Model;
var pool = new BufferPool();

model.Eval();
var image = Tensor.Normal(0f, 1f, [1, 1, 28, 28], new Rng(2));
using (GradMode.NoGrad())
{
    for (int i = 0; i < 100; i++) using (pool.Scope()) model.Call(image);
    long before = GC.GetTotalAllocatedBytes(true);
    const int calls = 1000;
    for (int i = 0; i < calls; i++) using (pool.Scope()) model.Call(image);
    Console.WriteLine($"batch-1 forward: {(GC.GetTotalAllocatedBytes(true) - before) / calls:N0} bytes a call");
}

model.Train();
var batch = Tensor.Normal(0f, 1f, [64, 1, 28, 28], new Rng(3));
var adam = new Loom.Optim.Adam(model.Parameters().ToList(), 1e-3f);
var projection = Tensor.Normal(0f, 1f, model.Call(batch).Shape, new Rng(4)); // a loss that reaches every logit
void Step() { using (pool.Scope()) { adam.ZeroGrad(); Functional.Sum(Functional.Mul(model.Call(batch), projection)).Backward(); adam.Step(); } }
for (int i = 0; i < 5; i++) Step();
long start = GC.GetTotalAllocatedBytes(true);
const int steps = 20;
for (int i = 0; i < steps; i++) Step();
Console.WriteLine($"training step (batch 64): {(GC.GetTotalAllocatedBytes(true) - start) / steps:N0} bytes a step");
