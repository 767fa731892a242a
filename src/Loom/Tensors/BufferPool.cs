namespace Loom;

/// <summary>
/// Recycles the large buffers of repeated steps — training steps, evaluation batches — so that a step in
/// steady state allocates no activation or gradient memory. Inside <see cref="Scope"/>, the outputs of the
/// ops that write them in full (convolution, linear, activations, pooling) and the gradients of intermediate
/// tensors are taken from this pool; when the scope ends, every buffer it handed out goes back, to be handed
/// out again by the next scope. Parameters, their gradients and optimizer state never come from a pool.
/// </summary>
/// <remarks>
/// A tensor produced inside a scope must not be used after the scope ends: its storage belongs to the next
/// step. Read what you need (a loss with <c>Item()</c>, metrics, a <c>Clone()</c>) before the scope closes;
/// <see cref="Training.Trainer"/> does. Buffers are matched by exact length, and the pool keeps only those the
/// last scope used, so its memory is one step's worth even when batch shapes change. One scope per pool at a
/// time, on the thread that opened it.
/// </remarks>
public sealed class BufferPool
{
    [ThreadStatic] private static BufferPool? _active;

    private readonly Shelf<float> _floats = new(float.NaN);
    private readonly Shelf<int> _ints = new(-1);
    private bool _open;

    /// <summary>
    /// Fill buffers with NaN (ints with −1) as they return, so that a tensor used after its scope shows up as
    /// NaN instead of silently reading the next step's values. A debugging aid; the tests turn it on.
    /// </summary>
    public static bool PoisonReturned { get; set; }

    /// <summary>Buffers currently held for reuse (for tests and diagnostics).</summary>
    public int HeldBuffers => _floats.Held + _ints.Held;

    /// <summary>Starts a step: until the returned scope is disposed, op buffers on this thread come from this pool.</summary>
    public ScopeHandle Scope()
    {
        if (_open) throw new InvalidOperationException("BufferPool: a scope of this pool is already open; dispose it before opening another.");
        _open = true;
        var previous = _active;
        _active = this;
        return new ScopeHandle(this, previous);
    }

    /// <summary>Ends the scope opened by <see cref="Scope"/>.</summary>
    public readonly struct ScopeHandle : IDisposable
    {
        private readonly BufferPool _pool;
        private readonly BufferPool? _previous;

        internal ScopeHandle(BufferPool pool, BufferPool? previous) => (_pool, _previous) = (pool, previous);

        public void Dispose()
        {
            if (_pool is null || !_pool._open) return;
            _pool._open = false;
            // Disposed out of order (an outer scope first), the active pool is another one: leave it.
            if (ReferenceEquals(_active, _pool)) _active = _previous;
            _pool.Recycle();
        }
    }

    /// <summary>A float buffer of exactly <paramref name="length"/> elements with garbage contents: from the active pool if any, else new.</summary>
    internal static float[] RentFloats(int length) => _active is { _open: true } pool ? pool._floats.Rent(length) : GC.AllocateUninitializedArray<float>(length);

    /// <summary>An int buffer of exactly <paramref name="length"/> elements with garbage contents.</summary>
    internal static int[] RentInts(int length) => _active is { _open: true } pool ? pool._ints.Rent(length) : GC.AllocateUninitializedArray<int>(length);

    /// <summary>The scope's buffers become the free lists; buffers the scope did not use are let go.</summary>
    private void Recycle()
    {
        _floats.Recycle();
        _ints.Recycle();
    }

    /// <summary>The free buffers of one element type by length, and those handed out in the open scope.</summary>
    private sealed class Shelf<T>(T poison)
    {
        private readonly Dictionary<int, Stack<T[]>> _free = [];
        private readonly List<T[]> _rented = [];

        public int Held => _free.Values.Sum(s => s.Count);

        public T[] Rent(int length)
        {
            var buffer = _free.TryGetValue(length, out var free) && free.Count > 0 ? free.Pop() : GC.AllocateUninitializedArray<T>(length);
            _rented.Add(buffer);
            return buffer;
        }

        public void Recycle()
        {
            foreach (var free in _free.Values) free.Clear();
            foreach (var buffer in _rented)
            {
                if (PoisonReturned) Array.Fill(buffer, poison);
                if (!_free.TryGetValue(buffer.Length, out var free)) _free[buffer.Length] = free = new Stack<T[]>();
                free.Push(buffer);
            }
            _rented.Clear();
        }
    }
}
