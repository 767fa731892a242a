namespace Loom.IO;

/// <summary>
/// The one way Loom writes a file: to a temporary name in the target's folder, flushed to disk, then renamed
/// over the target, so a reader (or a crash) only ever sees the old file or the whole new one. The rename stays
/// within one folder, hence one file system, where it is atomic. A failed write deletes its temporary file.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, which gets the temporary file's stream.</summary>
    public static void Write(string path, Action<Stream> write) => WriteVia(path, temp =>
    {
        using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        write(stream);
        stream.Flush(flushToDisk: true);
    });

    /// <summary>Writes <paramref name="text"/> (UTF-8) to <paramref name="path"/>.</summary>
    public static void WriteAllText(string path, string text) => Write(path, stream =>
    {
        using var writer = new StreamWriter(stream, leaveOpen: true);
        writer.Write(text);
    });

    /// <summary>
    /// For writers that take a path rather than a stream (an image library's SavePng): <paramref name="writeFile"/>
    /// writes the temporary path it is given, which is then flushed to disk and renamed over <paramref name="path"/>.
    /// </summary>
    public static void WriteVia(string path, Action<string> writeFile)
    {
        string temp = TempPathFor(path);
        RemoveStaleTemporaries(path);
        try
        {
            writeFile(temp);
            using (var written = new FileStream(temp, FileMode.Open, FileAccess.ReadWrite)) written.Flush(flushToDisk: true);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// Deletes the temporary files of earlier writes of <paramref name="path"/> whose process is gone: a process killed
    /// inside a write (kill -9, power loss) never reaches its clean-up, and its <c>.NAME.PID.GUID.tmp</c> stayed forever.
    /// A file whose process id is alive is kept — it may be a write in progress, or the id may have been reused, and
    /// either way keeping a stray file is the safe mistake. Failures to delete are ignored: this is tidying, and must
    /// never fail the save itself.
    /// </summary>
    public static void RemoveStaleTemporaries(string path)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        string prefix = $".{Path.GetFileName(full)}.";
        try
        {
            foreach (string candidate in Directory.EnumerateFiles(dir, prefix + "*.tmp"))
            {
                string middle = Path.GetFileName(candidate)[prefix.Length..^".tmp".Length];
                int dot = middle.IndexOf('.');
                if (dot <= 0 || !int.TryParse(middle.AsSpan(0, dot), out int pid) || pid == Environment.ProcessId || IsAlive(pid)) continue;
                try { File.Delete(candidate); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }     // no such process
        catch (InvalidOperationException) { return false; }
        catch (System.ComponentModel.Win32Exception) { return true; }     // exists, but not ours to inspect
    }

    /// <summary>
    /// A fresh temporary name beside <paramref name="path"/> (hidden, with the process id, unique per call); the
    /// folder must exist, and a missing one is reported naming the file.
    /// </summary>
    public static string TempPathFor(string path)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"Cannot write '{path}': folder '{dir}' does not exist.");
        return Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
    }
}
