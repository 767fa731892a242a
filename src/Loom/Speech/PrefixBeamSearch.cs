using Loom.Kernels;

namespace Loom.Speech;

/// <summary>
/// CTC prefix beam search (Graves 2012 §7.5; Hannun et al. 2014): keeps the <see cref="Width"/> most probable
/// label prefixes, each with two log-probabilities — of the alignments so far that end in a blank and of those
/// that end in its last label — so that a repeated label is counted once when it continues the last one and
/// twice when a blank separates them. Summing over alignments is what makes it find labellings that best-path
/// decoding misses. Optionally bound to a <see cref="WordTrie"/> so only listed words can be spelled.
/// </summary>
public sealed class PrefixBeamSearch
{
    public int Width { get; }
    public int Blank { get; }
    public WordTrie? Lexicon { get; }

    // The hypotheses seen in one Decode, as a tree: node i extends node _parent[i] by label _label[i].
    private readonly List<int> _parent = [];
    private readonly List<int> _label = [];
    private readonly List<int> _state = [];
    private readonly Dictionary<long, int> _child = [];
    // The beam of the current and the next frame: node → its slot in the score arrays.
    private readonly Dictionary<int, int> _nextSlot = [];
    private int[] _beam = [], _nextNodes = [];
    private double[] _pb = [], _pnb = [], _nextPb = [], _nextPnb = [];
    private int[] _order = [];
    private double[] _totals = [];

    public PrefixBeamSearch(int width, int blank = 0, WordTrie? lexicon = null)
    {
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(width), $"PrefixBeamSearch: beam width must be at least 1, got {width}.");
        if (blank < 0) throw new ArgumentOutOfRangeException(nameof(blank), $"PrefixBeamSearch: blank must be a class index ≥ 0, got {blank}.");
        if (lexicon is not null && lexicon.Space == blank)
            throw new ArgumentException($"PrefixBeamSearch: the word list's space label {lexicon.Space} is the blank.");
        Width = width;
        Blank = blank;
        Lexicon = lexicon;
    }

    /// <summary>
    /// The most probable labelling found and its log-probability (summed over its alignments; −∞ when the word
    /// list allows nothing). logProbs: (T, C) row-major, or frames <paramref name="stride"/> apart (N·C for one
    /// sample of a (T, N, C) batch); the first <paramref name="length"/> frames are read. Not thread-safe: one
    /// searcher per thread (it reuses its buffers between calls).
    /// </summary>
    public (int[] Labels, double LogProb) Decode(ReadOnlySpan<float> logProbs, int length, int classes, int stride = -1)
    {
        if (stride < 0) stride = classes;
        GreedyDecoder.CheckArguments(logProbs.Length, length, classes, Blank, stride, "PrefixBeamSearch");
        if (Lexicon is not null && Lexicon.Space >= classes)
            throw new ArgumentException($"PrefixBeamSearch: the word list's space label {Lexicon.Space} is outside the {classes} classes.");
        Reset(classes);
        int beamSize = 1;
        _beam[0] = 0;
        _pb[0] = 0.0;
        _pnb[0] = double.NegativeInfinity;

        for (int t = 0; t < length; t++)
        {
            var frame = logProbs.Slice(t * stride, classes);
            _nextSlot.Clear();
            for (int b = 0; b < beamSize; b++)
            {
                int node = _beam[b];
                double pb = _pb[b], pnb = _pnb[b], total = Ctc.LogAddExp(pb, pnb);
                int last = node == 0 ? -1 : _label[node];
                for (int c = 0; c < classes; c++)
                {
                    double p = frame[c];
                    if (c == Blank)
                    {
                        int s = Slot(node);
                        _nextPb[s] = Ctc.LogAddExp(_nextPb[s], total + p);
                        continue;
                    }
                    if (c == last)
                    {
                        // The same label again without a blank between continues the last one: the prefix stays.
                        int s = Slot(node);
                        _nextPnb[s] = Ctc.LogAddExp(_nextPnb[s], pnb + p);
                    }
                    int child = Extend(node, c);
                    if (child < 0) continue;
                    int cs = Slot(child);
                    _nextPnb[cs] = Ctc.LogAddExp(_nextPnb[cs], (c == last ? pb : total) + p);
                }
            }
            beamSize = Prune();
        }

        int bestNode = -1;
        double best = double.NegativeInfinity;
        for (int b = 0; b < beamSize; b++)
        {
            int node = _beam[b];
            if (Lexicon is not null && !Lexicon.CanEnd(_state[node], node == 0)) continue;
            double total = Ctc.LogAddExp(_pb[b], _pnb[b]);
            if (bestNode < 0 || total > best) { best = total; bestNode = node; }
        }
        return bestNode < 0 ? ([], double.NegativeInfinity) : (Spell(bestNode), best);
    }

    private void Reset(int classes)
    {
        _parent.Clear(); _label.Clear(); _state.Clear(); _child.Clear();
        _parent.Add(-1); _label.Add(-1); _state.Add(WordTrie.Root);
        int most = Width * (classes + 1);
        if (_nextNodes.Length < most)
        {
            _nextNodes = new int[most];
            _nextPb = new double[most];
            _nextPnb = new double[most];
            _order = new int[most];
            _totals = new double[most];
        }
        if (_beam.Length < Width) { _beam = new int[Width]; _pb = new double[Width]; _pnb = new double[Width]; }
    }

    /// <summary>The node for prefix + label (made once), or −1 when the word list forbids it.</summary>
    private int Extend(int node, int label)
    {
        long key = ((long)node << 32) | (uint)label;
        if (_child.TryGetValue(key, out int child)) return child;
        int state = Lexicon is null ? WordTrie.Root : Lexicon.Next(_state[node], label);
        if (state == WordTrie.Rejected) child = -1;
        else
        {
            child = _parent.Count;
            _parent.Add(node); _label.Add(label); _state.Add(state);
        }
        _child[key] = child;
        return child;
    }

    private int Slot(int node)
    {
        if (_nextSlot.TryGetValue(node, out int s)) return s;
        s = _nextSlot.Count;
        _nextSlot[node] = s;
        _nextNodes[s] = node;
        _nextPb[s] = _nextPnb[s] = double.NegativeInfinity;
        return s;
    }

    /// <summary>Keeps the Width most probable of the next frame's prefixes as the beam; returns how many.</summary>
    private int Prune()
    {
        int count = _nextSlot.Count;
        for (int s = 0; s < count; s++) { _order[s] = s; _totals[s] = -Ctc.LogAddExp(_nextPb[s], _nextPnb[s]); }
        // Array.Sort is deterministic for the same input, so equal scores still decode the same way every run.
        Array.Sort(_totals, _order, 0, count);
        int keep = Math.Min(Width, count);
        for (int b = 0; b < keep; b++)
        {
            int s = _order[b];
            _beam[b] = _nextNodes[s];
            _pb[b] = _nextPb[s];
            _pnb[b] = _nextPnb[s];
        }
        return keep;
    }

    private int[] Spell(int node)
    {
        int n = 0;
        for (int k = node; k > 0; k = _parent[k]) n++;
        var labels = new int[n];
        for (int k = node; k > 0; k = _parent[k]) labels[--n] = _label[k];
        return labels;
    }
}
