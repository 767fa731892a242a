namespace Loom.Kernels;

/// <summary>The one thread-count setting that every parallel kernel honours.</summary>
public static class Threading
{
    private static int _threads = Environment.ProcessorCount;

    /// <summary>Threads used by parallel kernels (default: all cores).</summary>
    public static int Threads
    {
        get => _threads;
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), $"Thread count must be at least 1, got {value}.");
            _threads = value;
            Options = new ParallelOptions { MaxDegreeOfParallelism = value };
        }
    }

    internal static ParallelOptions Options { get; private set; } = new() { MaxDegreeOfParallelism = Environment.ProcessorCount };

    /// <summary>Runs body(i) for i in [0, count), in parallel when there is enough work and more than one thread.</summary>
    public static void For(int count, Action<int> body, bool parallel = true)
    {
        if (count <= 1 || !parallel || _threads == 1) { for (int i = 0; i < count; i++) body(i); return; }
        Parallel.For(0, count, Options, body);
    }
}
