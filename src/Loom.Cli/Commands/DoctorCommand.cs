using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Loom.Kernels;

namespace Loom.Cli.Commands;

/// <summary>
/// <c>loom doctor [--threads N] [--json]</c>: what this machine is (CPU, OS, architecture, runtime), which
/// instruction-set path each kernel family takes on it, the thread count, and every fast kernel checked against
/// its naive twin on random shapes (<see cref="SelfTest"/>); exits 1 if any family fails.
/// </summary>
internal static class DoctorCommand
{
    public static Command Create()
    {
        var threads = CliOptions.Threads();
        var json = CliOptions.Json();
        var command = new Command("doctor", "Show the CPU, runtime and the kernel path per instruction set, and check every fast kernel against its naive twin (a few seconds); exit 1 on any mismatch.")
        {
            threads, json,
        };
        CommandRunner.SetAction(command, parse =>
        {
            CliOptions.ApplyThreads(parse.GetValue(threads));
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var results = SelfTest.Run();
            double seconds = watch.Elapsed.TotalSeconds;
            bool ok = results.All(r => r.Passed);
            if (parse.GetValue(json))
            {
                var o = new JsonObject
                {
                    ["cpu"] = BenchCommand.CpuName(),
                    ["os"] = RuntimeInformation.OSDescription,
                    ["architecture"] = RuntimeInformation.ProcessArchitecture.ToString(),
                    ["runtime"] = RuntimeInformation.FrameworkDescription,
                    ["instruction_sets"] = SelfTest.InstructionSets(),
                    ["threads"] = Threading.Threads,
                    ["processors"] = Environment.ProcessorCount,
                    ["passed"] = ok,
                    ["seconds"] = JsonOutput.Number(Math.Round(seconds, 2)),
                };
                var families = new JsonArray();
                foreach (var r in results)
                    families.Add(new JsonObject
                    {
                        ["family"] = r.Family, ["path"] = r.Path, ["cases"] = r.Cases, ["passed"] = r.Passed,
                        ["failure"] = r.Failure, ["ms"] = JsonOutput.Number(Math.Round(r.Milliseconds, 1)),
                    });
                o["families"] = families;
                JsonOutput.Write(o);
            }
            else
            {
                Console.WriteLine($"CPU:          {BenchCommand.CpuName()} ({Environment.ProcessorCount} logical processors)");
                Console.WriteLine($"OS:           {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}");
                Console.WriteLine($"Runtime:      {RuntimeInformation.FrameworkDescription}");
                Console.WriteLine($"ISA:          {SelfTest.InstructionSets()}");
                Console.WriteLine($"Threads:      {Threading.Threads}");
                Console.WriteLine("Kernels, each against its naive twin on random shapes:");
                int width = results.Max(r => r.Family.Length);
                foreach (var r in results)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {r.Family.PadRight(width)}  {(r.Passed ? "pass" : "FAIL")}  {r.Cases,3} cases {r.Milliseconds,7:F0} ms  {r.Path}"));
                    if (!r.Passed) Console.WriteLine($"  {"".PadRight(width)}  {r.Failure}");
                }
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{(ok ? "All kernels agree with their naive twins" : "Some kernels DISAGREE with their naive twins: please report this output")} ({seconds:F1} s)."));
            }
            return ok ? 0 : 1;
        });
        return command;
    }
}
