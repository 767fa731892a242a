using System.Buffers;
using System.Globalization;
using System.Text;

namespace Loom.Text;

/// <summary>
/// Cuts text into tokens, by character or by word (<see cref="TokenizerKind"/>). Simple and
/// deterministic on purpose: the same text always gives the same tokens on every machine, with
/// no language model of its own and no culture-dependent rule.
/// </summary>
/// <remarks>
/// <para><see cref="TokenizerKind.Char"/>: every UTF-16 code unit is one token, so a character outside
/// the Basic Multilingual Plane (an emoji) becomes its two surrogate halves. Nothing is lower-cased
/// or dropped; "\n" and " " are tokens like any other.</para>
/// <para><see cref="TokenizerKind.Word"/>: the text is lower-cased (invariant culture). A word is a
/// maximal run of letters and digits (combining marks after a letter stay with it); an apostrophe
/// (' or ’) between two such characters belongs to the word ("don't", "whale's"), elsewhere it is
/// punctuation. Every other character that is not white space is a token by itself ("—", ",", "$";
/// a surrogate pair stays whole). White space separates tokens and is dropped.</para>
/// </remarks>
public static class Tokenizer
{
    // One string per Latin-1 character, so char tokenization of ordinary text allocates nothing per token.
    private static readonly string[] CharStrings = CreateCharStrings();

    /// <summary>The tokens of <paramref name="text"/> (see the class remarks for the rules).</summary>
    public static List<string> Tokenize(string text, TokenizerKind kind)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (kind == TokenizerKind.Char)
        {
            var chars = new List<string>(text.Length);
            foreach (char c in text) chars.Add(CharString(c));
            return chars;
        }
        CheckKind(kind);
        var words = new List<string>();
        int position = 0;
        while (NextWord(text, ref position, out int start, out int length))
            words.Add(string.Create(length, (text, start), static (destination, state) =>
                state.text.AsSpan(state.start, destination.Length).ToLowerInvariant(destination)));
        return words;
    }

    /// <summary>
    /// The vocabulary ids of the tokens of <paramref name="text"/>, as
    /// <c>vocabulary.Encode(Tokenize(text, kind))</c> but without a string per token.
    /// </summary>
    public static int[] Encode(string text, TokenizerKind kind, Vocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (kind == TokenizerKind.Char)
        {
            var charIds = new int[text.Length];
            for (int i = 0; i < charIds.Length; i++) charIds[i] = vocabulary.IdOf(text.AsSpan(i, 1));
            return charIds;
        }
        CheckKind(kind);
        var ids = new List<int>(text.Length / 4);
        char[] buffer = ArrayPool<char>.Shared.Rent(64);
        try
        {
            int position = 0;
            while (NextWord(text, ref position, out int start, out int length))
            {
                if (buffer.Length < length)
                {
                    ArrayPool<char>.Shared.Return(buffer);
                    buffer = ArrayPool<char>.Shared.Rent(length);
                }
                text.AsSpan(start, length).ToLowerInvariant(buffer);
                ids.Add(vocabulary.IdOf(buffer.AsSpan(0, length)));
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
        return [.. ids];
    }

    /// <summary>What joins decoded tokens back into text: "" for characters, " " for words.</summary>
    public static string Separator(TokenizerKind kind) => kind == TokenizerKind.Char ? "" : " ";

    /// <summary>
    /// Finds the next word-kind token at or after <paramref name="position"/>: its start and length in
    /// <paramref name="text"/> (not yet lower-cased); <paramref name="position"/> moves past it.
    /// </summary>
    private static bool NextWord(ReadOnlySpan<char> text, ref int position, out int start, out int length)
    {
        int i = position;
        while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
        start = i;
        if (i >= text.Length)
        {
            position = i;
            length = 0;
            return false;
        }
        Rune.DecodeFromUtf16(text[i..], out Rune first, out int consumed);
        i += consumed;
        if (Rune.IsLetterOrDigit(first))
        {
            while (i < text.Length)
            {
                Rune.DecodeFromUtf16(text[i..], out Rune next, out consumed);
                if (Rune.IsLetterOrDigit(next) || IsMark(next))
                {
                    i += consumed;
                }
                else if (IsApostrophe(next) && i + 1 < text.Length && StartsWithLetterOrDigit(text[(i + 1)..]))
                {
                    i += consumed;
                }
                else break;
            }
        }
        position = i;
        length = i - start;
        return true;
    }

    private static bool StartsWithLetterOrDigit(ReadOnlySpan<char> text)
    {
        Rune.DecodeFromUtf16(text, out Rune rune, out _);
        return Rune.IsLetterOrDigit(rune);
    }

    private static bool IsApostrophe(Rune rune) => rune.Value is '\'' or '\u2019';

    private static bool IsMark(Rune rune) => Rune.GetUnicodeCategory(rune) is
        UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;

    private static string CharString(char c) => c < CharStrings.Length ? CharStrings[c] : new string(c, 1);

    private static string[] CreateCharStrings()
    {
        var strings = new string[256];
        for (int c = 0; c < strings.Length; c++) strings[c] = ((char)c).ToString();
        return strings;
    }

    private static void CheckKind(TokenizerKind kind)
    {
        if (kind != TokenizerKind.Word)
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown tokenizer kind; expected Char or Word.");
    }
}
