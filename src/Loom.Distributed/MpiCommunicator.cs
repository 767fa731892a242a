
namespace Loom.Distributed;

/// <summary>How many threads of a process may call MPI (MPI_THREAD_*, in mpi.h's order).</summary>
public enum MpiThreadLevel { Single = 0, Funneled = 1, Serialized = 2, Multiple = 3 }

/// <summary>
/// <see cref="ICommunicator"/> over Open MPI's <c>MPI_COMM_WORLD</c>: start the program with
/// <c>mpirun -np N</c>, call <see cref="Initialize"/> once, and dispose it (MPI_Finalize) at the end. Without
/// mpirun MPI starts as a singleton, a world of one. Errors come back as <see cref="MpiException"/> naming the call:
/// the world's error handler is set to MPI_ERRORS_RETURN, since the default (abort the job) would give no
/// managed stack and no message of ours.
/// </summary>
public sealed unsafe class MpiCommunicator : ICommunicator
{
    private static MpiCommunicator? _instance;
    private bool _finalized;

    private MpiCommunicator(int rank, int size, MpiThreadLevel provided) => (Rank, Size, ThreadLevel) = (rank, size, provided);

    public int Rank { get; }
    public int Size { get; }

    /// <summary>The thread support MPI granted.</summary>
    public MpiThreadLevel ThreadLevel { get; }

    /// <summary>Whether this process was started by Open MPI's mpirun (or another PMIx launcher) rather than by hand.</summary>
    public static bool LaunchedByMpirun =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null || Environment.GetEnvironmentVariable("PMIX_RANK") is not null;

    /// <summary>
    /// Initialises MPI (MPI_Init_thread) with at least <paramref name="required"/> thread support, once per process;
    /// a second call returns the same communicator. Serialized is the default because a .NET program may make its
    /// calls from more than one thread (never two at once), which Funneled would forbid.
    /// </summary>
    /// <exception cref="DllNotFoundException">Open MPI is not installed; the message says which package to install.</exception>
    public static MpiCommunicator Initialize(MpiThreadLevel required = MpiThreadLevel.Serialized)
    {
        if (_instance is { } existing) return existing;
        try
        {
            int initialized = 0, provided = 0, rank = 0, size = 0;
            MpiNative.Check(MpiNative.Initialized(&initialized), "MPI_Initialized");
            if (initialized != 0) throw new InvalidOperationException("MPI was initialised outside Loom.Distributed; use one MpiCommunicator.Initialize per process.");
            MpiNative.Check(MpiNative.InitThread(null, null, (int)required, &provided), "MPI_Init_thread");
            var world = MpiNative.Handles.CommWorld;
            MpiNative.Check(MpiNative.CommSetErrhandler(world, MpiNative.Handles.ErrorsReturn), "MPI_Comm_set_errhandler");
            if (provided < (int)required)
            {
                MpiNative.FinalizeMpi();
                throw new MpiException("MPI_Init_thread", -1, $"the MPI library provides thread level {(MpiThreadLevel)provided}, {required} is needed.");
            }
            MpiNative.Check(MpiNative.CommRank(world, &rank), "MPI_Comm_rank");
            MpiNative.Check(MpiNative.CommSize(world, &size), "MPI_Comm_size");
            return _instance = new MpiCommunicator(rank, size, (MpiThreadLevel)provided);
        }
        catch (DllNotFoundException ex)
        {
            throw new DllNotFoundException($"Open MPI's {MpiNative.Library} was not found: install it (Debian: apt-get install openmpi-bin libopenmpi-dev) and start the program with mpirun.", ex);
        }
    }

    public void AllReduceSum(Span<float> values)
    {
        if (values.IsEmpty) return;
        fixed (float* p = values)
            MpiNative.Check(MpiNative.Allreduce(MpiNative.InPlace, p, values.Length, MpiNative.Handles.Float, MpiNative.Handles.Sum, MpiNative.Handles.CommWorld), "MPI_Allreduce");
    }

    public void AllReduceSum(Span<double> values)
    {
        if (values.IsEmpty) return;
        fixed (double* p = values)
            MpiNative.Check(MpiNative.Allreduce(MpiNative.InPlace, p, values.Length, MpiNative.Handles.Double, MpiNative.Handles.Sum, MpiNative.Handles.CommWorld), "MPI_Allreduce");
    }

    public void Broadcast(Span<float> values, int root = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(root);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(root, Size);
        if (values.IsEmpty) return;
        fixed (float* p = values)
            MpiNative.Check(MpiNative.Bcast(p, values.Length, MpiNative.Handles.Float, root, MpiNative.Handles.CommWorld), "MPI_Bcast");
    }

    public void Barrier() => MpiNative.Check(MpiNative.Barrier(MpiNative.Handles.CommWorld), "MPI_Barrier");

    /// <summary>MPI_Abort: mpirun ends every rank of the job; this does not return.</summary>
    public void Abort(int exitCode)
    {
        MpiNative.Abort(MpiNative.Handles.CommWorld, exitCode);
        Environment.Exit(exitCode); // MPI_Abort does not return in Open MPI; this is for a library that would
    }

    /// <summary>MPI_Finalize, once; every rank must reach it.</summary>
    public void Dispose()
    {
        if (_finalized) return;
        _finalized = true;
        int done = 0;
        MpiNative.Check(MpiNative.Finalized(&done), "MPI_Finalized");
        if (done == 0) MpiNative.Check(MpiNative.FinalizeMpi(), "MPI_Finalize");
    }
}
