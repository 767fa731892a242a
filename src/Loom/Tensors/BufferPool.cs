namespace Loom;

/// <summary>
/// Recycles the large buffers of repeated steps — training steps, evaluation batches — so that a step in
/// steady state allocates no activation or gradient memory. Inside <see cref="Scope"/>, the outputs of the
/// ops that write them in full (convolution, linear, activations, pooling) and the gradients of intermediate
/// tensors are taken from this pool; when the scope ends, every buffer it handed out goes back, to be handed
/// out again by the next scope.
/// </summary>
/// <remarks>
/// <para><b>The lifetime rule.</b> Loom recycles storage in three places, and each has one owner that says when
/// the storage goes back:</para>
/// <list type="bullet">
/// <item>a tensor an op makes inside a <see cref="Scope"/> (and every view of it: <c>Reshape</c>, <c>Flatten</c>,
/// <c>Detach</c>) lives until the scope ends — the <see cref="Training.Trainer"/> and the
/// <see cref="Training.Evaluator"/> open one per step;</item>
/// <item>a parameter's gradient lives until the next <see cref="Optim.Optimizer.ZeroGrad"/>, which keeps its
/// storage for the next backward pass;</item>
/// <item>a batch of a <see cref="Data.DataLoader"/> with <see cref="Data.DataLoader.ReuseBuffers"/> lives until
/// the next batch.</item>
/// </list>
/// <para>Read what you need before then: a loss with <c>Item()</c>, metrics, a <c>Clone()</c>. Everything else —
/// tensors made outside a scope, parameters, optimizer state, a gradient you assigned yourself — is ordinary
/// managed memory.</para>
/// <para><b>Misuse fails at once</b> when <see cref="ChecksLifetimes"/> is on (Debug builds of Loom, and any
/// build whose app sets the <c>Loom.CheckBufferLifetimes</c> switch, as the tests do): reading or writing
/// <see cref="Tensor.Data"/> of a tensor whose storage has gone back throws <see cref="InvalidOperationException"/>
/// naming the op that made it. Off, the check is compiled away and costs nothing.</para>
/// <para>Buffers are matched by exact length, and the pool keeps only those the last scope used, so its memory is
/// one step's worth even when batch shapes change. One scope per pool at a time, on the thread that opened it.</para>
/// </remarks>
public sealed class BufferPool
{
    /// <summary>The <see cref="AppContext"/> switch that turns <see cref="ChecksLifetimes"/> on in a Release build.</summary>
    public const string CheckLifetimesSwitch = "Loom.CheckBufferLifetimes";

    /// <summary>
    /// Whether tensors on recycled storage record their lease and refuse use after it (see the remarks). Read once:
    /// a static readonly field is a constant to the optimising JIT, which then drops the check from
    /// <see cref="Tensor.Data"/> entirely when it is off.
    /// </summary>
    internal static readonly bool CheckLifetimes =
#if DEBUG
        true;
#else
        AppContext.TryGetSwitch(CheckLifetimesSwitch, out bool on) && on;
#endif

    /// <inheritdoc cref="CheckLifetimes"/>
    public static bool ChecksLifetimes => CheckLifetimes;

    /// <summary>
    /// Reads the switch before any Loom method is compiled. Without tiered compilation (the <c>loom</c> command
    /// turns it off) every method is compiled once, fully optimised, and the JIT folds <see cref="CheckLifetimes"/>
    /// only if this class is already initialised then; otherwise <see cref="Tensor.Data"/> keeps an
    /// initialisation check and stops being inlined.
    /// </summary>
#pragma warning disable CA2255 // a library's module initializer: it only runs this class's own field initialiser
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void ReadSwitchFirst() => System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(BufferPool).TypeHandle);
#pragma warning restore CA2255

    [ThreadStatic] private static BufferPool? _active;

    private readonly Shelf<float> _floats = new();
    private readonly Shelf<int> _ints = new();
    // With CheckLifetimes: the leases of the tensors made in the open scope, returned when it ends.
    private readonly List<StorageLease> _leases = [];
    private bool _open;

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

    /// <summary>
    /// With <see cref="CheckLifetimes"/>, the lease for a tensor that <paramref name="op"/> made on storage from the
    /// active scope, returned when the scope ends; null outside a scope (the storage is the tensor's own).
    /// </summary>
    internal static StorageLease? Lease(string op)
    {
        if (_active is not { _open: true } pool) return null;
        var lease = StorageLease.ForScope(op);
        pool._leases.Add(lease);
        return lease;
    }

    /// <summary>An int buffer of exactly <paramref name="length"/> elements with garbage contents.</summary>
    internal static int[] RentInts(int length) => _active is { _open: true } pool ? pool._ints.Rent(length) : GC.AllocateUninitializedArray<int>(length);

    /// <summary>The scope's buffers become the free lists; buffers the scope did not use are let go.</summary>
    private void Recycle()
    {
        _floats.Recycle();
        _ints.Recycle();
        foreach (var lease in _leases) lease.Return();
        _leases.Clear();
    }

    /// <summary>The free buffers of one element type by length, and those handed out in the open scope.</summary>
    private sealed class Shelf<T>
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
                if (!_free.TryGetValue(buffer.Length, out var free)) _free[buffer.Length] = free = new Stack<T[]>();
                free.Push(buffer);
            }
            _rented.Clear();
        }
    }
}
