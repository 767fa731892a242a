namespace Loom.Data;

/// <summary>Progress of a data-set download, reported through <see cref="IProgress{T}"/> for a progress bar.</summary>
/// <param name="File">The file being fetched, e.g. "train-images-idx3-ubyte.gz".</param>
/// <param name="BytesReceived">Bytes of it received so far.</param>
/// <param name="TotalBytes">Its size if the server said, else null.</param>
/// <param name="FileIndex">0-based position of the file among <paramref name="FileCount"/>.</param>
/// <param name="FileCount">Files in this download.</param>
public readonly record struct DownloadProgress(string File, long BytesReceived, long? TotalBytes, int FileIndex, int FileCount);
