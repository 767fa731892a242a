using System.Globalization;
using System.Text;
using Loom.Audio;
using Loom.IO;

namespace Loom.Data;

/// <summary>
/// The spoken-phrases manifest.tsv: a header line, then one tab-separated row per clip (<see cref="SpokenPhrasesClip"/>),
/// numbers in invariant culture. Written by <c>loom data make spoken-phrases</c>, read by <see cref="SpokenPhrases"/>.
/// </summary>
public static class SpokenPhrasesManifest
{
    /// <summary>The manifest's file name in the data folder.</summary>
    public const string FileName = "manifest.tsv";

    /// <summary>The header line, the columns in order.</summary>
    public const string Header = "path\ttranscript\tvoice\tvariant\tspeed\tpitch\tsnr_db\tnoise\tsample_rate\tframes\tsplit";

    /// <summary>The splits, in order.</summary>
    public static IReadOnlyList<string> Splits { get; } = Array.AsReadOnly(["train", "val", "test"]);

    private const int Columns = 11;

    /// <summary>The manifest text of <paramref name="clips"/>.</summary>
    public static string Format(IEnumerable<SpokenPhrasesClip> clips)
    {
        var sb = new StringBuilder(Header).Append('\n');
        foreach (var c in clips)
            sb.Append(CultureInfo.InvariantCulture,
                $"{c.Path}\t{c.Transcript}\t{c.Voice}\t{c.Variant}\t{c.Speed}\t{c.Pitch}\t{c.SnrDb:0.0}\t{c.Noise}\t{c.SampleRate}\t{c.Frames}\t{c.Split}\n");
        return sb.ToString();
    }

    /// <summary>The clips of manifest <paramref name="text"/>; <paramref name="source"/> names it in messages.</summary>
    /// <exception cref="InvalidDataException">A row is malformed: the message names the file, the line and the field.</exception>
    public static List<SpokenPhrasesClip> Parse(string text, string source)
    {
        try { return ParseCore(text, ErrorText.Clean(source)); }
        catch (InvalidDataException e) { throw ErrorText.Bounded(e); }
    }

    private static List<SpokenPhrasesClip> ParseCore(string text, string source)
    {
        string[] lines = text.Split('\n');
        if (lines[0].TrimEnd('\r') != Header)
            throw new InvalidDataException($"{source}: line 1 is '{ErrorText.Clean(lines[0], 120)}', not the spoken-phrases manifest header '{Header.Replace('\t', ' ')}' (tab-separated).");
        var clips = new List<SpokenPhrasesClip>(lines.Length);
        var paths = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 1; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (line.Length == 0) continue;
            string at = $"{source} line {i + 1}";
            string[] f = line.Split('\t');
            if (f.Length != Columns) throw new InvalidDataException($"{at}: {f.Length} tab-separated fields, expected {Columns} ({Header.Replace("\t", ", ")}).");
            string path = f[0];
            if (path.Length == 0 || path.StartsWith('/') || path.Contains('\\') || path.Split('/').Contains("..") || !path.EndsWith(".wav", StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"{at}: path '{ErrorText.Clean(path)}' is not a relative .wav path inside the data folder.");
            if (!paths.Add(path)) throw new InvalidDataException($"{at}: path '{ErrorText.Clean(path)}' is listed twice.");
            string transcript = f[1];
            if (transcript.Length == 0 || !SpeechAlphabet.CanEncode(transcript) || transcript != transcript.ToLowerInvariant())
                throw new InvalidDataException($"{at}: transcript '{ErrorText.Clean(transcript)}' is not lower-case letters, apostrophes and spaces.");
            string split = f[10];
            if (!Splits.Contains(split)) throw new InvalidDataException($"{at}: split '{ErrorText.Clean(split)}' is not train, val or test.");
            clips.Add(new SpokenPhrasesClip(path, transcript, f[2], f[3], Int(f[4], "speed", at), Int(f[5], "pitch", at),
                Number(f[6], "snr_db", at), f[7], Positive(f[8], "sample_rate", at), NonNegative(f[9], "frames", at), split));
        }
        if (clips.Count == 0) throw new InvalidDataException($"{source} lists no clips.");
        return clips;
    }

    private static int Int(string s, string field, string at) =>
        int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v
            : throw new InvalidDataException($"{at}: {field} '{ErrorText.Clean(s)}' is not an integer.");

    private static int Positive(string s, string field, string at) =>
        Int(s, field, at) is > 0 and var v ? v : throw new InvalidDataException($"{at}: {field} '{ErrorText.Clean(s)}' is not positive.");

    private static int NonNegative(string s, string field, string at) =>
        Int(s, field, at) is >= 0 and var v ? v : throw new InvalidDataException($"{at}: {field} '{ErrorText.Clean(s)}' is negative.");

    private static double Number(string s, string field, string at) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) ? v
            : throw new InvalidDataException($"{at}: {field} '{ErrorText.Clean(s)}' is not a finite number.");
}
