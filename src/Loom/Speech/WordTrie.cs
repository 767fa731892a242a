namespace Loom.Speech;

/// <summary>
/// A word list as a prefix trie over label indices, the constraint of a lexicon-bound beam search: a
/// hypothesis may only spell prefixes of listed words, words are separated by the <see cref="Space"/> label,
/// and a space (or the end) may only follow a whole word. States are node indices; <see cref="Root"/> is the
/// start of a word.
/// </summary>
public sealed class WordTrie
{
    public const int Root = 0;
    public const int Rejected = -1;

    private readonly List<Dictionary<int, int>> _children = [new()];
    private readonly List<bool> _isWord = [false];

    /// <summary>The label that separates words.</summary>
    public int Space { get; }

    public int Words { get; private set; }

    public WordTrie(int space) => Space = space;

    /// <summary>A trie of <paramref name="words"/>, each spelled through <paramref name="labelOf"/> (e.g. a character vocabulary).</summary>
    public static WordTrie FromWords(IEnumerable<string> words, Func<char, int> labelOf, int space)
    {
        var trie = new WordTrie(space);
        foreach (var w in words)
        {
            var labels = new int[w.Length];
            for (int i = 0; i < w.Length; i++) labels[i] = labelOf(w[i]);
            trie.Add(labels);
        }
        return trie;
    }

    /// <summary>Adds one word as its labels (none of them the space).</summary>
    public void Add(ReadOnlySpan<int> word)
    {
        if (word.IsEmpty) throw new ArgumentException("WordTrie: a word needs at least one label.");
        int node = Root;
        foreach (int label in word)
        {
            if (label == Space) throw new ArgumentException($"WordTrie: a word holds the space label {Space}; words are separated by it, not made of it.");
            if (!_children[node].TryGetValue(label, out int next))
            {
                next = _children.Count;
                _children[node][label] = next;
                _children.Add(new());
                _isWord.Add(false);
            }
            node = next;
        }
        if (!_isWord[node]) Words++;
        _isWord[node] = true;
    }

    /// <summary>The state after <paramref name="label"/> from <paramref name="state"/>, or <see cref="Rejected"/>.</summary>
    public int Next(int state, int label)
    {
        if (label == Space) return _isWord[state] ? Root : Rejected;
        return _children[state].TryGetValue(label, out int next) ? next : Rejected;
    }

    /// <summary>Whether a hypothesis may end in <paramref name="state"/>: after a whole word (or nothing at all).</summary>
    public bool CanEnd(int state, bool empty) => _isWord[state] || (empty && state == Root);
}
