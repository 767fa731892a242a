using System.Formats.Tar;
using System.IO.Compression;

namespace Loom.Text;

/// <summary>Reads the regular files of a gzip-compressed tar archive, so a folder and an archive of it share one parser.</summary>
internal static class TarGz
{
    /// <summary>
    /// The regular files of the .tar.gz in <paramref name="stream"/>, in archive order: paths with '/'
    /// (a leading "./" removed) and contents. Directories, links and other entries are skipped.
    /// </summary>
    /// <exception cref="InvalidDataException">The stream is not a valid .tar.gz; the message names <paramref name="source"/>.</exception>
    public static List<(string RelativePath, byte[] Bytes)> ReadFiles(Stream stream, string source)
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
                var bytes = new byte[entry.Length];
                if (entry.DataStream is Stream data) data.ReadExactly(bytes);
                files.Add((path, bytes));
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new InvalidDataException($"{source} is not a valid .tar.gz archive: {ex.Message}", ex);
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
