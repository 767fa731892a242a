using Loom.Kernels;

namespace Loom.Cli.Bench;

/// <summary>Single-precision GEMM throughput on square matrices, 2·n³ floating-point operations per multiply.</summary>
internal static class SgemmBench
{
    public static void Run(BenchRun run)
    {
        var rng = new Rng(Workloads.Seed);
        foreach (int n in (int[])[1024, 2048])
        {
            var a = new float[n * n];
            var b = new float[n * n];
            var c = new float[n * n];
            rng.FillUniform(a, -1f, 1f);
            rng.FillUniform(b, -1f, 1f);
            double gflops = Measure.Throughput(() => Gemm.Multiply(false, false, n, n, n, a, n, b, n, c, n), 2.0 * n * n * n / 1e9, run.Plan);
            run.Add($"sgemm_{n}_gflops", $"sgemm {n}³", gflops, "GFLOPS");
        }
    }
}
