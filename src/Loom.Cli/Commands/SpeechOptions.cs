using System.CommandLine;
using Loom.Data;

namespace Loom.Cli.Commands;

/// <summary>The decoding options transcribing commands share (eval, transcribe, compare).</summary>
internal static class SpeechOptions
{
    public static Option<int> Beam() => new("--beam")
    {
        Description = "Speech: prefix beam search keeping this many prefixes (0: greedy, best path only).",
        DefaultValueFactory = _ => 0,
    };

    public static Option<string?> Words() => new("--words")
    {
        Description = "Speech: let the beam spell only these words: 'spoken-phrases' (its 40-word vocabulary) or a file of one word per line.",
    };

    /// <summary>The word list <paramref name="value"/> names, or null for none.</summary>
    /// <exception cref="UserException">A missing file, or a word the speech alphabet cannot spell.</exception>
    public static IReadOnlyList<string>? WordList(string? value)
    {
        if (value is null) return null;
        if (value == SpokenPhrases.Name) return SpokenPhrases.Vocabulary;
        if (!File.Exists(value)) throw new UserException($"Word list '{value}' does not exist (give 'spoken-phrases' or a file of one word per line).");
        var words = File.ReadAllLines(value).Select(w => w.Trim().ToLowerInvariant()).Where(w => w.Length > 0).Distinct().ToList();
        if (words.Count == 0) throw new UserException($"Word list '{value}' holds no words.");
        var bad = words.FirstOrDefault(w => !Audio.SpeechAlphabet.CanEncode(w) || w.Contains(' '));
        if (bad is not null) throw new UserException($"Word list '{value}': '{bad}' is not one word of the speech alphabet (a–z and apostrophe).");
        return words;
    }
}
