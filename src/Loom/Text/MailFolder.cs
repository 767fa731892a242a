using System.Text;

namespace Loom.Text;

/// <summary>
/// Reads raw e-mails (RFC 822 files, one mail per file) sorted into group folders, as in the
/// SpamAssassin public corpus: a folder whose name starts with "spam" holds spam (label
/// <see cref="Spam"/>), any other folder ham (<see cref="Ham"/>), e.g. <c>easy-ham-1/</c>,
/// <c>hard_ham/</c>, <c>spam-2/</c>. The text of each mail is its body, headers stripped, as
/// <see cref="MimeBody.Decode"/> reads it: transfer encodings undone, the text parts of a multipart mail joined.
/// </summary>
/// <remarks>
/// Accepts the npm package layout (<c>00001.&lt;md5&gt;.txt</c> beside a <c>.json</c> twin) and the upstream
/// tarballs (<c>00001.&lt;md5&gt;</c> plus a <c>cmds</c> file): <c>.json</c> files, <c>cmds</c> and hidden
/// files are skipped. Bytes decode as UTF-8, or Latin-1 where they are not valid UTF-8 (<see cref="TextFile.Decode"/>);
/// quoted-printable and base64 bodies are then decoded and attachments dropped (<see cref="MimeBody"/>).
/// </remarks>
public static class MailFolder
{
    /// <summary>Label of wanted mail.</summary>
    public const int Ham = 0;

    /// <summary>Label of spam.</summary>
    public const int Spam = 1;

    /// <summary>Class names by label: ["ham", "spam"].</summary>
    public static IReadOnlyList<string> ClassNames { get; } = Array.AsReadOnly(["ham", "spam"]);

    /// <summary>The label of the mails in group folder <paramref name="group"/>: <see cref="Spam"/> when its name starts with "spam" (any case).</summary>
    public static int LabelOf(string group) => group.StartsWith("spam", StringComparison.OrdinalIgnoreCase) ? Spam : Ham;

    /// <summary>Whether a file of that name is a mail: not hidden, not a ".json" twin, not the upstream "cmds" list.</summary>
    public static bool IsMailFileName(string fileName) =>
        fileName.Length > 0 && fileName[0] != '.' && fileName != "cmds" && !fileName.EndsWith(".json", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Reads the mails in the group folders directly under <paramref name="directory"/> (files directly in
    /// it are ignored), in ordinal order of their relative paths "group/file". Source = that relative path.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">No group folder holds a mail.</exception>
    public static List<LabeledText> Read(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Mail folder {directory} does not exist.");
        var paths = new List<(string Relative, string Full)>();
        foreach (string groupPath in Directory.EnumerateDirectories(directory))
        {
            string group = Path.GetFileName(groupPath);
            if (group.StartsWith('.')) continue;
            foreach (string file in Directory.EnumerateFiles(groupPath))
            {
                string name = Path.GetFileName(file);
                if (IsMailFileName(name)) paths.Add((group + "/" + name, file));
            }
        }
        paths.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));
        return ReadSorted(paths.Select(p => (p.Relative, File.ReadAllBytes(p.Full))), directory);
    }

    /// <summary>
    /// Reads the mails among <paramref name="files"/> (e.g. the entries of a .tar.gz), in ordinal order of
    /// their paths. A file's group is the folder directly above it; files in no folder, hidden ones,
    /// ".json" twins and "cmds" are ignored. Source = the path as given.
    /// </summary>
    /// <param name="files">Paths with '/' (or '\') between folders, and the raw bytes.</param>
    /// <param name="source">Names the collection in error messages.</param>
    /// <exception cref="InvalidDataException">No mail is among the files.</exception>
    public static List<LabeledText> Read(IEnumerable<(string RelativePath, byte[] Bytes)> files, string source = "mail files")
    {
        // Messages from deeper down quote file content; the entry point lets out only clean, bounded ones (ErrorText.Bounded).
        try { return ReadFilesCore(files, source); }
        catch (InvalidDataException e) when (!Loom.IO.ErrorText.IsClean(e.Message)) { throw Loom.IO.ErrorText.Bounded(e); }
    }

    private static List<LabeledText> ReadFilesCore(IEnumerable<(string RelativePath, byte[] Bytes)> files, string source)
    {
        ArgumentNullException.ThrowIfNull(files);
        var mails = new List<(string RelativePath, byte[] Bytes)>();
        foreach (var file in files)
        {
            var parts = file.RelativePath.Split('/', '\\');
            if (parts.Length < 2 || parts.Any(p => p.StartsWith('.')) || !IsMailFileName(parts[^1])) continue;
            mails.Add(file);
        }
        mails.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        return ReadSorted(mails, source);
    }

    private static List<LabeledText> ReadSorted(IEnumerable<(string RelativePath, byte[] Bytes)> files, string source)
    {
        var mails = new List<LabeledText>();
        foreach (var (path, bytes) in files)
        {
            var parts = path.Split('/', '\\');
            mails.Add(new LabeledText(MimeBody.Decode(TextFile.Decode(bytes)), LabelOf(parts[^2]), path));
        }
        if (mails.Count == 0)
            throw new InvalidDataException($"{source}: no mail found (expected group folders such as easy-ham-1/ and spam-1/ holding one mail per file).");
        return mails;
    }

    /// <summary>
    /// The body of a mail: everything after the first empty line, which ends the headers (RFC 5322).
    /// A mail with no empty line is all headers, so its body is "". Line ends must already be "\n"
    /// (as <see cref="TextFile.Decode"/> leaves them).
    /// </summary>
    public static string StripHeaders(string mail)
    {
        ArgumentNullException.ThrowIfNull(mail);
        return MimeBody.Split(mail).Body;
    }

    /// <summary>
    /// Drops every document whose text equals, up to white space (runs collapsed to one space, ends
    /// trimmed), that of an earlier one in the given order (path order, as <see cref="Read(string)"/> returns),
    /// so that the same mail cannot land in both the training and the test split.
    /// </summary>
    public static List<LabeledText> Deduplicate(IReadOnlyList<LabeledText> mails)
    {
        ArgumentNullException.ThrowIfNull(mails);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var kept = new List<LabeledText>(mails.Count);
        var key = new StringBuilder();
        foreach (var mail in mails)
        {
            key.Clear();
            bool space = false;
            foreach (char c in mail.Text)
            {
                if (char.IsWhiteSpace(c))
                {
                    space = key.Length > 0;
                    continue;
                }
                if (space) key.Append(' ');
                key.Append(c);
                space = false;
            }
            if (seen.Add(key.ToString())) kept.Add(mail);
        }
        return kept;
    }
}
