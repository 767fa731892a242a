namespace Loom.Benchmarks;

/// <summary>What every benchmark class does first: the thread count from LOOM_THREADS and a fixed seed.</summary>
internal static class BenchSetup
{
    public const ulong Seed = 1234;

    /// <summary>BenchmarkDotNet runs each benchmark in a child process, which inherits the environment but not static state.</summary>
    public static Rng Start()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("LOOM_THREADS"), out int threads)) Kernels.Threading.Threads = threads;
        Rng.ManualSeed(Seed);
        return new Rng(Seed + 1);
    }

    public static Tensor Indices(int classes, Rng rng, params int[] shape)
    {
        var t = Tensor.Zeros(shape);
        for (int i = 0; i < t.Size; i++) t.Data[i] = rng.NextInt(classes);
        return t;
    }
}
