using System.Runtime.InteropServices;

namespace Loom.Distributed;

/// <summary>
/// The few calls of Open MPI's C API that data-parallel training uses, bound to Debian's <c>libmpi.so.40</c>
/// (Open MPI 4.x). Handles (<c>MPI_Comm</c>, <c>MPI_Datatype</c>, <c>MPI_Op</c>, <c>MPI_Errhandler</c>) are pointers in
/// Open MPI, and its predefined ones (<c>MPI_COMM_WORLD</c>, <c>MPI_FLOAT</c>, <c>MPI_SUM</c>, …) are the addresses of
/// exported globals (<c>ompi_mpi_comm_world</c>, …), which <see cref="Handles"/> looks up once.
/// </summary>
internal static unsafe partial class MpiNative
{
    public const string Library = "libmpi.so.40";

    /// <summary><c>MPI_IN_PLACE</c> is <c>(void*)1</c> in Open MPI's mpi.h.</summary>
    public static readonly void* InPlace = (void*)1;

    public const int Success = 0;
    public const int MaxErrorString = 256; // MPI_MAX_ERROR_STRING (OPAL_MAX_ERROR_STRING)

    [LibraryImport(Library, EntryPoint = "MPI_Initialized")] public static partial int Initialized(int* flag);
    [LibraryImport(Library, EntryPoint = "MPI_Finalized")] public static partial int Finalized(int* flag);
    [LibraryImport(Library, EntryPoint = "MPI_Init_thread")] public static partial int InitThread(int* argc, byte*** argv, int required, int* provided);
    [LibraryImport(Library, EntryPoint = "MPI_Finalize")] public static partial int FinalizeMpi();
    [LibraryImport(Library, EntryPoint = "MPI_Comm_rank")] public static partial int CommRank(nint comm, int* rank);
    [LibraryImport(Library, EntryPoint = "MPI_Comm_size")] public static partial int CommSize(nint comm, int* size);
    [LibraryImport(Library, EntryPoint = "MPI_Comm_set_errhandler")] public static partial int CommSetErrhandler(nint comm, nint handler);
    [LibraryImport(Library, EntryPoint = "MPI_Allreduce")] public static partial int Allreduce(void* send, void* receive, int count, nint datatype, nint op, nint comm);
    [LibraryImport(Library, EntryPoint = "MPI_Bcast")] public static partial int Bcast(void* buffer, int count, nint datatype, int root, nint comm);
    [LibraryImport(Library, EntryPoint = "MPI_Barrier")] public static partial int Barrier(nint comm);
    [LibraryImport(Library, EntryPoint = "MPI_Abort")] public static partial int Abort(nint comm, int errorCode);
    [LibraryImport(Library, EntryPoint = "MPI_Error_string")] public static partial int ErrorString(int errorCode, byte* text, int* length);

    /// <summary>The predefined handles, resolved from the library's exports at first use.</summary>
    public static class Handles
    {
        private static readonly nint Lib = NativeLibrary.Load(Library, typeof(MpiNative).Assembly, null);
        public static readonly nint CommWorld = NativeLibrary.GetExport(Lib, "ompi_mpi_comm_world");
        public static readonly nint Float = NativeLibrary.GetExport(Lib, "ompi_mpi_float");
        public static readonly nint Double = NativeLibrary.GetExport(Lib, "ompi_mpi_double");
        public static readonly nint Sum = NativeLibrary.GetExport(Lib, "ompi_mpi_op_sum");
        public static readonly nint ErrorsReturn = NativeLibrary.GetExport(Lib, "ompi_mpi_errors_return");
    }

    /// <summary>Throws <see cref="MpiException"/> naming <paramref name="call"/> unless <paramref name="code"/> is MPI_SUCCESS.</summary>
    public static void Check(int code, string call)
    {
        if (code != Success) throw new MpiException(call, code, Describe(code));
    }

    public static string Describe(int code)
    {
        byte* text = stackalloc byte[MaxErrorString + 1];
        int length = 0;
        if (ErrorString(code, text, &length) != Success || length <= 0) return "(no description)";
        return System.Text.Encoding.UTF8.GetString(text, Math.Min(length, MaxErrorString));
    }
}
