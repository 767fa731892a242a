namespace Loom.Serialization;

/// <summary>What is wrong with one tensor of an import.</summary>
public enum StateDictProblemKind
{
    /// <summary>The model has the tensor, the file does not.</summary>
    Missing,
    /// <summary>The file has the tensor, the model has no place for it.</summary>
    Extra,
    /// <summary>Both have it, in different shapes.</summary>
    Shape,
    /// <summary>A dtype that cannot fill the tensor (an integer for a weight, a boolean).</summary>
    Dtype,
    /// <summary>NaN or ±Inf in a weight.</summary>
    NonFinite,
}

/// <summary>
/// One tensor that does not fit: Loom's name (or the file's, for an extra), the shape the model expects and the one
/// the file holds (null where there is none), and a detail (dtype, a note on why there is no place for it).
/// </summary>
public sealed record StateDictProblem(StateDictProblemKind Kind, string Name, int[]? Expected, int[]? Found, string? Detail = null)
{
    public override string ToString()
    {
        string text = Loom.IO.ErrorText.Clean(Name, 80);
        text += Kind switch
        {
            StateDictProblemKind.Missing => $" {ShapeUtil.Format(Expected!)}",
            StateDictProblemKind.Extra => $" {ShapeUtil.Format(Found!)}",
            StateDictProblemKind.Shape => $": expected {ShapeUtil.Format(Expected!)}, found {ShapeUtil.Format(Found!)}",
            _ => "",
        };
        return Detail is null ? text : $"{text} ({Detail})";
    }

    /// <summary>
    /// The one message for all of <paramref name="problems"/>: each kind (missing, extra, mis-shaped, wrong dtype,
    /// not finite) with its count and first <see cref="Loom.IO.ErrorText.MaxListed"/>, cut to the house's one-line
    /// bound (<see cref="StateDictImport.Check"/> gives the whole list).
    /// </summary>
    public static string Describe(string source, IReadOnlyList<StateDictProblem> problems)
    {
        var parts = new List<string>();
        foreach (var (kind, label) in (ReadOnlySpan<(StateDictProblemKind, string)>)[
            (StateDictProblemKind.Missing, "missing"), (StateDictProblemKind.Extra, "extra"), (StateDictProblemKind.Shape, "mis-shaped"),
            (StateDictProblemKind.Dtype, "wrong dtype"), (StateDictProblemKind.NonFinite, "not finite")])
        {
            var these = problems.Where(p => p.Kind == kind).ToList();
            if (these.Count > 0) parts.Add($"{these.Count} {label}: {Loom.IO.ErrorText.List(these.Select(p => p.ToString()))}");
        }
        return Loom.IO.ErrorText.Clean($"{source} does not fit the model ({problems.Count} tensors): {string.Join("; ", parts)}.", Loom.IO.ErrorText.MaxMessageLength);
    }
}

