using System.CommandLine;
using System.Globalization;

namespace Loom.Cli.Commands;

/// <summary>
/// The training settings of <c>loom train</c> when it may resume: a checkpoint's saved option wins over the flag's
/// default, so a resumed run continues exactly as it began; a flag given explicitly with another value is an error
/// rather than silently ignored. Without a checkpoint (or for an option an older checkpoint lacks) the flag is used.
/// </summary>
internal sealed class ResumedSettings(ParseResult parse, IReadOnlyDictionary<string, string>? saved)
{
    public int Int(Option<int> option, string key) =>
        Resolve(option, key, s => int.Parse(s, CultureInfo.InvariantCulture), (a, b) => a == b, v => v.ToString(CultureInfo.InvariantCulture));

    public float Float(Option<float> option, string key) =>
        Resolve(option, key, s => float.Parse(s, CultureInfo.InvariantCulture), (a, b) => a.Equals(b), v => Format(v));

    /// <summary>A setting that may be unset ("" in the checkpoint).</summary>
    public float? OptionalFloat(Option<float?> option, string key) =>
        Resolve(option, key, s => s.Length == 0 ? null : float.Parse(s, CultureInfo.InvariantCulture), (a, b) => Nullable.Equals(a, b), Format);

    public string String(Option<string> option, string key) => Resolve(option, key, s => s, (a, b) => a == b, v => v)!;

    /// <summary>Fails when <paramref name="option"/> was given explicitly with a value other than <paramref name="resumed"/>.</summary>
    public void CheckSame(Option<string> option, string key, string resumed)
    {
        if (saved is not null && Explicit(option) && parse.GetValue(option) != resumed) throw Contradiction(option, parse.GetValue(option)!, resumed);
    }

    private T Resolve<T>(Option<T> option, string key, Func<string, T> read, Func<T, T, bool> same, Func<T, string> show)
    {
        var flag = parse.GetValue(option)!;
        if (saved is null || !saved.TryGetValue(key, out var text)) return flag;
        T value;
        try { value = read(text); }
        catch (FormatException) { throw new UserException($"The checkpoint's option {key} is malformed ('{text}')."); }
        if (Explicit(option) && !same(flag, value)) throw Contradiction(option, show(flag), show(value));
        return value;
    }

    private bool Explicit(Option option) => parse.GetResult(option) is { Implicit: false };

    private static UserException Contradiction(Option option, string flag, string resumed) =>
        new($"{option.Name} {flag} contradicts the checkpoint, which trains with {option.Name} {(resumed.Length == 0 ? "unset" : resumed)}; a resumed run continues with the checkpoint's settings (leave the flag out).");

    public static string Format(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static string Format(float? value) => value is float v ? Format(v) : "";
}
