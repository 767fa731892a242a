using System.Formats.Tar;
using System.IO.Compression;

namespace Loom.Text;

/// <summary>Reads the regular files of a gzip-compressed tar archive, so a folder and an archive of it share one parser.</summary>
internal static class TarGz
{
    /// <summary>Most bytes of one archive entry (the largest corpus file Loom reads is a few MB).</summary>
    private const long MaxEntryBytes = 1L << 30;

    /// <summary>
    /// The regular files of the .tar.gz in <paramref name="stream"/>, in archive order: paths with '/'
    /// (a leading "./" removed) and contents. Directories, links and other entries are skipped.
    /// </summary>
    /// <exception cref="InvalidDataException">The stream is not a valid .tar.gz; the message names <paramref name="source"/>.</exception>
    public static List<(string RelativePath, byte[] Bytes)> ReadFiles(Stream stream, string source)
    {
        // Messages from deeper down quote file content; the entry point lets out only clean, bounded ones (ErrorText.Bounded).
        try { return ReadFilesCore(stream, source); }
        catch (InvalidDataException e) when (!Loom.IO.ErrorText.IsClean(e.Message)) { throw Loom.IO.ErrorText.Bounded(e); }
    }

    private static List<(string RelativePath, byte[] Bytes)> ReadFilesCore(Stream stream, string source)
    {
        var files = new List<(string, byte[])>();
        try
        {
            using var gzip = new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true);
            using var tar = new TarReader(gzip);
            while (tar.GetNextEntry() is TarEntry entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                string path = entry.Name.Replace('\\', '/');
                while (path.StartsWith("./", StringComparison.Ordinal)) path = path[2..];
                // The size is the header's claim; the gzip stream cannot confirm it before decompressing, so the
                // bytes are copied as they arrive (a 284-byte archive claiming 750 MB allocated them up front).
                if (entry.Length < 0 || entry.Length > MaxEntryBytes)
                    throw new InvalidDataException($"entry '{Loom.IO.ErrorText.Clean(path, 80)}' claims {entry.Length} bytes, above the limit of {MaxEntryBytes}.");
                using var copy = new MemoryStream();
                entry.DataStream?.CopyTo(copy);
                if (copy.Length != entry.Length)
                    throw new InvalidDataException($"entry '{Loom.IO.ErrorText.Clean(path, 80)}' claims {entry.Length} bytes but holds {copy.Length}.");
                files.Add((path, copy.ToArray()));
            }
        }
        // NotSupportedException: an entry type the reader does not handle (a sparse file), which a corpus never holds.
        catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException or ArgumentException or NotSupportedException)
        {
            throw new InvalidDataException($"{source} is not a valid .tar.gz archive: {Loom.IO.ErrorText.Clean(ex.Message)}", ex);
        }
        return files;
    }

    /// <summary>The files of the .tar.gz embedded in this assembly under <paramref name="resourceName"/>.</summary>
    public static List<(string RelativePath, byte[] Bytes)> ReadResource(string resourceName)
    {
        var assembly = typeof(TarGz).Assembly;
        using Stream stream = assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException(
                $"Embedded resource {resourceName} is missing from {assembly.GetName().Name}; present: {string.Join(", ", assembly.GetManifestResourceNames())}.");
        return ReadFiles(stream, resourceName + " (embedded)");
    }
}
