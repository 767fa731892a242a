namespace Loom.Kernels;

/// <summary>The one thread-count setting that every parallel kernel honours, and the loop that honours it.</summary>
public static class Threading
{
    private static int _threads = Environment.ProcessorCount;
    private static WorkerTeam? _team;
    private static readonly object TeamLock = new();

    /// <summary>
    /// Threads used by parallel kernels (default: all cores). A change takes effect at the next parallel loop,
    /// which starts a new worker team once the loop in flight (if any) is over; so it must not be made from
    /// inside a parallel loop's body.
    /// </summary>
    public static int Threads
    {
        get => _threads;
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), $"Thread count must be at least 1, got {value}.");
            _threads = value;
        }
    }

    /// <summary>
    /// Runs body(i) for i in [0, count), in parallel when asked and there is more than one thread; items go to
    /// whichever thread is free. A loop started inside another (or on another thread while one runs) runs serially.
    /// </summary>
    public static void For(int count, Action<int> body, bool parallel = true)
    {
        if (count <= 1 || !parallel || _threads == 1) { for (int i = 0; i < count; i++) body(i); return; }
        Team().For(count, body);
    }

    /// <summary>The worker team for the current thread count, made (and the old one retired) when the count changes.</summary>
    private static WorkerTeam Team()
    {
        var team = _team;
        if (team is not null && team.Size == _threads) return team;
        lock (TeamLock)
        {
            if (_team is null || _team.Size != _threads)
            {
                _team?.Retire();
                _team = new WorkerTeam(_threads);
            }
            return _team;
        }
    }
}
