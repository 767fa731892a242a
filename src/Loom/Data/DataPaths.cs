namespace Loom.Data;

/// <summary>Where Loom keeps downloaded data sets.</summary>
public static class DataPaths
{
    /// <summary>Environment variable that overrides <see cref="CacheRoot"/>.</summary>
    public const string CacheVariable = "LOOM_CACHE";

    /// <summary>
    /// The root of the user's data cache: <c>$LOOM_CACHE</c> if set, otherwise <c>~/.cache/loom</c>.
    /// Each data set has a subdirectory named after it, e.g. <c>~/.cache/loom/fashion-mnist</c>.
    /// </summary>
    public static string CacheRoot
    {
        get
        {
            string? fromEnvironment = Environment.GetEnvironmentVariable(CacheVariable);
            if (!string.IsNullOrWhiteSpace(fromEnvironment)) return fromEnvironment;
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return Path.Combine(home, ".cache", "loom");
        }
    }

    /// <summary>The cache directory of the data set <paramref name="name"/>: <see cref="CacheRoot"/>/name.</summary>
    public static string CacheDirectory(string name) => Path.Combine(CacheRoot, name);
}
