using Loom.Audio;
using Loom.Text;

namespace Loom.Data;

/// <summary>
/// Spoken phrases: 1–6 words of a 40-word vocabulary (digits, "oh", "zero", commands) rendered by espeak-ng in many
/// voices (accents) and variants (speakers), with white or pink noise at 5–30 dB SNR, for speech to text with CTC.
/// Split by speaker: the validation and test speakers' accents and variants are never heard in training. Clips come
/// out as 16 kHz mono samples in [-1, 1] with their transcripts (<see cref="SpokenPhrasesSet"/>).
/// </summary>
/// <remarks>
/// The full set (6,000 / 1,000 / 1,000 clips) is generated, not downloaded: <c>loom data make spoken-phrases --out DIR</c>
/// (needs espeak-ng) writes the WAV files and manifest.tsv; <see cref="Load"/> reads such a folder. A 300-clip sample
/// (240 train, 60 test; 8 kHz 8-bit to stay small, resampled to 16 kHz on reading) is embedded: <see cref="LoadMini"/>.
/// The recipe, the counts and the licence situation are in docs/speech.md ("Data").
/// </remarks>
public static class SpokenPhrases
{
    /// <summary>Registry name of a generated set.</summary>
    public const string Name = "spoken-phrases";

    /// <summary>Registry name of the embedded sample.</summary>
    public const string MiniName = "spoken-phrases-mini";

    /// <summary>The rate every clip is given at (the features' input rate).</summary>
    public const int SampleRate = 16000;

    // LogicalName of the embedded sample (see Loom.csproj).
    private const string MiniResource = "Loom.Data.SpokenPhrasesMini.tar.gz";

    /// <summary>
    /// The 40 words phrases are made of: the ten digits, "oh" (as in phone numbers), and commands. The decoder may use
    /// it as its word list.
    /// </summary>
    public static IReadOnlyList<string> Vocabulary { get; } = Array.AsReadOnly([
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "oh",
        "yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go", "forward", "back",
        "open", "close", "start", "cancel", "enter", "faster", "slower", "louder", "quiet", "home",
        "help", "select", "save", "repeat", "wait", "turn", "move"]);

    /// <summary>
    /// The set generated into <paramref name="dataDir"/>, or, when null, into the user cache
    /// (<see cref="DataPaths.CacheRoot"/>/spoken-phrases).
    /// </summary>
    /// <exception cref="FileNotFoundException">No manifest.tsv there; the message says how to generate the set.</exception>
    /// <exception cref="InvalidDataException">The manifest is malformed or names a file that is missing.</exception>
    public static SpokenPhrasesSet Load(string? dataDir = null)
    {
        string dir = Find(dataDir) ?? throw NotFound(dataDir);
        return SpokenPhrasesSet.FromFolder(dir);
    }

    /// <summary>The embedded sample: 240 train and 60 test clips, train and test speakers disjoint.</summary>
    public static SpokenPhrasesSet LoadMini()
    {
        var files = TarGz.ReadResource(MiniResource);
        return SpokenPhrasesSet.FromFiles(files, "embedded", MiniResource + " (embedded)");
    }

    /// <summary>The folders <see cref="Load"/> looks in, in order.</summary>
    public static IReadOnlyList<string> SearchDirectories(string? dataDir = null) =>
        dataDir is not null ? [dataDir] : [DataPaths.CacheDirectory(Name)];

    /// <summary>The first searched folder holding a manifest.tsv, or null.</summary>
    public static string? Find(string? dataDir = null)
    {
        foreach (string dir in SearchDirectories(dataDir))
            if (File.Exists(Path.Combine(dir, SpokenPhrasesManifest.FileName))) return dir;
        return null;
    }

    /// <summary>What is known about the generated set without reading its audio (its manifest is read when found).</summary>
    public static DatasetInfo Info(string? dataDir = null)
    {
        var searched = SearchDirectories(dataDir);
        if (Find(dataDir) is null)
            return new DatasetInfo(Name, "Spoken phrases (espeak-ng; not generated: loom data make spoken-phrases --out DIR)", null, 0, 0, [], ClassNames, searched);
        return Load(dataDir).Info(Name, searched);
    }

    /// <summary>What is known about the embedded sample.</summary>
    public static DatasetInfo MiniInfo() => LoadMini().Info(MiniName, []);

    /// <summary>The classes a speech model predicts: the characters of <see cref="SpeechAlphabet"/>, blank first.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = Array.AsReadOnly(SpeechAlphabet.Characters.Select(c => c.ToString()).ToArray());

    private static FileNotFoundException NotFound(string? dataDir) => new(
        $"No spoken-phrases set (manifest.tsv) in {string.Join(" or ", SearchDirectories(dataDir))}. It is generated, not downloaded: " +
        $"'loom data make spoken-phrases --out {(dataDir ?? DataPaths.CacheDirectory(Name))}' (needs espeak-ng: apt-get install espeak-ng), " +
        $"or use the embedded '{MiniName}'.");
}
