using System.Runtime.CompilerServices;

namespace Loom.Tests.Core;

/// <summary>
/// Every test runs with recycled buffers poisoned (NaN) as their scope ends, so a tensor that outlives its
/// <see cref="BufferPool"/> scope — a bug that would otherwise read the next step's values — turns results NaN.
/// </summary>
internal static class PoisonPooledBuffers
{
    [ModuleInitializer]
    internal static void TurnOn() => BufferPool.PoisonReturned = true;
}
