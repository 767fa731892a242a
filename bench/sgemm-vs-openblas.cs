#:project ../src/Loom/Loom.csproj
#:property PublishAot=false
#:property AllowUnsafeBlocks=true
// Loom's sgemm and OpenBLAS's cblas_sgemm in one process, call by call in turn on the same square matrices, so that
// a slow spell of a shared machine falls on both sides (bench/compare.sh runs them in separate processes, minutes
// apart). Prints each side's median, best and upper-quartile GFLOPS and the ratio of the medians (> 1: Loom faster).
//   OPENBLAS_THREAD_TIMEOUT=4 taskset -c 0,1 dotnet run -c Release bench/sgemm-vs-openblas.cs -- [SIZES=1024,2048] [THREADS=2] [ROUNDS=30]
// OpenBLAS is Debian's libopenblas0-pthread (the library PyTorch loads here); OPENBLAS_CORETYPE is honoured as usual.
// OPENBLAS_THREAD_TIMEOUT=4 (2⁴ cycles) stops OpenBLAS's workers from spinning after each call: by default they spin
// for 2²⁸ cycles, about 0.1 s, and took a core from the Loom call that followed. It must be set before the process
// starts (OpenBLAS reads it when it is loaded), so the script refuses to run with more than one thread without it.
using System.Diagnostics;
using System.Runtime.InteropServices;
using Loom;
using Loom.Kernels;

int[] sizes = (args.Length > 0 ? args[0] : "1024,2048").Split(',').Select(int.Parse).ToArray();
int threads = args.Length > 1 ? int.Parse(args[1]) : 2;
int rounds = args.Length > 2 ? int.Parse(args[2]) : 30;
if (!File.Exists(OpenBlas.Library))
{
    Console.Error.WriteLine($"error: {OpenBlas.Library} is missing: install Debian's libopenblas0-pthread");
    return 2;
}
if (threads > 1 && Environment.GetEnvironmentVariable("OPENBLAS_THREAD_TIMEOUT") is null)
{
    Console.Error.WriteLine("error: set OPENBLAS_THREAD_TIMEOUT=4 for more than one thread (see the comment at the top)");
    return 2;
}
Threading.Threads = threads;
OpenBlas.SetThreads(threads);
Console.WriteLine($"{threads} thread(s), Loom {Gemm.PathName}, OpenBLAS core {OpenBlas.CoreName()}, {rounds} rounds after 2 warm-ups");

foreach (int n in sizes)
{
    var rng = new Rng(1);
    var a = new float[n * n];
    var b = new float[n * n];
    var c = new float[n * n];
    rng.FillUniform(a, -1f, 1f);
    rng.FillUniform(b, -1f, 1f);
    var loom = new double[rounds];
    var blas = new double[rounds];
    double Time(Action call)
    {
        long start = Stopwatch.GetTimestamp();
        call();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
    Action runLoom = () => Gemm.Multiply(false, false, n, n, n, a, n, b, n, c, n), runBlas = () => OpenBlas.Multiply(n, a, b, c);
    for (int r = -2; r < rounds; r++)
    {
        // Each side goes first in every other round, so that neither always follows the other.
        double tLoom, tBlas;
        if ((r & 1) == 0) { tLoom = Time(runLoom); tBlas = Time(runBlas); }
        else { tBlas = Time(runBlas); tLoom = Time(runLoom); }
        if (r >= 0) (loom[r], blas[r]) = (tLoom, tBlas);
    }
    double gflop = 2.0 * n * n * n / 1e9;
    Array.Sort(loom);
    Array.Sort(blas);
    string Line(string name, double[] t) => $"  {name,-9} median {gflop / t[t.Length / 2],6:F1}  best {gflop / t[0],6:F1}  upper quartile {gflop / t[t.Length / 4],6:F1} GFLOPS";
    Console.WriteLine($"{n}³:");
    Console.WriteLine(Line("Loom", loom));
    Console.WriteLine(Line("OpenBLAS", blas));
    Console.WriteLine($"  Loom / OpenBLAS (medians): {blas[rounds / 2] / loom[rounds / 2]:F2}");
}
return 0;

static unsafe class OpenBlas
{
    public const string Library = "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0";
    private const int RowMajor = 101, NoTrans = 111;

    [DllImport(Library)] private static extern void openblas_set_num_threads(int threads);
    [DllImport(Library)] private static extern IntPtr openblas_get_corename();
    [DllImport(Library)] private static extern void cblas_sgemm(int order, int transA, int transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    public static void SetThreads(int threads) => openblas_set_num_threads(threads);

    public static string CoreName() => Marshal.PtrToStringAnsi(openblas_get_corename()) ?? "?";

    public static void Multiply(int n, float[] a, float[] b, float[] c)
    {
        fixed (float* pa = a, pb = b, pc = c) cblas_sgemm(RowMajor, NoTrans, NoTrans, n, n, n, 1f, pa, n, pb, n, 0f, pc, n);
    }
}
