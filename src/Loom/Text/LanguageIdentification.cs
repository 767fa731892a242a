using System.Text;
using Loom.Data;

namespace Loom.Text;

/// <summary>
/// Word-level language identification from spelling-dictionary word lists (Debian's <c>wamerican</c>,
/// <c>wngerman</c>, <c>wfrench</c>, <c>wspanish</c>, <c>witalian</c>, <c>wdutch</c>, installed in <c>/usr/share/dict</c>):
/// which language is "schmetterling" in? A character-level classification corpus, one word per sample.
/// </summary>
/// <remarks>
/// <para>The lists are read at run time and never copied: most are GPL. Each word is lower-cased (invariant
/// culture; German nouns are capitalised in their list) and kept when it is 2 to 30 letters (any script, accents
/// included) with nothing else: possessives ("whale's"), abbreviations with dots and hyphenated entries are left
/// out. Words in more than one list ("taxi", "radio", "set") are dropped from all of them, as their label
/// would be arbitrary.</para>
/// <para>Then the same number of words is drawn from every language (<c>wordsPerLanguage</c>, fewer if a list
/// is shorter), by a seeded permutation of each list in file order, and each language's words are split
/// 80/20 into training and test (<see cref="StratifiedSplit"/>, seed <see cref="Seed"/>). The result depends
/// only on the files, the count and the seed.</para>
/// </remarks>
public static class LanguageIdentification
{
    /// <summary>Registry name.</summary>
    public const string Name = "langid";

    /// <summary>Seed of the word sample and of the train/test split.</summary>
    public const ulong Seed = 2024;

    /// <summary>Share of each language held out for testing.</summary>
    public const double TestFraction = 0.2;

    /// <summary>Words drawn per language by <see cref="Load"/>: 8,000 for training and 2,000 for testing each.</summary>
    public const int DefaultWordsPerLanguage = 10_000;

    /// <summary>Shortest and longest word kept, in UTF-16 code units.</summary>
    public const int MinWordLength = 2, MaxWordLength = 30;

    /// <summary>Where Debian installs the word lists.</summary>
    public const string SystemDirectory = "/usr/share/dict";

    /// <summary>The six languages of <see cref="Load"/>, in class order.</summary>
    public static IReadOnlyList<WordListLanguage> Languages { get; } =
    [
        new("dutch", ["dutch", "nederlands"], "wdutch"),
        new("english", ["american-english", "british-english", "english"], "wamerican"),
        new("french", ["french"], "wfrench"),
        new("german", ["ngerman", "ogerman", "german"], "wngerman"),
        new("italian", ["italian"], "witalian"),
        new("spanish", ["spanish"], "wspanish"),
    ];

    internal static readonly CorpusSource Source = new(
        Name, "Word lists for language identification",
        [""],
        folder => Languages.All(language => language.FileNames.Any(file => File.Exists(Path.Combine(folder, file)))),
        "the word lists " + string.Join(", ", Languages.Select(l => l.FileNames[0])),
        ["Install them with: apt-get install " + string.Join(" ", Languages.Select(l => l.Package)) + " (read where they are; most are GPL)."],
        [SystemDirectory]);

    /// <summary>The folders searched for the word lists: <paramref name="dataDir"/> if given, else the user cache folder and <see cref="SystemDirectory"/>.</summary>
    public static IReadOnlyList<string> SearchDirectories(string? dataDir = null) =>
        dataDir is not null ? [dataDir] : [DataPaths.CacheDirectory(Name), SystemDirectory];

    /// <summary>The word list of each of <see cref="Languages"/>: the first file found in <see cref="SearchDirectories"/>, or null where none is.</summary>
    public static IReadOnlyList<(WordListLanguage Language, string? Path)> Find(string? dataDir = null)
    {
        var folders = SearchDirectories(dataDir);
        return Languages.Select(language => (language, folders.SelectMany(folder => language.FileNames.Select(file => Path.Combine(folder, file)))
            .FirstOrDefault(File.Exists))).ToList();
    }

    /// <summary>Whether every word list of <see cref="Languages"/> is found.</summary>
    public static bool IsAvailable(string? dataDir = null) => Find(dataDir).All(found => found.Path is not null);

    /// <summary>
    /// The corpus of the six <see cref="Languages"/> (see the class remarks), <paramref name="wordsPerLanguage"/> words each.
    /// </summary>
    /// <exception cref="FileNotFoundException">A word list is missing (<see cref="DirectoryNotFoundException"/> when <paramref name="dataDir"/> does not exist); the message names each missing list and the command that installs it.</exception>
    public static TextCorpus Load(string? dataDir = null, int wordsPerLanguage = DefaultWordsPerLanguage)
    {
        if (dataDir is not null && !Directory.Exists(dataDir))
            throw new DirectoryNotFoundException($"Word lists for language identification were not found: the data directory {dataDir} does not exist.");
        var found = Find(dataDir);
        var missing = found.Where(f => f.Path is null).Select(f => f.Language).ToList();
        if (missing.Count > 0)
        {
            var lines = new List<string>
            {
                $"Language identification needs word lists that are not installed: {string.Join(", ", missing.Select(m => $"{m.Language} ({string.Join(" or ", m.FileNames)})"))}.",
                "Looked in: " + string.Join(", ", SearchDirectories(dataDir)) + ".",
                "Install them (Debian/Ubuntu; most are GPL, so Loom reads them where they are and ships none):",
                "  apt-get install " + string.Join(" ", missing.Select(m => m.Package)),
                "or pass --data-dir with a folder holding files of those names, one word a line.",
            };
            throw new FileNotFoundException(string.Join(Environment.NewLine, lines));
        }
        string location = string.Join(", ", found.Select(f => Path.GetDirectoryName(f.Path)!).Distinct());
        return FromWordLists(found.Select(f => new WordListFile(f.Language.Language, f.Path!)).ToList(), wordsPerLanguage, Seed, Name, location);
    }

    /// <summary>
    /// A language identification corpus from any word lists: <paramref name="wordsPerLanguage"/> words of each
    /// language (fewer if a list is shorter: every language gets as many as the shortest list offers), drawn
    /// with <paramref name="seed"/>, split 80/20 per language. Class names are the languages in the order given.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two languages, or a language given twice.</exception>
    /// <exception cref="FileNotFoundException">A list does not exist.</exception>
    /// <exception cref="InvalidDataException">A list has too few usable words (fewer than 5 after filtering).</exception>
    public static TextCorpus FromWordLists(IReadOnlyList<WordListFile> lists, int wordsPerLanguage, ulong seed = Seed, string name = Name, string? location = null)
    {
        ArgumentNullException.ThrowIfNull(lists);
        ArgumentOutOfRangeException.ThrowIfLessThan(wordsPerLanguage, 5);
        if (lists.Count < 2) throw new ArgumentException("Language identification needs word lists of at least two languages.", nameof(lists));
        var duplicate = lists.GroupBy(l => l.Language, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Language '{duplicate.Key}' is given twice.", nameof(lists));

        var words = lists.Select(l => ReadWords(l.Path)).ToList();
        // A word in two lists has no single right answer; drop it everywhere.
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var list in words)
            foreach (var w in list) seen[w] = seen.GetValueOrDefault(w) + 1;
        for (int i = 0; i < words.Count; i++) words[i] = words[i].Where(w => seen[w] == 1).ToList();
        for (int i = 0; i < words.Count; i++)
            if (words[i].Count < 5)
                throw new InvalidDataException($"Word list '{lists[i].Path}' ({lists[i].Language}) has only {words[i].Count} words of {MinWordLength}–{MaxWordLength} letters found in no other list.");

        int perLanguage = Math.Min(wordsPerLanguage, words.Min(w => w.Count));
        var rng = new Rng(seed);
        var samples = new List<LabeledText>(perLanguage * lists.Count);
        for (int label = 0; label < lists.Count; label++)
        {
            var order = rng.Permutation(words[label].Count);
            for (int k = 0; k < perLanguage; k++)
                samples.Add(new LabeledText(words[label][order[k]], label, lists[label].Language));
        }
        var (train, test) = StratifiedSplit.Split(samples, s => s.Label, TestFraction, seed);
        string[] classNames = [.. lists.Select(l => l.Language)];
        return TextCorpus.Classification(name,
            $"Language identification of single words ({string.Join(", ", classNames)}; {perLanguage:N0} words each), from spelling word lists",
            location ?? string.Join(", ", lists.Select(l => Path.GetDirectoryName(Path.GetFullPath(l.Path))!).Distinct()),
            TokenizerKind.Char, classNames, train, test);
    }

    /// <summary>The usable words of one list, in file order, lower-cased and without repeats (see the class remarks for the rule).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static List<string> ReadWords(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Word list '{path}' does not exist.", path);
        var unique = new HashSet<string>(StringComparer.Ordinal);
        var words = new List<string>();
        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            var word = line.Trim();
            if (word.Length < MinWordLength || word.Length > MaxWordLength) continue;
            bool letters = true;
            foreach (char c in word) if (!char.IsLetter(c)) { letters = false; break; }
            if (!letters) continue;
            word = word.ToLowerInvariant();
            if (unique.Add(word)) words.Add(word);
        }
        return words;
    }
}
