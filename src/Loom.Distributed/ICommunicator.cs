namespace Loom.Distributed;

/// <summary>
/// The collective operations data-parallel training needs, over a fixed group of processes (ranks 0 … Size − 1).
/// Every rank must make the same calls in the same order with buffers of the same length, as in MPI; a call is
/// complete on return. <see cref="MpiCommunicator"/> runs over Open MPI, <see cref="InProcessCommunicator"/> over
/// threads of one process (for tests).
/// </summary>
public interface ICommunicator : IDisposable
{
    /// <summary>This process's rank, 0 … <see cref="Size"/> − 1.</summary>
    int Rank { get; }

    /// <summary>How many ranks the group has.</summary>
    int Size { get; }

    /// <summary>Replaces <paramref name="values"/> on every rank by the element-wise sum over all ranks.</summary>
    void AllReduceSum(Span<float> values);

    /// <summary>Replaces <paramref name="values"/> on every rank by the element-wise sum over all ranks (for metrics, where float would lose counts).</summary>
    void AllReduceSum(Span<double> values);

    /// <summary>Copies <paramref name="values"/> of rank <paramref name="root"/> into every other rank's.</summary>
    void Broadcast(Span<float> values, int root = 0);

    /// <summary>Returns once every rank has entered it.</summary>
    void Barrier();

    /// <summary>Ends every rank of the group at once with <paramref name="exitCode"/> (an unrecoverable error on one rank, which the others would otherwise wait for forever).</summary>
    void Abort(int exitCode);
}
