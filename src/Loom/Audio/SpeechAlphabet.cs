namespace Loom.Audio;

/// <summary>
/// The characters a speech model writes, as CTC class ids: 0 is the blank (CTC's "no character here"), 1 the space,
/// 2–27 'a'–'z', 28 the apostrophe (29 classes). Transcripts are lower-cased; any other character is an error, so a
/// manifest with digits or punctuation in a transcript is caught at load rather than trained on silently.
/// </summary>
public static class SpeechAlphabet
{
    /// <summary>The blank's id (PyTorch's CTCLoss default, blank = 0).</summary>
    public const int Blank = 0;

    /// <summary>Classes including the blank.</summary>
    public const int Count = 29;

    /// <summary>The character of each id; id 0, the blank, is shown as '_'.</summary>
    public static IReadOnlyList<char> Characters { get; } = Array.AsReadOnly("_ abcdefghijklmnopqrstuvwxyz'".ToCharArray());

    /// <summary>The id of <paramref name="c"/> (either case), or −1 when it is not in the alphabet.</summary>
    public static int IdOf(char c) => c switch
    {
        ' ' => 1,
        >= 'a' and <= 'z' => c - 'a' + 2,
        >= 'A' and <= 'Z' => c - 'A' + 2,
        '\'' => 28,
        _ => -1,
    };

    /// <summary>Whether every character of <paramref name="text"/> is in the alphabet.</summary>
    public static bool CanEncode(string text)
    {
        foreach (char c in text) if (IdOf(c) < 0) return false;
        return true;
    }

    /// <summary>The ids of <paramref name="text"/>, (length of the text), none of them the blank.</summary>
    /// <exception cref="ArgumentException">A character is not in the alphabet; the message names it and its position.</exception>
    public static int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new int[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            ids[i] = IdOf(text[i]);
            if (ids[i] < 0)
                throw new ArgumentException($"'{Loom.IO.ErrorText.Clean(text[i].ToString())}' (U+{(int)text[i]:X4}) at position {i} of \"{Loom.IO.ErrorText.Clean(text, 80)}\" is not in the speech alphabet (space, a–z, apostrophe).", nameof(text));
        }
        return ids;
    }

    /// <summary>The text of <paramref name="ids"/>, skipping blanks (no CTC collapsing: that is the decoder's job).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside 0..<see cref="Count"/>−1.</exception>
    public static string Decode(ReadOnlySpan<int> ids)
    {
        var chars = new char[ids.Length];
        int n = 0;
        foreach (int id in ids)
        {
            if ((uint)id >= Count) throw new ArgumentOutOfRangeException(nameof(ids), id, $"A speech alphabet id is 0 to {Count - 1}.");
            if (id != Blank) chars[n++] = Characters[id];
        }
        return new string(chars, 0, n);
    }
}
