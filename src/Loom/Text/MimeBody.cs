using System.Text;

namespace Loom.Text;

/// <summary>
/// The readable text of a mail: its body with the transfer encodings undone and, for a multipart mail,
/// the text parts (text/plain, text/html) joined, each without its part headers. Attachments (images,
/// programs) are left out. Without this a quoted-printable body reads "=3D" and "=\n" inside words and a
/// base64 body is one opaque token a line, which tells a classifier nothing about what the mail says.
/// </summary>
public static class MimeBody
{
    /// <summary>
    /// The decoded text of <paramref name="mail"/> (headers, a blank line, the body; "\n" line ends). A mail
    /// without a blank line has no body (""). Malformed encodings are kept as they are rather than refused.
    /// </summary>
    public static string Decode(string mail)
    {
        ArgumentNullException.ThrowIfNull(mail);
        var (headers, body) = Split(mail);
        if (headers is null) return "";
        var sb = new StringBuilder();
        AppendPart(headers, body, sb, depth: 0);
        return sb.ToString();
    }

    /// <summary>Headers and body of a mail or MIME part, split at the first empty line; headers null when there is none (no body).</summary>
    internal static (string? Headers, string Body) Split(string entity)
    {
        if (entity.StartsWith('\n')) return ("", entity[1..]);
        int blank = entity.IndexOf("\n\n", StringComparison.Ordinal);
        return blank < 0 ? (null, "") : (entity[..blank], entity[(blank + 2)..]);
    }

    private static void AppendPart(string headers, string body, StringBuilder sb, int depth)
    {
        string type = Header(headers, "Content-Type") ?? "text/plain";
        string mediaType = type.Split(';')[0].Trim().ToLowerInvariant();
        if (mediaType.StartsWith("multipart/", StringComparison.Ordinal) && Parameter(type, "boundary") is { Length: > 0 } boundary && depth < 8)
        {
            foreach (var part in Parts(body, boundary))
            {
                var (partHeaders, partBody) = Split(part);
                if (partHeaders is not null) AppendPart(partHeaders, partBody, sb, depth + 1);
            }
            return;
        }
        if (!mediaType.StartsWith("text/", StringComparison.Ordinal) && mediaType != "message/rfc822") return;
        string encoding = (Header(headers, "Content-Transfer-Encoding") ?? "").Trim().ToLowerInvariant();
        string text = encoding switch
        {
            "base64" => FromBase64(body) is { } bytes ? TextFile.Decode(bytes) : body,
            "quoted-printable" => TextFile.Decode(FromQuotedPrintable(body)),
            _ => body,
        };
        if (sb.Length > 0) sb.Append('\n');
        sb.Append(text.Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    /// <summary>The value of header <paramref name="name"/>, continuation lines unfolded; null when absent.</summary>
    private static string? Header(string headers, string name)
    {
        var lines = headers.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length > name.Length && line[name.Length] == ':' && line.StartsWith(name, StringComparison.OrdinalIgnoreCase))
            {
                var value = new StringBuilder(line[(name.Length + 1)..]);
                while (i + 1 < lines.Length && lines[i + 1].Length > 0 && (lines[i + 1][0] == ' ' || lines[i + 1][0] == '\t'))
                    value.Append(' ').Append(lines[++i].Trim());
                return value.ToString().Trim();
            }
        }
        return null;
    }

    private static string? Parameter(string headerValue, string name)
    {
        foreach (var piece in headerValue.Split(';'))
        {
            int eq = piece.IndexOf('=');
            if (eq > 0 && piece[..eq].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
                return piece[(eq + 1)..].Trim().Trim('"');
        }
        return null;
    }

    private static IEnumerable<string> Parts(string body, string boundary)
    {
        string delimiter = "--" + boundary;
        var lines = body.Split('\n');
        StringBuilder? current = null;
        foreach (var line in lines)
        {
            if (line.StartsWith(delimiter, StringComparison.Ordinal))
            {
                if (current is not null) yield return current.ToString();
                bool closing = line.AsSpan(delimiter.Length).StartsWith("--");
                current = closing ? null : new StringBuilder();
                if (closing) yield break;
                continue;
            }
            current?.Append(line).Append('\n');
        }
        if (current is not null) yield return current.ToString();
    }

    private static byte[]? FromBase64(string body)
    {
        var clean = new StringBuilder(body.Length);
        foreach (char c in body) if (!char.IsWhiteSpace(c)) clean.Append(c);
        try { return Convert.FromBase64String(clean.ToString()); }
        catch (FormatException) { return null; }
    }

    /// <summary>Undoes "=XX" escapes and "=" soft line breaks; other bytes pass as Latin-1 code units (the mail was read as text).</summary>
    private static byte[] FromQuotedPrintable(string body)
    {
        var bytes = new List<byte>(body.Length);
        for (int i = 0; i < body.Length; i++)
        {
            char c = body[i];
            if (c == '=' && i + 1 < body.Length && body[i + 1] == '\n') { i++; continue; }
            if (c == '=' && i + 2 < body.Length && Uri.IsHexDigit(body[i + 1]) && Uri.IsHexDigit(body[i + 2]))
            {
                bytes.Add(Convert.ToByte(body.Substring(i + 1, 2), 16));
                i += 2;
                continue;
            }
            if (c < 0x80) bytes.Add((byte)c);
            else bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
        }
        return [.. bytes];
    }
}
