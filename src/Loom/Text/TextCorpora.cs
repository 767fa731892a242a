using Loom.Data;

namespace Loom.Text;

/// <summary>
/// The built-in text corpora by name, as the CLI's <c>--dataset</c> option names them, in the manner
/// of <see cref="DatasetRegistry"/>: "moby-dick" (language model), "brown" (tagging), "spam-assassin"
/// (classification), each also as an embedded "-mini" sample that needs no files.
/// </summary>
public static class TextCorpora
{
    /// <summary>One named corpus: its task, how to load it given an optional data directory, and where it would look.</summary>
    private sealed record Entry(string Name, TaskKind Kind, Func<string?, TextCorpus> Load, CorpusSource? Source);

    private static readonly Entry[] Entries =
    [
        new(MobyDick.MiniName, TaskKind.LanguageModel, _ => MobyDick.LoadMini(), null),
        new(MobyDick.Name, TaskKind.LanguageModel, MobyDick.Load, MobyDick.Source),
        new(BrownCorpus.MiniName, TaskKind.Tag, _ => BrownCorpus.LoadMini(), null),
        new(BrownCorpus.Name, TaskKind.Tag, BrownCorpus.Load, BrownCorpus.Source),
        new(SpamAssassin.MiniName, TaskKind.Classify, _ => SpamAssassin.LoadMini(), null),
        new(SpamAssassin.Name, TaskKind.Classify, SpamAssassin.Load, SpamAssassin.Source),
        new(LanguageIdentification.Name, TaskKind.Classify, dataDir => LanguageIdentification.Load(dataDir), LanguageIdentification.Source),
    ];

    /// <summary>The known names, in listing order.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(Array.ConvertAll(Entries, e => e.Name));

    /// <summary>Whether <paramref name="name"/> is a known corpus (case-insensitive).</summary>
    public static bool Contains(string name) => Lookup(name) is not null;

    /// <summary>The task of corpus <paramref name="name"/>, without loading it.</summary>
    public static TaskKind KindOf(string name) => Get(name).Kind;

    /// <summary>
    /// Loads corpus <paramref name="name"/>; <paramref name="dataDir"/> is where to look for its files
    /// (ignored by the embedded samples). <see cref="TextCorpus.Kind"/> says which split the corpus holds.
    /// </summary>
    /// <exception cref="ArgumentException">The name is unknown; the message lists the known names.</exception>
    /// <exception cref="FileNotFoundException">The files are not found (<see cref="DirectoryNotFoundException"/> when <paramref name="dataDir"/> does not exist); the message says where it looked and how to get them.</exception>
    /// <exception cref="InvalidDataException">The files are malformed or hold no text.</exception>
    public static TextCorpus Load(string name, string? dataDir = null) => Get(name).Load(dataDir);

    /// <summary>The folders searched for corpus <paramref name="name"/> (empty for an embedded sample).</summary>
    public static IReadOnlyList<string> SearchDirectories(string name, string? dataDir = null) =>
        Get(name).Source?.SearchDirectories(dataDir) ?? [];

    /// <summary>
    /// Describes corpus <paramref name="name"/>: when it is found (or embedded) it is loaded, which for a full
    /// corpus takes a few seconds, and the counts are its split sizes (characters for a language model,
    /// documents or sentences otherwise); when it is not found, Location is null and the counts are 0.
    /// </summary>
    public static DatasetInfo Info(string name, string? dataDir = null)
    {
        var entry = Get(name);
        if (entry.Source is null) return entry.Load(dataDir).Info();
        var searched = entry.Source.SearchDirectories(dataDir);
        if (entry.Source.Find(dataDir) is null)
            // Class names are known without the data only for the mail corpus (ham, spam); the others' come from their files.
            return new DatasetInfo(entry.Name, entry.Source.Title + " (not found)", null, 0, 0, [],
                entry.Name.StartsWith("spam-assassin", StringComparison.Ordinal) ? MailFolder.ClassNames : [], searched);
        return entry.Load(dataDir).Info(searched);
    }

    private static Entry Get(string name) =>
        Lookup(name) ?? throw new ArgumentException($"Unknown text corpus '{name}'; known: {string.Join(", ", Names)}.", nameof(name));

    private static Entry? Lookup(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var entry in Entries)
            if (string.Equals(entry.Name, name.Trim(), StringComparison.OrdinalIgnoreCase)) return entry;
        return null;
    }
}
