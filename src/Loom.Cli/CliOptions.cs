using System.CommandLine;

namespace Loom.Cli;

/// <summary>Options shared by several commands, defined once so that their names and help agree.</summary>
internal static class CliOptions
{
    public static readonly Option<bool> Verbose = new("--verbose", "-v") { Description = "Show stack traces on errors.", Recursive = true };

    public static Option<string> Model(string description) => new("--model", "-m") { Description = description, Required = true };

    public static Option<string> Data(string defaultName) => new("--data", "-d")
    {
        Description = "Dataset name (fashion-mnist-mini, fashion-mnist, moby-dick, brown, spam-assassin, or their -mini samples) or a folder holding MNIST-format IDX files.",
        DefaultValueFactory = _ => defaultName,
    };

    public static Option<string?> DataDir() => new("--data-dir")
    {
        Description = "Folder with the dataset's files (default: search Debian's /usr/share/datasets and the user cache).",
    };

    public static Option<int> BatchSize(int fallback) => new("--batch-size", "-b") { Description = "Samples per mini-batch.", DefaultValueFactory = _ => fallback };

    public static Option<int?> Threads() => new("--threads", "-t") { Description = "Threads for the kernels (default: all cores)." };

    public static Option<bool> Json() => new("--json") { Description = "Print one JSON object with the results instead of a report." };

    /// <summary>Applies --threads, rejecting nonsense values with a clear message.</summary>
    public static void ApplyThreads(int? threads)
    {
        if (threads is null) return;
        if (threads < 1) throw new UserException($"--threads must be at least 1, got {threads}.");
        Kernels.Threading.Threads = threads.Value;
    }

    public static void RequirePositive(int value, string option)
    {
        if (value <= 0) throw new UserException($"{option} must be a positive whole number, got {value}.");
    }

    /// <summary>Refuses an output path that is not a Loom model file, naming the option.</summary>
    public static void RequireModelFile(string path, string option)
    {
        if (!path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            throw new UserException($"{option} must be a .safetensors file (a Loom model file), got '{path}'.");
    }
}
