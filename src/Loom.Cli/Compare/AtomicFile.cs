namespace Loom.Cli.Compare;

/// <summary>Writes a file under a temporary name in the same folder and renames it over the target, so a crash never leaves half a report.</summary>
internal static class AtomicFile
{
    public static void WriteAllText(string path, string text) => Write(path, tmp => File.WriteAllText(tmp, text));

    public static void Write(string path, Action<string> write)
    {
        string tmp = path + ".tmp";
        write(tmp);
        File.Move(tmp, path, overwrite: true);
    }
}
