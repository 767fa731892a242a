using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

// Kernel micro-benchmarks over the shapes that `loom bench`'s workloads use. Examples, from the repository root:
//   dotnet run -c Release --project bench/Loom.Benchmarks -- --filter '*'
//   dotnet run -c Release --project bench/Loom.Benchmarks -- --filter '*Gemm*' --job short
//   dotnet run -c Release --project bench/Loom.Benchmarks -- --filter '*' --job dry      (a smoke run: one iteration each)
//   dotnet run -c Release --project bench/Loom.Benchmarks -- --list flat
// LOOM_THREADS=N sets the kernels' thread count (default: all cores), as `loom --threads` does.
var config = DefaultConfig.Instance.WithSummaryStyle(SummaryStyle.Default.WithMaxParameterColumnWidth(48));
BenchmarkSwitcher.FromAssembly(typeof(Loom.Benchmarks.GemmBenchmarks).Assembly).Run(args, config);
