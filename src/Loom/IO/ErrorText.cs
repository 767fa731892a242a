using System.Globalization;
using System.Text;

namespace Loom.IO;

/// <summary>
/// Makes text from a file safe to put in an error message: one line, no control characters (a file name or tag
/// read from hostile bytes may hold NUL, escape sequences or newlines that would garble or forge terminal output),
/// and bounded in length (a list of a million tensor names once made an 8.9-million-character message).
/// </summary>
public static class ErrorText
{
    /// <summary>Most characters of one quoted value in a message.</summary>
    public const int MaxValueLength = 200;

    /// <summary>Most items a message lists before "… and N more".</summary>
    public const int MaxListed = 10;

    /// <summary>Most characters of a whole message (the CLI's one line).</summary>
    public const int MaxMessageLength = 2000;

    /// <summary>
    /// <paramref name="text"/> with each control character written as \uXXXX (so the message still says which
    /// byte was there) and cut to at most <paramref name="maxLength"/> characters, the last an ellipsis ("…").
    /// </summary>
    public static string Clean(string? text, int maxLength = MaxValueLength)
    {
        if (text is null) return "";
        bool clean = text.Length <= maxLength;
        if (clean) foreach (char c in text) if (IsUnsafe(c)) { clean = false; break; }
        if (clean) return text;
        var sb = new StringBuilder(Math.Min(text.Length, maxLength) + 16);
        foreach (char c in text)
        {
            if (sb.Length + (IsUnsafe(c) ? 6 : 1) > maxLength - 1) { sb.Append('…'); break; }
            if (IsUnsafe(c)) sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>The first <see cref="MaxListed"/> items, cleaned, comma-separated, then "… and N more".</summary>
    public static string List(IEnumerable<string> items, int maxListed = MaxListed)
    {
        var shown = new List<string>(maxListed);
        int total = 0;
        foreach (string item in items)
        {
            if (total < maxListed) shown.Add(Clean(item, 80));
            total++;
        }
        string text = string.Join(", ", shown);
        return total > maxListed ? $"{text} … and {total - maxListed} more" : text;
    }

    /// <summary>Whether <paramref name="message"/> is one printable line of at most <see cref="MaxMessageLength"/> characters.</summary>
    public static bool IsClean(string message)
    {
        if (message.Length > MaxMessageLength) return false;
        foreach (char c in message) if (IsUnsafe(c)) return false;
        return true;
    }

    /// <summary>
    /// The error a public reader lets out: <paramref name="e"/> itself when its message is clean, else the same error
    /// with the message cleaned and cut (the original kept as the inner exception). Applied once at each reader's
    /// entry point, so no message built deeper down from file content can reach a caller raw.
    /// </summary>
    public static InvalidDataException Bounded(InvalidDataException e) =>
        IsClean(e.Message) ? e : new InvalidDataException(Clean(e.Message, MaxMessageLength), e);

    // Control characters, and the line and paragraph separators a terminal also breaks on.
    private static bool IsUnsafe(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';
}
