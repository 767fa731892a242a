using Loom.IO;
using Loom.Nn;

namespace Loom.Serialization;

/// <summary>
/// Loads a PyTorch <c>state_dict</c> saved as safetensors (<c>safetensors.torch.save_file(model.state_dict(), path)</c>)
/// into a Loom model built in code, from a spec or from a saved file. Names are matched as
/// <see cref="StateDictNames"/> tabulates (exact names; a wrapper's prefix removed; otherwise a module whose tensor
/// names and shapes fit one module of the model only); shapes must be equal; F16, BF16 and F64 are converted, and
/// integers fill only integer buffers. All or nothing: every problem of every tensor is collected into one message
/// before anything is copied, so a failed import leaves the model as it was.
/// </summary>
public static class StateDictImport
{
    /// <summary>Loads <paramref name="path"/> into <paramref name="model"/>; see <see cref="Apply"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not valid safetensors (the message names it).</exception>
    /// <exception cref="InvalidDataException">Or its tensors do not fit the model: one message listing each kind of problem.</exception>
    public static StateDictImportReport Load(Module model, string path, bool strict = true, ReaderLimits? limits = null)
    {
        var contents = Safetensors.Load(path, limits);
        return Apply(model, contents, $"'{path}'", strict, limits);
    }

    /// <summary>
    /// Copies <paramref name="contents"/> into <paramref name="model"/>'s parameters and buffers. With
    /// <paramref name="strict"/> (PyTorch's default too), a tensor of the model that the file lacks or one of the file
    /// that the model has no place for is an error; without, they are left alone and listed in the report. A shape, a
    /// dtype or (under <see cref="ReaderLimits.RejectNonFiniteWeights"/>) a NaN that does not fit is always an error.
    /// </summary>
    /// <param name="source">How messages name the file, e.g. <c>'weights.safetensors'</c>.</param>
    /// <exception cref="InvalidDataException">The tensors do not fit: <see cref="StateDictProblem.Describe"/>; nothing was copied.</exception>
    public static StateDictImportReport Apply(Module model, Safetensors.Contents contents, string source, bool strict = true, ReaderLimits? limits = null)
    {
        var (report, problems, copies) = Plan(model, contents, source, strict, limits);
        if (problems.Count > 0) throw new InvalidDataException(StateDictProblem.Describe(source, problems));
        foreach (var (from, to) in copies) from.Data.AsSpan().CopyTo(to.Data);
        return report;
    }

    /// <summary>Every tensor that would not fit, none left out (the message of <see cref="Apply"/> lists the first few of each kind); copies nothing.</summary>
    public static IReadOnlyList<StateDictProblem> Check(Module model, Safetensors.Contents contents, bool strict = true, ReaderLimits? limits = null) =>
        Plan(model, contents, "", strict, limits).Problems;

    private static (StateDictImportReport Report, List<StateDictProblem> Problems, List<(Tensor From, Tensor To)> Copies) Plan(
        Module model, Safetensors.Contents contents, string source, bool strict, ReaderLimits? limits)
    {
        limits ??= ReaderLimits.Default;
        var (files, stripped) = StripWrapper(contents.Tensors);
        var targets = model.StateDict();
        var (pairs, ambiguous) = PairModules(Group(targets.Select(t => (t.Name, t.Value.Shape))), Group(files.Select(f => (f.Name, f.Value.Shape))));

        var byName = files.ToDictionary(f => f.Name, f => f, StringComparer.Ordinal);
        var problems = new List<StateDictProblem>();
        var matched = new List<StateDictMatch>();
        var copies = new List<(Tensor From, Tensor To)>();
        var defaulted = new List<string>();
        var missing = new List<string>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, target) in targets)
        {
            var (module, leaf) = StateDictNames.Split(name);
            string? sourceName = pairs.TryGetValue(module, out var from) ? Join(from, leaf) : null;
            if (sourceName is null || !byName.TryGetValue(sourceName, out var found))
            {
                if (StateDictNames.IsOptional(name)) defaulted.Add(name);
                else if (strict) problems.Add(new(StateDictProblemKind.Missing, name, target.Shape, null));
                else missing.Add(name);
                continue;
            }
            used.Add(sourceName);
            string dtype = contents.Dtypes.TryGetValue(Original(sourceName, stripped), out var d) ? d : "F32";
            string shown = sourceName == name ? name : $"{name} ← {sourceName}";
            if (!StateDictNames.ShapesFit(name, target.Shape, found.Value.Shape))
                problems.Add(new(StateDictProblemKind.Shape, shown, target.Shape, found.Value.Shape));
            else if (DtypeProblem(name, dtype, found.Value) is string why)
                problems.Add(new(StateDictProblemKind.Dtype, shown, target.Shape, found.Value.Shape, why));
            else if (limits.RejectNonFiniteWeights && FirstNonFinite(found.Value.Data) is int bad)
                problems.Add(new(StateDictProblemKind.NonFinite, shown, target.Shape, found.Value.Shape, $"{found.Value.Data[bad]} at element {bad}"));
            else
            {
                matched.Add(new StateDictMatch(name, sourceName, target.Shape, dtype));
                copies.Add((found.Value, target));
            }
        }
        var ignored = new List<string>();
        foreach (var (name, value) in files)
        {
            if (used.Contains(name)) continue;
            if (strict) problems.Add(new(StateDictProblemKind.Extra, name, null, value.Shape, StateDictNames.Unsupported(name) ?? UnmatchedNote(name, pairs, ambiguous)));
            else ignored.Add(name);
        }
        var renamed = pairs.Where(p => p.Key != p.Value).Select(p => (From: p.Value, To: p.Key)).ToList();
        return (new StateDictImportReport(source, stripped, matched, renamed, defaulted, missing, ignored), problems, copies);
    }

    /// <summary>The file's tensors without a wrapper prefix that every one of them carries (possibly nested: module._orig_mod.).</summary>
    private static (List<(string Name, Tensor Value)> Tensors, string? Stripped) StripWrapper(IReadOnlyList<(string Name, Tensor Value)> tensors)
    {
        string removed = "";
        var list = tensors.ToList();
        for (bool again = true; again && list.Count > 0;)
        {
            again = false;
            foreach (string prefix in StateDictNames.WrapperPrefixes)
            {
                if (!list.All(t => t.Name.StartsWith(prefix, StringComparison.Ordinal))) continue;
                list = [.. list.Select(t => (t.Name[prefix.Length..], t.Value))];
                removed += prefix;
                again = true;
            }
        }
        return (list, removed.Length > 0 ? removed : null);
    }

    private static string Original(string name, string? stripped) => stripped + name;

    private static string Join(string module, string leaf) => module.Length == 0 ? leaf : module + "." + leaf;

    /// <summary>Module path → its tensors' own names and shapes, in first-seen order.</summary>
    private static Dictionary<string, List<(string Leaf, int[] Shape)>> Group(IEnumerable<(string Name, int[] Shape)> tensors)
    {
        var groups = new Dictionary<string, List<(string, int[])>>(StringComparer.Ordinal);
        foreach (var (name, shape) in tensors)
        {
            var (module, leaf) = StateDictNames.Split(name);
            if (!groups.TryGetValue(module, out var list)) groups[module] = list = [];
            list.Add((leaf, shape));
        }
        return groups;
    }

    /// <summary>
    /// Model module → file module. Same paths pair first. Each module left over pairs with the one module left over in
    /// the file that has exactly its tensor names and shapes (optional tensors aside), if that file module fits no other
    /// module of the model either: a twin's <c>conv1</c> fills Loom's <c>0</c>, but two Linear(128, 128) are not guessed
    /// (<c>Ambiguous</c>: such a file module → the model's modules it fits).
    /// </summary>
    private static (Dictionary<string, string> Pairs, Dictionary<string, List<string>> Ambiguous) PairModules(Dictionary<string, List<(string Leaf, int[] Shape)>> model,
        Dictionary<string, List<(string Leaf, int[] Shape)>> file)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string module in model.Keys)
            if (file.ContainsKey(module)) pairs[module] = module;
        var leftModel = model.Keys.Where(m => !pairs.ContainsKey(m)).ToList();
        var leftFile = file.Keys.Where(f => !model.ContainsKey(f)).ToList();
        var fileSignatures = leftFile.ToDictionary(f => f, f => Signature(file[f]), StringComparer.Ordinal);
        var modelSignatures = leftModel.ToDictionary(m => m, m => Signature(model[m]), StringComparer.Ordinal);
        var ambiguous = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string module in leftModel)
        {
            string signature = modelSignatures[module];
            var candidates = leftFile.Where(f => fileSignatures[f] == signature).ToList();
            if (candidates.Count == 1 && modelSignatures.Values.Count(s => s == signature) == 1) pairs[module] = candidates[0];
            else foreach (string f in candidates)
                {
                    if (!ambiguous.TryGetValue(f, out var fits)) ambiguous[f] = fits = [];
                    fits.Add(module);
                }
        }
        return (pairs, ambiguous);
    }

    /// <summary>The tensors a module must have, as one comparable string: sorted "leaf(shape)" without the optional ones.</summary>
    private static string Signature(List<(string Leaf, int[] Shape)> tensors) => string.Join(" ", tensors
        .Where(t => !StateDictNames.IsOptional(t.Leaf))
        .Select(t => t.Leaf + ShapeUtil.Format(t.Shape))
        .Order(StringComparer.Ordinal));

    /// <summary>Why an extra tensor of the file found no place, where there is more to say than that.</summary>
    private static string? UnmatchedNote(string name, Dictionary<string, string> pairs, Dictionary<string, List<string>> ambiguous)
    {
        string module = StateDictNames.Split(name).Module;
        if (ambiguous.TryGetValue(module, out var fits))
            return $"its module fits the model's {string.Join(", ", fits.Take(5))}{(fits.Count > 5 ? ", …" : "")} alike; name it as the one it is";
        var paired = pairs.FirstOrDefault(p => p.Value == module);
        return paired.Key is null ? null : $"module '{ErrorText.Clean(paired.Key, 80)}' of the model has no tensor of this name";
    }

    /// <summary>Why a tensor stored as <paramref name="dtype"/> cannot fill Loom's <paramref name="name"/>, or null.</summary>
    private static string? DtypeProblem(string name, string dtype, Tensor value)
    {
        if (StateDictNames.IsFloat(dtype))
        {
            if (!StateDictNames.IsIntegerBuffer(name)) return null;
            // A count stored as a float (Loom's own older files did): whole numbers only.
            foreach (float v in value.Data) if (v != MathF.Round(v)) return $"dtype {dtype} holds {v}; an integer buffer needs whole numbers";
            return null;
        }
        if (dtype == "BOOL") return "dtype BOOL; Loom's tensors are float32 or integer counts";
        return StateDictNames.IsIntegerBuffer(name) ? null
            : $"dtype {dtype} for a float32 weight; integers are read only into integer buffers (num_batches_tracked)";
    }

    private static int? FirstNonFinite(float[] data)
    {
        for (int i = 0; i < data.Length; i++) if (!float.IsFinite(data[i])) return i;
        return null;
    }
}
