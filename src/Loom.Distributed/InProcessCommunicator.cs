namespace Loom.Distributed;

/// <summary>
/// Ranks as threads of one process, for tests of data-parallel code without MPI: <see cref="Run"/> starts one
/// thread per rank, each with its own communicator over shared slots. Sums run in rank order, so every rank gets
/// the same bits (as Open MPI's reductions give every rank the same result). A rank that fails or aborts ends the
/// others' waits with an exception rather than leaving them blocked.
/// </summary>
public sealed class InProcessCommunicator : ICommunicator
{
    private readonly Group _group;

    private InProcessCommunicator(Group group, int rank) => (_group, Rank) = (group, rank);

    public int Rank { get; }
    public int Size => _group.Size;

    /// <summary>
    /// Runs <paramref name="body"/> on <paramref name="size"/> threads, one per rank, and returns their results in
    /// rank order; the first failure (other than the others' resulting aborts) is rethrown.
    /// </summary>
    public static T[] Run<T>(int size, Func<ICommunicator, T> body)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        var group = new Group(size);
        var results = new T[size];
        var errors = new Exception?[size];
        var threads = new Thread[size];
        for (int r = 0; r < size; r++)
        {
            int rank = r;
            threads[r] = new Thread(() =>
            {
                using var comm = new InProcessCommunicator(group, rank);
                try { results[rank] = body(comm); }
                catch (Exception ex) { errors[rank] = ex; group.Abort(); }
            }, 16 << 20) { IsBackground = true, Name = $"rank {rank}" };
            threads[r].Start();
        }
        foreach (var t in threads) t.Join();
        var first = errors.FirstOrDefault(e => e is not null and not GroupAbortedException) ?? errors.FirstOrDefault(e => e is not null);
        if (first is not null) throw new AggregateException($"Rank {Array.IndexOf(errors, first)} failed: {first.Message}", first);
        return results;
    }

    public void AllReduceSum(Span<float> values)
    {
        values.CopyTo(_group.Stage<float>(Rank, values.Length));
        _group.Wait();
        values.Clear();
        for (int r = 0; r < Size; r++)
        {
            var theirs = _group.Slot<float>(r, values.Length);
            for (int i = 0; i < values.Length; i++) values[i] += theirs[i];
        }
        _group.Wait(); // nobody stages the next call over a slot another rank is still reading
    }

    public void AllReduceSum(Span<double> values)
    {
        values.CopyTo(_group.Stage<double>(Rank, values.Length));
        _group.Wait();
        values.Clear();
        for (int r = 0; r < Size; r++)
        {
            var theirs = _group.Slot<double>(r, values.Length);
            for (int i = 0; i < values.Length; i++) values[i] += theirs[i];
        }
        _group.Wait();
    }

    public void Broadcast(Span<float> values, int root = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(root);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(root, Size);
        if (Rank == root) values.CopyTo(_group.Stage<float>(Rank, values.Length));
        _group.Wait();
        if (Rank != root) _group.Slot<float>(root, values.Length).CopyTo(values);
        _group.Wait();
    }

    public void Barrier() => _group.Wait();

    /// <summary>Ends the others' waits with an exception; the calling rank's thread is expected to end with its own.</summary>
    public void Abort(int exitCode) => _group.Abort();

    public void Dispose() { }

    private sealed class GroupAbortedException() : Exception("Another rank failed or aborted, so this one stopped.");

    /// <summary>The shared state: one staging slot per rank and the barrier all ranks meet at.</summary>
    private sealed class Group(int size)
    {
        private readonly Array?[] _slots = new Array?[size];
        private readonly Barrier _barrier = new(size);
        private readonly CancellationTokenSource _aborted = new();

        public int Size { get; } = size;

        public T[] Stage<T>(int rank, int length)
        {
            if (_slots[rank] is not T[] slot || slot.Length != length) _slots[rank] = slot = new T[length];
            return slot;
        }

        public T[] Slot<T>(int rank, int length) =>
            _slots[rank] is T[] slot && slot.Length == length ? slot
                : throw new InvalidOperationException($"Rank {rank} passed a buffer of another type or length to the same collective call ({length} {typeof(T).Name} here).");

        public void Wait()
        {
            try { _barrier.SignalAndWait(_aborted.Token); }
            catch (OperationCanceledException) { throw new GroupAbortedException(); }
        }

        public void Abort() => _aborted.Cancel();
    }
}
