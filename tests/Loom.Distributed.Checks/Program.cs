using System.Diagnostics;
using Loom.Distributed;
using Loom.Distributed.Checks;

// `mpirun -np N dotnet Loom.Distributed.Checks.dll allreduce` times the all-reduce by message size.
// Runs every scenario over Open MPI: `mpirun -np N dotnet Loom.Distributed.Checks.dll FOLDER` (FOLDER shared by the
// ranks, for spec files and the checkpoint). Rank 0 reports; a failure on any rank aborts the job with exit code 1.
if (args is ["allreduce"])
{
    // The all-reduce's cost by message size (median of 40 after 5 warm-ups), for choosing a transport and projecting to clusters.
    using var world = MpiCommunicator.Initialize();
    foreach (double mb in (double[])[0.004, 0.1, 0.4, 1.7, 4, 16])
    {
        var buffer = new float[(int)(mb * (1 << 20) / sizeof(float))];
        var times = new List<double>();
        for (int i = 0; i < 45; i++)
        {
            world.Barrier();
            long start = Stopwatch.GetTimestamp();
            world.AllReduceSum(buffer);
            if (i >= 5) times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        times.Sort();
        if (world.Rank == 0) Console.WriteLine($"all-reduce {mb,6:G3} MB over {world.Size} ranks: median {times[times.Count / 2]:F3} ms");
    }
    return 0;
}
if (args.Length != 1 || !Directory.Exists(args[0]))
{
    Console.Error.WriteLine("usage: mpirun -np N dotnet Loom.Distributed.Checks.dll FOLDER (an existing folder all ranks can write)");
    return 2;
}
Loom.Kernels.Threading.Threads = 1;
using var comm = MpiCommunicator.Initialize();
string folder = args[0];
var scenarios = new (string Name, Func<string> Run)[]
{
    ("collectives", () => { Scenarios.Collectives(comm); return "sums and broadcasts exact"; }),
    ("shards", () => { Scenarios.ShardsAreDisjointAndComplete(comm); return "disjoint and complete"; }),
    ("error rates", () => Scenarios.ErrorRatesAddAcrossRanks(comm)),
    ("same weights as one process", () => $"max |Δw| {Scenarios.SameWeightsAsOneProcess(comm, folder):G3} (tolerance {Scenarios.WeightTolerance:G3})"),
    ("resume at another world size", () => $"1 rank → {comm.Size}: max |Δw| {Scenarios.ResumeAtAnotherWorldSize(comm, folder):G3}"),
    ("mismatched model", () => Scenarios.MismatchedModelIsNamed(comm, folder)),
};
foreach (var (name, run) in scenarios)
{
    var clock = Stopwatch.StartNew();
    try
    {
        string outcome = run();
        if (comm.Rank == 0) Console.WriteLine($"ok   {name} ({comm.Size} ranks, {clock.Elapsed.TotalSeconds:F1}s): {outcome}");
    }
    catch (Exception e)
    {
        Console.Error.WriteLine($"FAIL {name} on rank {comm.Rank}: {e.Message}");
        Console.Error.Flush();
        comm.Abort(1);
    }
}
return 0;
