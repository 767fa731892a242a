using System.Text;

namespace Loom.Text;

/// <summary>
/// Reads text files of unknown encoding the way the corpora need: UTF-8 when the bytes are valid
/// UTF-8 (a byte-order mark is dropped), otherwise Latin-1 (ISO-8859-1), and line ends as "\n".
/// </summary>
/// <remarks>
/// Latin-1 is the fallback because it decodes every byte sequence, and the old mail and corpus files
/// that are not UTF-8 are overwhelmingly Latin-1 or Windows-1252 (whose printable extras then show
/// as C1 controls rather than failing the whole file). Valid UTF-8 is almost never produced by
/// accident from Latin-1 text, so trying UTF-8 strictly first misreads next to nothing.
/// </remarks>
public static class TextFile
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads <paramref name="path"/> and decodes it with <see cref="Decode"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist; the message names it.</exception>
    public static string ReadAllText(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Text file {path} does not exist.", path);
        return Decode(File.ReadAllBytes(path));
    }

    /// <summary>
    /// Decodes <paramref name="bytes"/> as strict UTF-8 (leading byte-order mark removed), or as
    /// Latin-1 when they are not valid UTF-8; then turns "\r\n" into "\n" (a lone "\r" stays).
    /// </summary>
    public static string Decode(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ReadOnlySpan<byte> span = bytes;
        if (span.StartsWith("\uFEFF"u8)) span = span[3..];
        string text;
        try
        {
            text = StrictUtf8.GetString(span);
        }
        catch (DecoderFallbackException)
        {
            text = Encoding.Latin1.GetString(span);
        }
        return text.Contains('\r') ? text.Replace("\r\n", "\n", StringComparison.Ordinal) : text;
    }
}
