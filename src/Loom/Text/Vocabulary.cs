using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Loom.IO;

namespace Loom.Text;

/// <summary>
/// A fixed mapping between tokens and ids: id 0 is <see cref="PadToken"/> ("&lt;pad&gt;"), id 1 is
/// <see cref="UnkToken"/> ("&lt;unk&gt;", every token not in the vocabulary), then the known tokens.
/// Ids are what an <c>Embedding</c> layer indexes; <see cref="Count"/> is its row count.
/// </summary>
/// <remarks>
/// Lookups are ordinal (case-sensitive, culture-free); tokenizers decide about case. A vocabulary is
/// saved beside a model as a JSON array of its tokens in id order (<see cref="ToJson"/>), because a
/// model is only usable with the exact ids it was trained with.
/// </remarks>
public sealed class Vocabulary
{
    /// <summary>Id of the padding token <see cref="PadToken"/>, which fills sequences up to a common length.</summary>
    public const int Pad = 0;

    /// <summary>Id of the unknown token <see cref="UnkToken"/>, which stands for every token not in the vocabulary.</summary>
    public const int Unk = 1;

    /// <summary>The padding token, id <see cref="Pad"/>.</summary>
    public const string PadToken = "<pad>";

    /// <summary>The unknown token, id <see cref="Unk"/>.</summary>
    public const string UnkToken = "<unk>";

    private readonly string[] _tokens;
    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _spanIds;

    private Vocabulary(string[] tokens, Dictionary<string, int> ids)
    {
        _tokens = tokens;
        _ids = ids;
        _spanIds = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        Tokens = Array.AsReadOnly(tokens);
    }

    /// <summary>Number of ids, specials included: ids are 0..Count−1.</summary>
    public int Count => _tokens.Length;

    /// <summary>The tokens in id order (index 0 = <see cref="PadToken"/>, 1 = <see cref="UnkToken"/>).</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>
    /// Counts <paramref name="tokens"/> and keeps those seen at least <paramref name="minCount"/> times,
    /// most frequent first, ties in ordinal string order, so the same tokens always give the same ids.
    /// </summary>
    /// <param name="tokens">The training tokens, repeats included. The special strings themselves are not counted.</param>
    /// <param name="minCount">Least number of occurrences for a token to get an id (≥ 1).</param>
    /// <param name="maxSize">Most ids in all, the two specials included (≥ 2); null for no limit.</param>
    public static Vocabulary Build(IEnumerable<string> tokens, int minCount = 1, int? maxSize = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentOutOfRangeException.ThrowIfLessThan(minCount, 1);
        if (maxSize is int max) ArgumentOutOfRangeException.ThrowIfLessThan(max, 2, nameof(maxSize));
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string token in tokens)
        {
            ArgumentNullException.ThrowIfNull(token, nameof(tokens));
            if (token is PadToken or UnkToken) continue;
            CollectionsMarshal.GetValueRefOrAddDefault(counts, token, out _)++;
        }
        var kept = new List<KeyValuePair<string, int>>(counts.Count);
        foreach (var entry in counts)
            if (entry.Value >= minCount) kept.Add(entry);
        kept.Sort((a, b) => a.Value != b.Value ? b.Value.CompareTo(a.Value) : string.CompareOrdinal(a.Key, b.Key));
        int size = Math.Min(kept.Count, (maxSize ?? int.MaxValue) - 2);
        var list = new string[size + 2];
        list[Pad] = PadToken;
        list[Unk] = UnkToken;
        for (int i = 0; i < size; i++) list[i + 2] = kept[i].Key;
        return Create(list, "Vocabulary.Build");
    }

    /// <summary>
    /// The vocabulary whose tokens in id order are <paramref name="tokens"/>, e.g. a saved <see cref="Tokens"/>:
    /// "&lt;pad&gt;", "&lt;unk&gt;", then distinct tokens.
    /// </summary>
    /// <param name="tokens">All tokens in id order, specials first.</param>
    /// <param name="source">Where the tokens came from (a model file), for error messages.</param>
    /// <exception cref="InvalidDataException">The specials are not first or a token repeats; the message names <paramref name="source"/>.</exception>
    public static Vocabulary FromTokens(IEnumerable<string> tokens, string source = "vocabulary")
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(source);
        var list = new List<string>();
        foreach (string token in tokens)
        {
            if (token is null) throw new InvalidDataException($"{source}: vocabulary entry {list.Count} is null.");
            list.Add(token);
        }
        return Create([.. list], source);
    }

    /// <summary>The id of <paramref name="token"/>, or <see cref="Unk"/> when it is not in the vocabulary.</summary>
    public int IdOf(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _ids.TryGetValue(token, out int id) ? id : Unk;
    }

    /// <summary>The id of the token spelled by <paramref name="token"/> (no string is allocated), or <see cref="Unk"/>.</summary>
    public int IdOf(ReadOnlySpan<char> token) => _spanIds.TryGetValue(token, out int id) ? id : Unk;

    /// <summary>Whether <paramref name="token"/> has its own id.</summary>
    public bool Contains(string token) => _ids.ContainsKey(token);

    /// <summary>The token of <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is not in 0..Count−1.</exception>
    public string TokenOf(int id)
    {
        if ((uint)id >= (uint)_tokens.Length)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id {id} is outside the vocabulary (0..{_tokens.Length - 1}).");
        return _tokens[id];
    }

    /// <summary>The ids of <paramref name="tokens"/> (unknown ones → <see cref="Unk"/>).</summary>
    public int[] Encode(IReadOnlyList<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var ids = new int[tokens.Count];
        for (int i = 0; i < ids.Length; i++) ids[i] = IdOf(tokens[i]);
        return ids;
    }

    /// <summary>
    /// The tokens of <paramref name="ids"/> joined by <paramref name="separator"/> ("" for characters,
    /// " " for words). <see cref="Pad"/> is skipped, since padding is not text.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is not in 0..Count−1.</exception>
    public string Decode(ReadOnlySpan<int> ids, string separator)
    {
        ArgumentNullException.ThrowIfNull(separator);
        var text = new StringBuilder();
        bool first = true;
        foreach (int id in ids)
        {
            if (id == Pad) continue;
            if (!first) text.Append(separator);
            text.Append(TokenOf(id));
            first = false;
        }
        return text.ToString();
    }

    /// <summary>The vocabulary as a JSON array of its tokens in id order, specials first.</summary>
    public JsonNode ToJson()
    {
        var array = new JsonArray();
        foreach (string token in _tokens) array.Add((JsonNode)token);
        return array;
    }

    /// <summary>Reads a vocabulary written by <see cref="ToJson"/>.</summary>
    /// <param name="node">A JSON array of strings: "&lt;pad&gt;", "&lt;unk&gt;", then distinct tokens.</param>
    /// <param name="source">Where the JSON came from (a file name), for error messages.</param>
    /// <exception cref="InvalidDataException">The JSON is not such an array; the message names <paramref name="source"/> and the problem.</exception>
    public static Vocabulary FromJson(JsonNode? node, string source)
    {
        // Messages from deeper down quote file content; the entry point lets out only clean, bounded ones (ErrorText.Bounded).
        try { return FromJsonCore(node, source); }
        catch (InvalidDataException e) when (!Loom.IO.ErrorText.IsClean(e.Message)) { throw Loom.IO.ErrorText.Bounded(e); }
    }

    private static Vocabulary FromJsonCore(JsonNode? node, string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (node is not JsonArray array)
            throw new InvalidDataException($"{source}: a vocabulary must be a JSON array of token strings, found {Describe(node)}.");
        var tokens = new string[array.Count];
        for (int i = 0; i < tokens.Length; i++)
        {
            if (array[i] is JsonValue value && TryGetString(value, source, i, out string? token) && token is not null)
                tokens[i] = token;
            else
                throw new InvalidDataException($"{source}: vocabulary entry {i} must be a string, found {Describe(array[i])}.");
        }
        return Create(tokens, source);
    }

    /// <summary>Reads a vocabulary file written as <see cref="ToJson"/>: a JSON array of its tokens in id order.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not such an array within <paramref name="limits"/> (size, depth, token count); the message names the file.</exception>
    public static Vocabulary Load(string path, ReaderLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        limits ??= ReaderLimits.Default;
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: vocabulary file not found.", path);
        ReaderLimits.Check(new FileInfo(path).Length, limits.MaxJsonBytes, "the file size in bytes", nameof(ReaderLimits.MaxJsonBytes), path);
        return Parse(File.ReadAllBytes(path), path, limits);
    }

    /// <summary>Parses vocabulary JSON bytes (UTF-8); <paramref name="source"/> names them in error messages.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a JSON array of distinct token strings, specials first, within <paramref name="limits"/>.</exception>
    public static Vocabulary Parse(ReadOnlySpan<byte> json, string source, ReaderLimits? limits = null)
    {
        // Messages from deeper down quote file content; the entry point lets out only clean, bounded ones (ErrorText.Bounded).
        try { return ParseCore(json, source, limits); }
        catch (InvalidDataException e) when (!Loom.IO.ErrorText.IsClean(e.Message)) { throw Loom.IO.ErrorText.Bounded(e); }
    }

    private static Vocabulary ParseCore(ReadOnlySpan<byte> json, string source, ReaderLimits? limits)
    {
        ArgumentNullException.ThrowIfNull(source);
        limits ??= ReaderLimits.Default;
        ReaderLimits.Check(json.Length, limits.MaxJsonBytes, "the JSON size in bytes", nameof(ReaderLimits.MaxJsonBytes), source);
        if (!System.Text.Unicode.Utf8.IsValid(json)) throw new InvalidDataException($"{source}: not valid UTF-8 text.");
        JsonNode? node;
        try { node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = limits.MaxJsonDepth }); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: not valid JSON ({ErrorText.Clean(e.Message)})."); }
        if (node is JsonArray array) ReaderLimits.Check(array.Count, limits.MaxVocabulary, "the token count", nameof(ReaderLimits.MaxVocabulary), source);
        return FromJson(node, source);
    }

    /// <summary>
    /// A JSON string's value. The parser checks the structure but decodes a string only when it is read, so a token
    /// with invalid UTF-8 bytes surfaces here (as InvalidOperationException: "Cannot transcode invalid UTF-8").
    /// </summary>
    private static bool TryGetString(JsonValue value, string source, int index, out string? text)
    {
        try { return value.TryGetValue(out text); }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException($"{source}: vocabulary entry {index} is not valid UTF-8 text ({ErrorText.Clean(e.Message)}).", e);
        }
    }

    private static Vocabulary Create(string[] tokens, string source)
    {
        if (tokens.Length < 2 || tokens[Pad] != PadToken || tokens[Unk] != UnkToken)
            throw new InvalidDataException(
                $"{source}: a vocabulary must start with \"{PadToken}\" (id {Pad}) and \"{UnkToken}\" (id {Unk}), found [{string.Join(", ", tokens.Take(2).Select(t => $"\"{ErrorText.Clean(t, 80)}\""))}].");
        var ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++)
        {
            if (!ids.TryAdd(tokens[i], i))
                throw new InvalidDataException($"{source}: token \"{ErrorText.Clean(tokens[i], 80)}\" appears twice in the vocabulary (ids {ids[tokens[i]]} and {i}).");
        }
        return new Vocabulary(tokens, ids);
    }

    private static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        _ => node.GetValueKind().ToString().ToLowerInvariant() + " " + node.ToJsonString(),
    };
}
