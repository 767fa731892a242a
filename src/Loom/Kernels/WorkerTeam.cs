using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Loom.Kernels;

/// <summary>
/// Long-lived threads that run the items of one parallel loop at a time together with the calling thread.
/// Why not <c>Parallel.For</c>: on a two-core machine the thread pool kept a second worker spinning for work
/// while the first computed, so the two halves of a large GEMM often ran on one and a half cores, and a call
/// took up to twice its time (1024³: 11 ms at best, 13–20 ms at the median). Here exactly
/// <see cref="Size"/> threads take part, items are handed out one at a time to whichever thread is free (a
/// thread that starts late takes fewer), and workers spin briefly between loops (a kernel's next loop usually
/// follows within microseconds) before they sleep.
/// <para>
/// One loop runs at a time: a loop started while the team is busy — from another thread, or nested inside
/// an item — runs serially on its caller, so threads are never oversubscribed.
/// </para>
/// </summary>
internal sealed class WorkerTeam
{
    private static readonly long SpinTicks = Stopwatch.Frequency / 10_000; // 100 µs of spinning before a worker sleeps

    private readonly object _wake = new();  // workers sleep on this between loops
    private readonly object _done = new();  // the caller sleeps on this until the workers are through
    private int _busy;                      // 1 while a caller owns the team (or it is retired)
    private volatile bool _retired;
    private int _generation;                // bumped once per loop; a worker waits for it to change
    private int _sleepers;                  // workers asleep on _wake
    private int _callerWaiting;             // 1 while the caller sleeps on _done
    private int _running;                   // workers not yet through the current loop
    private Action<int>? _body;
    private int _count;
    private int _next;                      // the next item to hand out
    private Exception? _error;

    /// <summary>Threads that take part in a loop, the caller included.</summary>
    public int Size { get; }

    public WorkerTeam(int size)
    {
        Size = size;
        for (int i = 1; i < size; i++)
            new Thread(WorkerLoop) { IsBackground = true, Name = $"Loom worker {i}" }.Start();
    }

    /// <summary>Runs body(i) for every i in [0, count) once, each item on whichever thread is free; rethrows the first exception.</summary>
    public void For(int count, Action<int> body)
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        _body = body;
        _count = count;
        _next = 0;
        _error = null;
        Volatile.Write(ref _running, Size - 1);
        Interlocked.Increment(ref _generation); // a full fence: the loop is visible before any worker sees the new generation
        if (Volatile.Read(ref _sleepers) > 0) lock (_wake) Monitor.PulseAll(_wake);

        TakeItems();
        WaitForWorkers();

        var error = _error;
        _body = null;
        Volatile.Write(ref _busy, 0);
        if (error is not null) ExceptionDispatchInfo.Throw(error);
    }

    /// <summary>Stops the workers once the loop in flight (if any) is over; later loops run serially.</summary>
    public void Retire()
    {
        var spin = new SpinWait();
        while (Interlocked.CompareExchange(ref _busy, 1, 0) != 0) spin.SpinOnce();
        _retired = true;
        lock (_wake) Monitor.PulseAll(_wake);
    }

    private void TakeItems()
    {
        var body = _body!;
        int count = _count, i;
        while ((i = Interlocked.Increment(ref _next) - 1) < count)
        {
            try { body(i); }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _error, e, null);
                Volatile.Write(ref _next, count); // hand out no more items
            }
        }
    }

    private void WaitForWorkers()
    {
        long deadline = Stopwatch.GetTimestamp() + SpinTicks;
        while (Volatile.Read(ref _running) != 0)
        {
            if (Stopwatch.GetTimestamp() < deadline) { Thread.SpinWait(16); continue; }
            lock (_done)
            {
                Interlocked.Exchange(ref _callerWaiting, 1);
                while (Volatile.Read(ref _running) != 0) Monitor.Wait(_done);
                _callerWaiting = 0;
            }
        }
    }

    private void WorkerLoop()
    {
        int seen = 0;
        while (true)
        {
            seen = WaitForLoop(seen);
            if (_retired) return;
            TakeItems();
            // The last worker through wakes the caller if it has gone to sleep (it checks _running after announcing itself).
            if (Interlocked.Decrement(ref _running) == 0 && Volatile.Read(ref _callerWaiting) != 0)
                lock (_done) Monitor.PulseAll(_done);
        }
    }

    /// <summary>Spins, then sleeps, until the generation moves past <paramref name="seen"/> or the team retires; returns the new generation.</summary>
    private int WaitForLoop(int seen)
    {
        long deadline = Stopwatch.GetTimestamp() + SpinTicks;
        int generation;
        while ((generation = Volatile.Read(ref _generation)) == seen && !_retired)
        {
            if (Stopwatch.GetTimestamp() < deadline) { Thread.SpinWait(16); continue; }
            lock (_wake)
            {
                // Announced before the re-check, so that a caller bumping the generation now either is seen here or sees us.
                Interlocked.Increment(ref _sleepers);
                while ((generation = Volatile.Read(ref _generation)) == seen && !_retired) Monitor.Wait(_wake);
                Interlocked.Decrement(ref _sleepers);
            }
            break;
        }
        return generation;
    }
}
