namespace Loom.Data;

/// <summary>
/// The built-in data sets by name, as the CLI's <c>--dataset</c> option names them. Each entry
/// loads a (train, test) pair and describes itself; adding a set is one <see cref="Entry"/> line.
/// </summary>
public static class DatasetRegistry
{
    /// <summary>One named data set: how to load it and how to describe it, both given an optional data directory.</summary>
    private sealed record Entry(string Name, Func<string?, (IDataset Train, IDataset Test)> Load, Func<string?, DatasetInfo> Info);

    private static readonly Entry[] Entries =
    [
        new(FashionMnist.MiniName, _ => FashionMnist.LoadMini(), _ => FashionMnist.MiniInfo()),
        new(FashionMnist.Name, dir => FashionMnist.Load(dir), FashionMnist.Info),
        new(SpokenPhrases.MiniName, _ => TrainTest(SpokenPhrases.LoadMini()), _ => SpokenPhrases.MiniInfo()),
        new(SpokenPhrases.Name, dir => TrainTest(SpokenPhrases.Load(dir)), SpokenPhrases.Info),
    ];

    // Speech sets have a validation split too; the registry's pair is (train, test), and SpokenPhrases gives all three.
    private static (IDataset Train, IDataset Test) TrainTest(SpokenPhrasesSet set) => (set.Dataset("train"), set.Dataset("test"));

    /// <summary>The known names, in listing order.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(Array.ConvertAll(Entries, e => e.Name));

    /// <summary>Whether <paramref name="name"/> is a known data set (case-insensitive).</summary>
    public static bool Contains(string name) => Lookup(name) is not null;

    /// <summary>
    /// Loads the (train, test) pair of data set <paramref name="name"/>; <paramref name="dataDir"/> is where to
    /// look for its files (ignored by embedded sets). See each set's loader for shapes.
    /// </summary>
    /// <exception cref="ArgumentException">The name is unknown; the message lists the known names.</exception>
    public static (IDataset Train, IDataset Test) Load(string name, string? dataDir = null) => Get(name).Load(dataDir);

    /// <summary>Describes data set <paramref name="name"/> without loading it: where it is and its counts.</summary>
    public static DatasetInfo Info(string name, string? dataDir = null) => Get(name).Info(dataDir);

    private static Entry Get(string name) =>
        Lookup(name) ?? throw new ArgumentException($"Unknown data set '{name}'; known: {string.Join(", ", Names)}.", nameof(name));

    private static Entry? Lookup(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var entry in Entries)
            if (string.Equals(entry.Name, name.Trim(), StringComparison.OrdinalIgnoreCase)) return entry;
        return null;
    }
}
