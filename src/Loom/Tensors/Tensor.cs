using System.Text;
using Loom.Autograd;

namespace Loom;

/// <summary>
/// A float32 tensor: a shape and contiguous row-major storage, plus what reverse-mode autograd needs
/// (whether it wants a gradient, its gradient, and the node that produced it).
/// </summary>
/// <remarks>
/// Integer data such as class labels or token ids are stored as floats holding whole numbers
/// (exact up to 2^24), so that a batch is always one <see cref="Tensor"/>.
/// </remarks>
public partial class Tensor
{
    private readonly float[] _data;

    /// <summary>
    /// With <see cref="BufferPool.ChecksLifetimes"/>: the loan of this tensor's recycled storage (shared with its
    /// views), null when the storage is its own. Not readonly: the op or owner that lends the storage sets it.
    /// </summary>
    private StorageLease? _lease;

    /// <summary>
    /// The elements, row-major. Views made by <see cref="Reshape"/> share this array. Storage recycled by a
    /// <see cref="BufferPool"/> scope, <see cref="Optim.Optimizer.ZeroGrad"/> or a reusing
    /// <see cref="Data.DataLoader"/> is valid only as long as <see cref="BufferPool"/> says.
    /// </summary>
    /// <exception cref="InvalidOperationException">With lifetime checks on, the storage has gone back to its owner.</exception>
    public float[] Data
    {
        // Off (the Release default) the JIT folds the static readonly flag, and what it inlines is a plain field
        // load. Told to inline: judged by its IL before the branch is folded, the getter would look too big.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        get
        {
            if (BufferPool.CheckLifetimes) _lease?.ThrowIfReturned();
            return _data;
        }
    }

    /// <summary>The size of each dimension. Do not mutate.</summary>
    public int[] Shape { get; }

    /// <summary>Whether gradients flow to this tensor when <see cref="Backward"/> runs.</summary>
    public bool RequiresGrad { get; set; }

    /// <summary>The accumulated gradient of a leaf tensor (null until a backward pass reaches it).</summary>
    public Tensor? Grad { get; set; }

    /// <summary>The node that produced this tensor, or null for a leaf.</summary>
    internal Node? GradFn { get; set; }

    /// <summary>Gradient buffer of a non-leaf tensor during a backward pass.</summary>
    internal float[]? PendingGrad;

    public Tensor(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        long size = ShapeUtil.SizeOf(shape);
        if (size != data.Length)
            throw new ArgumentException($"Data of length {data.Length} does not fit shape {ShapeUtil.Format(shape)} ({size} elements).");
        _data = data;
        Shape = (int[])shape.Clone();
    }

    /// <summary>A view: this tensor's storage, and its lease, under another shape of the same size.</summary>
    internal Tensor ShareStorage(int[] shape) => new(Data, shape) { _lease = _lease };

    /// <summary>With <see cref="BufferPool.ChecksLifetimes"/>, lends this tensor (made on recycled storage) the lease its owner will return.</summary>
    internal StorageLease? Lease
    {
        get => _lease;
        set => _lease = value;
    }

    /// <summary>Total number of elements.</summary>
    public int Size => _data.Length; // metadata, readable after the storage has gone back (for error messages)

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Length;

    public bool IsLeaf => GradFn is null;

    /// <summary>Size of dimension <paramref name="dim"/>; negative counts from the end.</summary>
    public int Dim(int dim) => Shape[ShapeUtil.NormalizeDim(dim, Rank)];

    public Span<float> AsSpan() => Data;

    /// <summary>The single value of a one-element tensor.</summary>
    public float Item()
    {
        if (Size != 1) throw new InvalidOperationException($"Item() needs a tensor with one element, not shape {ShapeUtil.Format(Shape)}.");
        return Data[0];
    }

    [System.Runtime.CompilerServices.IndexerName("At")]
    public float this[params int[] index]
    {
        get => Data[ShapeUtil.Offset(Shape, index)];
        set => Data[ShapeUtil.Offset(Shape, index)] = value;
    }

    // ---- creation ----

    public static Tensor Zeros(params int[] shape) => new(new float[ShapeUtil.CheckedSize(shape)], shape);

    /// <summary>
    /// A tensor whose contents are garbage, for an op's output that the op then writes in full (saves zeroing
    /// it); inside a <see cref="BufferPool.Scope"/> its storage is recycled. <paramref name="op"/> is the
    /// <see cref="Functional"/> method that calls it, named when the tensor is used after its scope.
    /// </summary>
    internal static Tensor Uninitialized(int[] shape, [System.Runtime.CompilerServices.CallerMemberName] string op = "")
    {
        var t = new Tensor(BufferPool.RentFloats(ShapeUtil.CheckedSize(shape)), shape);
        if (BufferPool.CheckLifetimes) t._lease = BufferPool.Lease(op);
        return t;
    }

    public static Tensor Ones(params int[] shape) => Full(1f, shape);

    public static Tensor Full(float value, params int[] shape)
    {
        var t = Zeros(shape);
        Array.Fill(t.Data, value);
        return t;
    }

    public static Tensor Scalar(float value) => new([value]);

    public static Tensor FromArray(float[] values, params int[] shape) => new((float[])values.Clone(), shape.Length == 0 ? [values.Length] : shape);

    public static Tensor FromArray(float[,] values)
    {
        int rows = values.GetLength(0), cols = values.GetLength(1);
        var data = new float[rows * cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                data[i * cols + j] = values[i, j];
        return new Tensor(data, rows, cols);
    }

    /// <summary>Uniform on [low, high) from <paramref name="rng"/> (default: the global generator).</summary>
    public static Tensor Uniform(float low, float high, int[] shape, Rng? rng = null)
    {
        var t = Zeros(shape);
        (rng ?? Rng.Default).FillUniform(t.Data, low, high);
        return t;
    }

    /// <summary>Normal with the given mean and standard deviation.</summary>
    public static Tensor Normal(float mean, float std, int[] shape, Rng? rng = null)
    {
        var t = Zeros(shape);
        (rng ?? Rng.Default).FillNormal(t.Data, mean, std);
        return t;
    }

    public static Tensor Arange(int count)
    {
        var t = Zeros(count);
        for (int i = 0; i < count; i++) t.Data[i] = i;
        return t;
    }

    /// <summary>A copy of the data with no autograd history.</summary>
    public Tensor Clone() => new((float[])Data.Clone(), Shape);

    /// <summary>The same storage, cut from the graph (like PyTorch's <c>detach()</c>).</summary>
    public Tensor Detach() => ShareStorage(Shape);

    // ---- autograd ----

    /// <summary>
    /// Runs reverse-mode differentiation from this tensor. A scalar seeds with 1; otherwise pass
    /// <paramref name="gradient"/> of the same shape. Leaf gradients accumulate into <see cref="Grad"/>.
    /// </summary>
    public void Backward(Tensor? gradient = null) => Autograd.Backprop.Run(this, gradient);

    /// <summary>
    /// Keeps this non-leaf tensor's gradient in <see cref="Grad"/> after <see cref="Backward"/> (PyTorch's
    /// <c>retain_grad()</c>), as a copy taken when the whole gradient has reached it; a leaf keeps its gradient anyway.
    /// What a saliency or Grad-CAM picture needs of a layer's output.
    /// </summary>
    public void RetainGrad() => RetainsGrad = true;

    /// <summary>Whether <see cref="RetainGrad"/> was called.</summary>
    internal bool RetainsGrad { get; private set; }

    /// <summary>Clears the gradient (PyTorch's <c>zero_grad(set_to_none=True)</c>).</summary>
    public void ZeroGrad() => Grad = null;

    /// <summary>The storage of the last gradient this tensor's backward pass allocated: only that is recycled, never a gradient a caller assigned.</summary>
    private float[]? _ownGrad;

    /// <summary>
    /// Whether <see cref="RecycleGrad"/> has released <see cref="_ownGrad"/> for the next backward pass to take
    /// again (a flag rather than a second array field keeps every tensor header the size it was).
    /// </summary>
    private bool _ownGradIsSpare;

    /// <summary>
    /// Clears the gradient like <see cref="ZeroGrad"/>, but keeps its storage for the next backward pass, which
    /// then allocates nothing (what <see cref="Optim.Optimizer.ZeroGrad"/> does, every step). A reference to the
    /// old <see cref="Grad"/> sees the next gradient: Clone() one you want to keep.
    /// </summary>
    internal void RecycleGrad()
    {
        if (Grad is { } g && ReferenceEquals(g._data, _ownGrad))
        {
            _ownGradIsSpare = true;
            g._lease?.Return(); // the old gradient tensor now shares the next one's storage
        }
        Grad = null;
    }

    /// <summary>A leaf's new gradient tensor, on the recycled buffer if there is one (garbage contents) or a new one.</summary>
    private Tensor NewLeafGrad(bool zeroed)
    {
        var data = _ownGradIsSpare ? _ownGrad : null;
        _ownGradIsSpare = false;
        if (data is null) data = zeroed ? new float[Size] : GC.AllocateUninitializedArray<float>(Size);
        else if (zeroed) Array.Clear(data);
        _ownGrad = data;
        var grad = new Tensor(data, Shape);
        if (BufferPool.CheckLifetimes) grad._lease = StorageLease.ForGradient(Shape);
        return grad;
    }

    /// <summary>
    /// The buffer into which this tensor's gradient accumulates during backward, allocated on first use;
    /// null when no gradient is wanted.
    /// </summary>
    internal float[]? GradBuffer()
    {
        if (!RequiresGrad) return null;
        if (GradFn is null)
        {
            Grad ??= NewLeafGrad(zeroed: true);
            return Grad.Data;
        }
        if (PendingGrad is null)
        {
            PendingGrad = BufferPool.RentFloats(Size);
            Array.Clear(PendingGrad);
        }
        return PendingGrad;
    }

    /// <summary>
    /// The buffer for an op that would rather write this tensor's gradient than add to it. When no gradient
    /// has reached this tensor yet, <paramref name="accumulate"/> is false and the buffer holds garbage: the op
    /// must write every element. The buffer is then <paramref name="incoming"/> if given — the gradient of the
    /// op's own output, same size, which nothing reads after the op (so element-wise ops work in place) — or
    /// else fresh and uninitialised. Otherwise the op adds into the existing buffer as with <see cref="GradBuffer"/>.
    /// Saves zeroing, and for element-wise ops the allocation, of activation-sized gradients.
    /// </summary>
    internal float[]? GradBufferToWrite(out bool accumulate, float[]? incoming = null)
    {
        accumulate = true;
        if (!RequiresGrad) return null;
        if (GradFn is null)
        {
            if (Grad is not null) return Grad.Data;
            accumulate = false;
            Grad = NewLeafGrad(zeroed: false);
            return Grad.Data;
        }
        if (PendingGrad is not null) return PendingGrad;
        accumulate = false;
        return PendingGrad = incoming is not null && incoming.Length == Size ? incoming : BufferPool.RentFloats(Size);
    }

    public override string ToString() => TensorFormatter.Format(this);
}
