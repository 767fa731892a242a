using System.Collections.Concurrent;
using System.Globalization;
using Loom.Serialization;
using Xunit;

namespace Loom.Tests.Parity;

/// <summary>
/// One family of PyTorch reference cases, read from <c>Fixtures/parity/&lt;family&gt;.safetensors</c>
/// (written by <c>tools/make_fixtures.py</c>). Tensors are named <c>&lt;case&gt;/&lt;what&gt;</c>; the
/// metadata holds <c>cases</c> and each case's hyper-parameters as <c>&lt;case&gt;.&lt;key&gt;</c>.
/// </summary>
internal sealed class ParityFixture
{
    private static readonly ConcurrentDictionary<string, ParityFixture> Cache = new();

    private readonly Dictionary<string, Tensor> _tensors;
    private readonly IReadOnlyDictionary<string, string> _metadata;

    public string Family { get; }

    /// <summary>The case names, in the order the script wrote them.</summary>
    public IReadOnlyList<string> Cases { get; }

    private ParityFixture(string family)
    {
        Family = family;
        var path = PathOf(family);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Parity fixture '{path}' is missing; regenerate with /usr/bin/python3 tools/make_fixtures.py.", path);
        var contents = Safetensors.Load(path);
        _tensors = contents.ToDictionary();
        _metadata = contents.Metadata;
        Cases = _metadata.TryGetValue("cases", out var cases) && cases.Length > 0
            ? cases.Split(',')
            : throw new InvalidDataException($"Parity fixture '{path}' lists no cases.");
    }

    public static string PathOf(string family) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "parity", family + ".safetensors");

    /// <summary>The fixture of a family (read once per test run; <see cref="Get"/> hands out copies).</summary>
    public static ParityFixture Load(string family) => Cache.GetOrAdd(family, f => new ParityFixture(f));

    /// <summary>The case names of a family as xUnit theory data.</summary>
    public static TheoryData<string> CaseData(string family)
    {
        var data = new TheoryData<string>();
        foreach (var c in Load(family).Cases) data.Add(c);
        return data;
    }

    public bool Has(string @case, string what) => _tensors.ContainsKey(Key(@case, what));

    /// <summary>A fresh copy (no autograd history, RequiresGrad as asked) of tensor <c>case/what</c>.</summary>
    public Tensor Get(string @case, string what, bool requiresGrad = false)
    {
        if (!_tensors.TryGetValue(Key(@case, what), out var t))
            throw new KeyNotFoundException($"Parity fixture '{Family}' has no tensor '{Key(@case, what)}'.");
        var copy = t.Clone();
        copy.RequiresGrad = requiresGrad;
        return copy;
    }

    public Tensor? GetOptional(string @case, string what, bool requiresGrad = false) =>
        Has(@case, what) ? Get(@case, what, requiresGrad) : null;

    public string Meta(string @case, string key) =>
        _metadata.TryGetValue(@case + "." + key, out var v)
            ? v
            : throw new KeyNotFoundException($"Parity fixture '{Family}' has no metadata '{@case}.{key}'.");

    public string? MetaOptional(string @case, string key) => _metadata.TryGetValue(@case + "." + key, out var v) ? v : null;

    public int Int(string @case, string key) => int.Parse(Meta(@case, key), CultureInfo.InvariantCulture);

    public float Float(string @case, string key) => float.Parse(Meta(@case, key), CultureInfo.InvariantCulture);

    public bool Bool(string @case, string key) => Meta(@case, key) switch
    {
        "true" => true,
        "false" => false,
        var v => throw new InvalidDataException($"Parity fixture '{Family}': '{@case}.{key}' = '{v}' is not a boolean."),
    };

    public float[] Floats(string @case, string key) =>
        Meta(@case, key).Split(',').Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray();

    /// <summary>A "h,w" pair such as a stride or a padding.</summary>
    public (int H, int W) Pair(string @case, string key)
    {
        var parts = Meta(@case, key).Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        Assert.True(parts.Length == 2, $"'{@case}.{key}' should be a pair, got '{Meta(@case, key)}'.");
        return (parts[0], parts[1]);
    }

    public Reduction Reduction(string @case) => Meta(@case, "reduction") switch
    {
        "mean" => Loom.Reduction.Mean,
        "sum" => Loom.Reduction.Sum,
        "none" => Loom.Reduction.None,
        var v => throw new InvalidDataException($"Parity fixture '{Family}': unknown reduction '{v}' in case '{@case}'."),
    };

    private static string Key(string @case, string what) => @case + "/" + what;
}
