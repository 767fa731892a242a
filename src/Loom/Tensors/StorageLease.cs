using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Loom;

/// <summary>
/// The loan of recycled storage to a tensor (and to its views), recorded only while
/// <see cref="BufferPool.ChecksLifetimes"/> is on: who made the tensor, and whether the owner of the storage —
/// a <see cref="BufferPool"/> scope, <see cref="Optim.Optimizer.ZeroGrad"/>, a <see cref="Data.DataLoader"/> —
/// has taken it back. A tensor whose lease is returned refuses every read and write of <see cref="Tensor.Data"/>,
/// so a use after the end of its lifetime fails where it happens instead of reading another step's values.
/// </summary>
/// <remarks>One is made per recycled tensor per step while checks are on, so it holds only references; the message is built when it is thrown.</remarks>
internal sealed class StorageLease
{
    private enum Owner { Scope, ZeroGrad, Loader }

    private readonly Owner _owner;
    private readonly string? _op;
    private readonly int[]? _shape;
    private bool _returned;

    private StorageLease(Owner owner, string? op, int[]? shape) => (_owner, _op, _shape) = (owner, op, shape);

    /// <summary>For the output of <see cref="Functional"/> method <paramref name="op"/>, on storage of the open scope.</summary>
    public static StorageLease ForScope(string op) => new(Owner.Scope, op, null);

    /// <summary>For a parameter's gradient (of <paramref name="shape"/>), on storage that ZeroGrad keeps for the next backward pass.</summary>
    public static StorageLease ForGradient(int[] shape) => new(Owner.ZeroGrad, null, shape);

    /// <summary>For a batch written into the loader's ring of reused buffers.</summary>
    public static StorageLease ForBatch() => new(Owner.Loader, null, null);

    public bool Returned => _returned;

    /// <summary>The check behind <see cref="Tensor.Data"/> while lifetime checks are on.</summary>
    public void ThrowIfReturned()
    {
        if (_returned) ThrowUsedAfterReturn();
    }

    /// <summary>The owner has taken the storage back (the loader's from its consumer thread: a flag read only to report misuse).</summary>
    public void Return() => _returned = true;

    /// <summary>Out of line, so that the check stays small.</summary>
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowUsedAfterReturn() => throw new InvalidOperationException(_owner switch
    {
        Owner.Scope => $"A tensor made by Functional.{_op} was used after its BufferPool scope ended: its storage now holds a later step's values. "
            + "Read what you need inside the scope: a value with Item(), a copy with Clone().",
        Owner.ZeroGrad => $"The gradient of a {ShapeUtil.Format(_shape!)} parameter was used after Optimizer.ZeroGrad took its storage back for the next backward pass. "
            + "Clone() a gradient you want to keep past ZeroGrad.",
        _ => "A DataLoader batch on reused buffers (reuseBuffers) was used after the loader moved on to the next batch: its storage now holds another batch. "
            + "A batch lives until the next one: Clone() what you need later.",
    });
}
