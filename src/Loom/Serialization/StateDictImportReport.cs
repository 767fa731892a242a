namespace Loom.Serialization;

/// <summary>One tensor of the model filled from the file: Loom's name, the file's name (after the wrapper prefix), its shape and stored dtype.</summary>
public sealed record StateDictMatch(string Name, string SourceName, int[] Shape, string SourceDtype);

/// <summary>
/// What <see cref="StateDictImport"/> did: every tensor it filled and from where, the modules it matched by shape
/// rather than by name, the dtypes it converted, and the tensors it left alone (optional ones the file lacks; with
/// <c>strict: false</c> also the missing ones and the file's extras).
/// </summary>
public sealed record StateDictImportReport(
    string Source,
    string? StrippedPrefix,
    IReadOnlyList<StateDictMatch> Matched,
    IReadOnlyList<(string From, string To)> RenamedModules,
    IReadOnlyList<string> Defaulted,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Ignored)
{
    /// <summary>Scalars copied into the model.</summary>
    public long Values => Matched.Sum(m => ShapeUtil.SizeOf(m.Shape));

    /// <summary>The dtypes read and how many tensors had each (F32 3, F16 12, …).</summary>
    public IReadOnlyList<(string Dtype, int Count)> Dtypes =>
        [.. Matched.GroupBy(m => m.SourceDtype).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Count()))];

    /// <summary>A few lines for a person: counts, renamings, conversions and what was left alone.</summary>
    public IEnumerable<string> Describe()
    {
        yield return $"{Matched.Count} tensors ({Values:N0} values) from {Source}: {string.Join(", ", Dtypes.Select(d => $"{d.Count} {d.Dtype}"))}"
            + (Dtypes.Any(d => d.Dtype != "F32") ? " (converted to float32)" : "") + ".";
        if (StrippedPrefix is not null) yield return $"Prefix '{StrippedPrefix}' (a wrapper's) removed from every name.";
        if (RenamedModules.Count > 0)
            yield return "Matched by shape: " + Loom.IO.ErrorText.List(RenamedModules.Select(r => $"{r.From} → {r.To}"), 20) + ".";
        if (Defaulted.Count > 0) yield return "Not in the file, the model's value kept: " + Loom.IO.ErrorText.List(Defaulted) + ".";
        if (Missing.Count > 0) yield return "Missing (not strict, the model's value kept): " + Loom.IO.ErrorText.List(Missing) + ".";
        if (Ignored.Count > 0) yield return "Ignored (not strict, no place in the model): " + Loom.IO.ErrorText.List(Ignored) + ".";
    }
}
