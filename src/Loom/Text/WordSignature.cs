using System.Text;

namespace Loom.Text;

/// <summary>
/// The shape of a word that a tagger has not learned: capitalisation, digits, a hyphen and a telling
/// suffix, written as a token such as "&lt;unk-Cap-ing&gt;". A tagger's vocabulary keeps the words seen
/// often enough and one token per signature; every other word — rare in training, or new at test time — is
/// read as its signature, so "Smithson" and "mellifluously" are no longer the same unknown but a capitalised
/// word and an -ly word. (The unknown-word classes of Petrov et al.'s Berkeley parser, simplified.)
/// </summary>
public static class WordSignature
{
    // Longest first, so "ness" wins over "s".
    private static readonly string[] Suffixes =
        ["ness", "ment", "able", "ible", "tion", "sion", "ing", "ity", "ous", "ive", "ist", "ism", "est", "ful", "less", "ed", "ly", "er", "al", "ic", "en", "es", "'s", "s", "y"];

    /// <summary>The signature token of <paramref name="word"/>, e.g. "&lt;unk-Cap&gt;", "&lt;unk-num&gt;", "&lt;unk-hyph-ed&gt;".</summary>
    public static string Of(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        var sb = new StringBuilder("<unk");
        bool letters = false, digits = false, hyphen = false;
        foreach (char c in word)
        {
            if (char.IsLetter(c)) letters = true;
            else if (char.IsDigit(c)) digits = true;
            else if (c == '-') hyphen = true;
        }
        if (!letters) return digits ? "<unk-num>" : "<unk-punct>";
        if (char.IsUpper(word[0])) sb.Append(word.All(c => !char.IsLetter(c) || char.IsUpper(c)) && word.Length > 1 ? "-CAPS" : "-Cap");
        if (digits) sb.Append("-digit");
        if (hyphen) sb.Append("-hyph");
        string lower = word.ToLowerInvariant();
        foreach (var suffix in Suffixes)
            if (lower.Length > suffix.Length + 2 && lower.EndsWith(suffix, StringComparison.Ordinal)) { sb.Append('-').Append(suffix); break; }
        return sb.Append('>').ToString();
    }

    /// <summary>The id of <paramref name="word"/>: itself if known, else its signature if known, else <see cref="Vocabulary.Unk"/>.</summary>
    public static int IdOf(Vocabulary vocabulary, string word)
    {
        int id = vocabulary.IdOf(word);
        return id != Vocabulary.Unk ? id : vocabulary.IdOf(Of(word));
    }
}
