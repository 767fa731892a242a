using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using Loom.Cli.Bench;

namespace Loom.Peers;

/// <summary>
/// What bench/torch/bench.py measures and how, for the .NET peers: the same window plan and timing as `loom bench` (its
/// Measure.cs is compiled in: BenchPlan.Full / Quick, the same as bench.py's FULL / QUICK), one JSON object on
/// stdout with bench.py's keys and a "settings" object, progress on stderr.
/// </summary>
/// <summary>The command line the peers share with bench.py: --quick, --only NAME,..., --threads N, --json, --list.</summary>
internal sealed class Options
{
    public bool Quick;
    public int Threads = Environment.ProcessorCount; // .NET reports the CPUs of the process's affinity mask
    public List<string> Only = new();
    public Dictionary<string, string> Extra = new();
    public BenchPlan Plan => Quick ? BenchPlan.Quick : BenchPlan.Full;

    /// <summary>Parses <paramref name="args"/>; options named in <paramref name="extra"/> take a value and land in <see cref="Extra"/>.
    /// Prints the workload names and returns null for --list; exits with a message on a bad argument.</summary>
    public static Options? Parse(string[] args, IReadOnlyList<string> workloads, params string[] extra)
    {
        var o = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i], value = "";
            int eq = arg.IndexOf('=');
            if (arg.StartsWith("--") && eq > 0) (arg, value) = (arg[..eq], arg[(eq + 1)..]);
            string Value() => value != "" ? value : ++i < args.Length ? args[i] : Fail($"{arg} needs a value");
            switch (arg)
            {
                case "--quick": o.Quick = true; break;
                case "--json": break; // the output is always JSON, as bench.py's
                case "--list": Console.WriteLine(string.Join('\n', workloads)); return null;
                case "--threads":
                    if (!int.TryParse(Value(), out o.Threads) || o.Threads < 1) Fail("--threads must be at least 1");
                    break;
                case "--only":
                    o.Only = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
                    break;
                default:
                    if (extra.Contains(arg)) { o.Extra[arg] = Value(); break; }
                    Fail($"unknown argument {arg}. Arguments: --quick, --only NAME,..., --threads N, --json, --list{string.Concat(extra.Select(e => $", {e} VALUE"))}");
                    break;
            }
        }
        if (o.Only.Count == 0) o.Only = workloads.ToList();
        foreach (var name in o.Only)
            if (!workloads.Contains(name)) Fail($"--only: unknown workload '{name}'. Workloads: {string.Join(", ", workloads)}.");
        return o;
    }

    public static string Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        Environment.Exit(2);
        return "";
    }
}

/// <summary>What the peers say of themselves and their machine; the timing itself is loom bench's (Loom.Cli.Bench.Measure, linked).</summary>
internal static class Host
{
    public static void Log(string line) => Console.Error.WriteLine(line);

    public static string CpuName()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name")) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
    }

    /// <summary>The CPUs this process may run on (Cpus_allowed_list of /proc/self/status, expanded).</summary>
    public static List<int> Affinity()
    {
        var cpus = new List<int>();
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Cpus_allowed_list:"));
            foreach (var part in (line?[(line.IndexOf(':') + 1)..] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var ends = part.Split('-').Select(int.Parse).ToArray();
                for (int c = ends[0]; c <= ends[^1]; c++) cpus.Add(c);
            }
        }
        catch (IOException) { }
        return cpus;
    }
}

/// <summary>The figures of one run, printed at the end as bench.py prints its own: {key: value rounded to 0.1, ..., "settings": {...}}.</summary>
internal sealed class Report
{
    private readonly Dictionary<string, object?> _figures = new();

    public void Add(string key, string label, double value, string unit)
    {
        double rounded = Math.Round(value, 1, MidpointRounding.AwayFromZero);
        _figures[key] = rounded;
        Host.Log($"  {label}: {rounded:N1} {unit}");
    }

    public void Print(Dictionary<string, object?> settings)
    {
        Add("peak_working_set_mib", "peak working set of the whole run", Measure.PeakWorkingSetMiB(), "MiB");
        _figures["settings"] = settings;
        var options = new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        Console.WriteLine(JsonSerializer.Serialize(_figures, options));
    }

    /// <summary>Runs the workloads named in <paramref name="options"/>, in the order of <paramref name="workloads"/>, timing each on stderr.</summary>
    public void RunAll(IEnumerable<(string Name, Action<BenchPlan> Run)> workloads, Options options)
    {
        foreach (var (name, run) in workloads)
        {
            if (!options.Only.Contains(name)) continue;
            Host.Log($"{name}:");
            var start = Stopwatch.StartNew();
            run(options.Plan);
            Host.Log($"  ({start.Elapsed.TotalSeconds:F1} s)");
        }
    }
}
