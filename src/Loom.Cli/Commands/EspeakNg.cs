using System.Diagnostics;
using Loom.Audio;

namespace Loom.Cli.Commands;

/// <summary>
/// The espeak-ng speech synthesiser (Debian package espeak-ng, GPL-3.0), run as a separate program: the only place
/// Loom starts a process for data. Loom links nothing of it; it reads the WAV the program writes to its stdout.
/// </summary>
internal sealed class EspeakNg
{
    private readonly string _program;

    /// <summary>The folder that holds the espeak-ng-data read (<c>--path</c>), or null for the program's own.</summary>
    private readonly string? _dataParent;

    /// <summary>The program's version line, e.g. "eSpeak NG text-to-speech: 1.51  Data at: /usr/lib/…/espeak-ng-data".</summary>
    public string Version { get; }

    private EspeakNg(string program, string version, string? dataParent = null)
    {
        _program = program;
        Version = version;
        _dataParent = dataParent;
    }

    /// <summary>The espeak-ng-data folder read: the one the version line names, or the copy given with <c>--path</c>.</summary>
    public string DataFolder => _dataParent is not null ? Path.Combine(_dataParent, "espeak-ng-data")
        : Version.IndexOf("Data at:", StringComparison.Ordinal) is int at and >= 0 ? Version[(at + 8)..].Trim()
        : throw new UserException($"'{_program} --version' does not say where its data is: {Version}");

    /// <summary>
    /// A copy of the data folder with variants of Loom's own added (name → the text of a variant file), deleted when
    /// disposed: espeak-ng reads variants only from its data folder's <c>voices/!v</c>, which is the system's and may
    /// not be written.
    /// </summary>
    public DataCopy WithVariants(IReadOnlyDictionary<string, string> variants)
    {
        string source = DataFolder;
        if (!Directory.Exists(Path.Combine(source, "voices", "!v")))
            throw new UserException($"espeak-ng's data folder {source} has no voices/!v folder of variants.");
        string parent = Path.Combine(Path.GetTempPath(), $"loom-espeak-{Environment.ProcessId}-{Guid.NewGuid():N}");
        string target = Path.Combine(parent, "espeak-ng-data");
        foreach (string dir in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(source, dir)));
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(target, Path.GetRelativePath(source, file)));
        foreach (var (name, text) in variants) File.WriteAllText(Path.Combine(target, "voices", "!v", name), text);
        return new DataCopy(new EspeakNg(_program, Version, parent), parent);
    }

    /// <summary>The text of variant <paramref name="name"/>'s file in the data folder.</summary>
    public string VariantText(string name)
    {
        string path = Path.Combine(DataFolder, "voices", "!v", name);
        return File.Exists(path) ? File.ReadAllText(path) : throw new UserException($"espeak-ng has no variant file {path}.");
    }

    /// <summary>An engine reading a temporary copy of the data folder, which <see cref="Dispose"/> deletes.</summary>
    public sealed class DataCopy(EspeakNg engine, string folder) : IDisposable
    {
        public EspeakNg Engine { get; } = engine;

        public void Dispose()
        {
            try { Directory.Delete(folder, recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // a temporary folder left behind is not worth failing the data set for
        }
    }

    /// <summary>Finds espeak-ng on the PATH (or at <paramref name="program"/>) and asks its version.</summary>
    /// <exception cref="UserException">It is not installed or does not run; the message says how to install it.</exception>
    public static EspeakNg Find(string program = "espeak-ng")
    {
        var (code, output, error) = Run(program, ["--version"], null);
        if (code != 0) throw new UserException($"'{program} --version' failed (exit {code}): {Loom.IO.ErrorText.Clean(error.Trim())}");
        return new EspeakNg(program, output.Trim());
    }

    /// <summary>The variant names espeak-ng knows (the "!v/NAME" files of <c>espeak-ng --voices=variant</c>).</summary>
    public IReadOnlySet<string> Variants()
    {
        var (code, output, error) = Run(_program, [.. DataArguments, "--voices=variant"], null);
        if (code != 0) throw new UserException($"'{_program} --voices=variant' failed (exit {code}): {Loom.IO.ErrorText.Clean(error.Trim())}");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (string line in output.Split('\n'))
        {
            int at = line.IndexOf("!v/", StringComparison.Ordinal);
            if (at < 0) continue;
            // "File" is a column of its own; a name may hold a space ("Mr serious"), which then ends at the next column.
            string rest = line[(at + 3)..];
            int end = rest.IndexOf("  ", StringComparison.Ordinal);
            names.Add((end < 0 ? rest : rest[..end]).Trim());
        }
        return names;
    }

    /// <summary>The language voices espeak-ng knows for <paramref name="language"/> (the "Language" column of <c>--voices=LANG</c>).</summary>
    public IReadOnlySet<string> Voices(string language)
    {
        var (code, output, error) = Run(_program, [.. DataArguments, $"--voices={language}"], null);
        if (code != 0) throw new UserException($"'{_program} --voices={language}' failed (exit {code}): {Loom.IO.ErrorText.Clean(error.Trim())}");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (string line in output.Split('\n').Skip(1))
        {
            string[] columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length >= 2) names.Add(columns[1]);
        }
        return names;
    }

    /// <summary>
    /// Speaks <paramref name="text"/> with <c>-v voice+variant -s speed -p pitch --stdout</c> and returns the audio
    /// (espeak-ng writes 22,050 Hz 16-bit mono, its sizes a streaming placeholder that <see cref="WavReader"/> reads).
    /// </summary>
    /// <exception cref="InvalidOperationException">espeak-ng failed or wrote no audio; the message gives its command line and stderr.</exception>
    public WavAudio Speak(string text, string voice, string variant, int speed, int pitch)
    {
        string[] args = [.. DataArguments, "-v", $"{voice}+{variant}", "-s", speed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-p", pitch.ToString(System.Globalization.CultureInfo.InvariantCulture), "--stdout", text];
        var stdout = new MemoryStream();
        var (code, _, error) = Run(_program, args, stdout);
        string command = $"{_program} {string.Join(' ', args[..^1])} \"{text}\"";
        if (code != 0) throw new InvalidOperationException($"'{command}' failed (exit {code}): {Loom.IO.ErrorText.Clean(error.Trim())}");
        var audio = WavReader.Read(stdout.ToArray(), $"the output of '{command}'");
        if (audio.Samples.Length == 0) throw new InvalidOperationException($"'{command}' wrote no audio.");
        return audio;
    }

    private string[] DataArguments => _dataParent is null ? [] : [$"--path={_dataParent}"];

    /// <summary>Runs the program to its end; stdout goes to <paramref name="binaryOut"/> when given, else comes back as text.</summary>
    private static (int Code, string Output, string Error) Run(string program, IReadOnlyList<string> args, Stream? binaryOut)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args) start.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(start) ?? throw new UserException($"Could not start '{program}'."); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new UserException($"Could not run '{program}' ({e.Message}): install it (Debian: apt-get install espeak-ng).");
        }
        using (process)
        {
            // Both pipes drained at once: a full stderr pipe would otherwise stall the program while stdout is read.
            var error = process.StandardError.ReadToEndAsync();
            string output = "";
            if (binaryOut is not null) process.StandardOutput.BaseStream.CopyTo(binaryOut);
            else output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output, error.Result);
        }
    }
}
