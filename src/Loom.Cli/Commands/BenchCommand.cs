using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Json.Nodes;
using Loom.Cli.Bench;

namespace Loom.Cli.Commands;

/// <summary>
/// <c>loom bench [--quick] [--only NAME,...] [--threads N] [--json]</c>: the performance workloads on
/// synthetic data, as a table or one JSON object with a key per figure (the keys of bench/torch/bench.py).
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var threads = CliOptions.Threads();
        var json = CliOptions.Json();
        var quick = new Option<bool>("--quick") { Description = "Fewer and shorter timed windows: the whole run takes under a minute, the figures are rougher." };
        var only = new Option<string?>("--only")
        {
            Description = $"Comma-separated workloads to run (default: all): {string.Join(", ", Workloads.All.Select(w => w.Name))}.",
        };
        var command = new Command("bench", "Measure speed and memory on synthetic data: GEMM, LeNet training and inference, char-LSTM/GRU/RNN training, LSTM generation.")
        {
            threads, quick, only, json,
        };
        CommandRunner.SetAction(command, parse =>
        {
            CliOptions.ApplyThreads(parse.GetValue(threads));
            var selected = Workloads.Select(parse.GetValue(only));
            bool isQuick = parse.GetValue(quick);
            var run = new BenchRun(isQuick ? BenchPlan.Quick : BenchPlan.Full, Console.Error);
            var settings = Settings(isQuick, selected);
            run.Progress($"loom bench: {settings["threads"]} threads, {settings["data"]}{(isQuick ? ", quick" : "")}");
            foreach (var w in selected)
            {
                run.Progress($"{w.Name}: {w.What}");
                var watch = Stopwatch.StartNew();
                w.Run(run);
                run.Progress(string.Create(CultureInfo.InvariantCulture, $"  ({watch.Elapsed.TotalSeconds:F1} s)"));
            }
            AddShareOfPeak(run, isQuick);
            var peak = Measure.PeakWorkingSetMiB();
            run.Add("peak_working_set_mib", "peak working set of the whole run", peak, "MiB");

            if (parse.GetValue(json))
            {
                var o = new JsonObject();
                foreach (var f in run.Figures) o[f.Key] = JsonOutput.Number(Math.Round(f.Value, 1));
                o["settings"] = settings;
                JsonOutput.Write(o);
            }
            else PrintTable(run.Figures, settings);
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The physical limit beside the figures: the FMA peak of this ISA and thread count (<see cref="FmaPeak"/>), measured
    /// after the workloads in the same process, and GEMM's GFLOPS, and the LeNet and char-LSTM training steps' effective
    /// GFLOPS (their multiply–adds per step, counted from the shapes), as percentages of it.
    /// </summary>
    private static void AddShareOfPeak(BenchRun run, bool quick)
    {
        var plan = quick ? new BenchPlan(0, Windows: 3, WindowSeconds: 0.1, 0, 0, 0) : new BenchPlan(0, Windows: 5, WindowSeconds: 0.2, 0, 0, 0);
        double peak = FmaPeak.Gflops(Kernels.Threading.Threads, plan);
        run.Add("fma_peak_gflops", $"FMA peak: {FmaPeak.Isa}, {Kernels.Threading.Threads} threads, register-only loop", peak, "GFLOPS");
        foreach (var f in run.Figures.ToArray())
        {
            (string Key, string Label, double Gflops)? share = f.Key switch
            {
                var k when k.StartsWith("sgemm_", StringComparison.Ordinal) && k.EndsWith("_gflops", StringComparison.Ordinal) =>
                    (k[..^"_gflops".Length], f.Label, f.Value),
                "lenet_train_images_per_s" => ("lenet_train", "lenet training (GEMM FLOPs of a step)", f.Value * LeNetBench.TrainFlopsPerImage / 1e9),
                "char_lstm_train_chars_per_s" => ("char_lstm_train", "char-LSTM training (GEMM FLOPs of a step)", f.Value * CharRnnBench.LstmTrainFlopsPerChar / 1e9),
                _ => null,
            };
            if (share is not { } s) continue;
            if (!f.Key.EndsWith("_gflops", StringComparison.Ordinal)) run.Add($"{s.Key}_effective_gflops", $"{s.Label}: effective", s.Gflops, "GFLOPS");
            run.Add($"{s.Key}_pct_of_fma_peak", $"{s.Label}: share of the FMA peak", 100 * s.Gflops / peak, "%");
        }
    }

    /// <summary>What a figure depends on besides the code: threads, data, run length, runtime and CPU.</summary>
    private static JsonObject Settings(bool quick, IReadOnlyList<Workload> selected) => new()
    {
        ["threads"] = Kernels.Threading.Threads,
        ["quick"] = quick,
        ["data"] = $"synthetic, seed {Workloads.Seed}",
        ["workloads"] = new JsonArray([.. selected.Select(w => (JsonNode)JsonValue.Create(w.Name))]),
        ["runtime"] = RuntimeInformation.FrameworkDescription,
        ["vector512"] = Vector512.IsHardwareAccelerated,
        ["gemm_path"] = Kernels.Gemm.PathName,
        ["fma_peak_isa"] = FmaPeak.Isa,
        ["cpu"] = CpuName(),
        ["processors"] = Environment.ProcessorCount,
    };

    private static void PrintTable(IReadOnlyList<Figure> figures, JsonObject settings)
    {
        Console.WriteLine($"loom bench — synthetic data (fixed seed {Workloads.Seed}), {settings["threads"]} threads, {settings["runtime"]}, {settings["cpu"]}");
        if ((bool)settings["quick"]!) Console.WriteLine("quick run: fewer, shorter windows; rough figures");
        int width = Math.Max("figure".Length, figures.Max(f => f.Label.Length));
        Console.WriteLine($"{"figure".PadRight(width)}  {"value",12}  unit");
        foreach (var f in figures) Console.WriteLine($"{f.Label.PadRight(width)}  {BenchRun.Format(f.Value),12}  {f.Unit}");
        Console.WriteLine("Throughputs are medians over timed windows after warm-up; latencies are medians of single calls.");
    }

    internal static string CpuName()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
