using System.Security.Cryptography;

namespace Loom.Data;

/// <summary>
/// SHA-256 of a data file's content. Gzip files are hashed after decompression, so one checksum
/// holds for the upstream .gz, a recompressed copy (Debian's) and a decompressed one.
/// </summary>
public static class FileChecksum
{
    /// <summary>Lower-case hex SHA-256 of the (decompressed, if gzip) content of <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is gzip but its stream is corrupt.</exception>
    public static string Sha256OfContent(string path)
    {
        using var file = Idx.OpenFile(path);
        using var content = Idx.OpenContent(file, path, out bool gzip, leaveOpen: true);
        try
        {
            return Convert.ToHexStringLower(SHA256.HashData(content));
        }
        catch (InvalidDataException ex) when (gzip)
        {
            throw new InvalidDataException($"{path}: corrupt gzip stream: {ex.Message}", ex);
        }
    }

    /// <summary>Checks that the content of <paramref name="path"/> has SHA-256 <paramref name="expectedSha256"/> (hex).</summary>
    /// <exception cref="InvalidDataException">The checksum differs (the message names the file and both checksums) or the gzip stream is corrupt.</exception>
    public static void Verify(string path, string expectedSha256)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(expectedSha256);
        string actual = Sha256OfContent(path);
        if (!string.Equals(actual, expectedSha256, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException(
                $"{path}: checksum mismatch: the content has SHA-256 {actual}, expected {expectedSha256.ToLowerInvariant()}. " +
                "The file is damaged or is not the expected release; delete it and fetch it again.");
    }
}
