namespace Loom.Data;

/// <summary>
/// Fetches data files over HTTP so that a file at its final path is always complete and verified:
/// bytes go to a temporary file beside it, which is checked and then renamed into place.
/// </summary>
internal static class Downloader
{
    public static async Task DownloadVerifiedAsync(HttpClient client, Uri url, string destination, string expectedSha256,
        IProgress<DownloadProgress>? progress, int fileIndex, int fileCount, CancellationToken cancellation)
    {
        string file = Path.GetFileName(destination);
        string temp = IO.AtomicFile.TempPathFor(destination);
        try
        {
            using (var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellation).ConfigureAwait(false))
            {
                if (!response.IsSuccessStatusCode)
                    throw new HttpRequestException($"Downloading {url} failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase}.", null, response.StatusCode);
                long? total = response.Content.Headers.ContentLength;
                await using var body = await response.Content.ReadAsStreamAsync(cancellation).ConfigureAwait(false);
                await using var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                var buffer = new byte[1 << 16];
                long received = 0;
                progress?.Report(new DownloadProgress(file, 0, total, fileIndex, fileCount));
                int n;
                while ((n = await body.ReadAsync(buffer, cancellation).ConfigureAwait(false)) > 0)
                {
                    await output.WriteAsync(buffer.AsMemory(0, n), cancellation).ConfigureAwait(false);
                    received += n;
                    progress?.Report(new DownloadProgress(file, received, total, fileIndex, fileCount));
                }
            }
            CommitVerified(temp, destination, expectedSha256);
        }
        catch (HttpRequestException ex) when (!ex.Message.Contains(url.ToString(), StringComparison.Ordinal))
        {
            throw new HttpRequestException($"Downloading {url} failed: {ex.Message}", ex, ex.StatusCode);
        }
        finally
        {
            // Nothing partial is left behind, whatever went wrong.
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// Verifies <paramref name="temp"/> against <paramref name="expectedSha256"/> and renames it to
    /// <paramref name="destination"/>; on a mismatch deletes it and throws <see cref="InvalidDataException"/>.
    /// </summary>
    public static void CommitVerified(string temp, string destination, string expectedSha256)
    {
        try
        {
            FileChecksum.Verify(temp, expectedSha256);
        }
        catch (InvalidDataException ex)
        {
            File.Delete(temp);
            throw new InvalidDataException($"Downloaded {Path.GetFileName(destination)} failed verification and was deleted. {ex.Message}", ex);
        }
        File.Move(temp, destination, overwrite: true);
    }
}
