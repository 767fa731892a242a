using System.Globalization;

namespace Loom.Speech;

/// <summary>
/// Character and word error rates of transcriptions over a corpus, as speech recognition reports them: the sum of
/// edit distances divided by the sum of reference lengths (not a mean of per-utterance rates, which would weigh a
/// one-word clip like a long one). Characters are compared as written (spaces included, as in the CTC alphabet);
/// words are the runs between whitespace. Add every utterance, then read <see cref="Cer"/> and <see cref="Wer"/>,
/// or <see cref="ToMetrics"/> for a report keyed like the evaluator's (<c>cer</c>, <c>wer</c>). Word errors are also
/// split into substitutions, deletions and insertions by a minimal alignment (<see cref="EditDistance.Align{T}"/>),
/// and substituted word pairs are tallied, so a report can say which words are heard as which.
/// </summary>
public sealed class ErrorRates
{
    private static readonly char[] Whitespace = [' ', '\t', '\n', '\r'];
    private readonly Dictionary<(string Said, string Heard), long> _substituted = [];

    public long Utterances { get; private set; }
    public long CharacterEdits { get; private set; }
    public long ReferenceCharacters { get; private set; }
    public long WordEdits { get; private set; }
    public long ReferenceWords { get; private set; }
    /// <summary>Reference words heard as another word.</summary>
    public long WordSubstitutions { get; private set; }
    /// <summary>Reference words missing from the transcript.</summary>
    public long WordDeletions { get; private set; }
    /// <summary>Transcript words with no reference word.</summary>
    public long WordInsertions { get; private set; }
    /// <summary>Utterances transcribed exactly.</summary>
    public long ExactMatches { get; private set; }

    /// <summary>Character error rate (NaN before any reference character).</summary>
    public double Cer => ReferenceCharacters == 0 ? double.NaN : (double)CharacterEdits / ReferenceCharacters;

    /// <summary>Word error rate (NaN before any reference word).</summary>
    public double Wer => ReferenceWords == 0 ? double.NaN : (double)WordEdits / ReferenceWords;

    /// <summary>Adds one utterance: what was said and what was transcribed.</summary>
    public void Add(string reference, string hypothesis)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(hypothesis);
        CharacterEdits += EditDistance.Compute(reference.AsSpan(), hypothesis.AsSpan());
        ReferenceCharacters += reference.Length;
        var refWords = reference.Split(Whitespace, StringSplitOptions.RemoveEmptyEntries);
        var hypWords = hypothesis.Split(Whitespace, StringSplitOptions.RemoveEmptyEntries);
        var words = EditDistance.Align<string>(refWords, hypWords, Tally);
        WordEdits += words.Total;
        WordSubstitutions += words.Substitutions;
        WordDeletions += words.Deletions;
        WordInsertions += words.Insertions;
        ReferenceWords += refWords.Length;
        if (reference == hypothesis) ExactMatches++;
        Utterances++;
    }

    /// <summary>Adds another corpus' totals (e.g. from another thread).</summary>
    public void Add(ErrorRates other)
    {
        Utterances += other.Utterances;
        CharacterEdits += other.CharacterEdits;
        ReferenceCharacters += other.ReferenceCharacters;
        WordEdits += other.WordEdits;
        ReferenceWords += other.ReferenceWords;
        ExactMatches += other.ExactMatches;
        WordSubstitutions += other.WordSubstitutions;
        WordDeletions += other.WordDeletions;
        WordInsertions += other.WordInsertions;
        foreach (var (pair, count) in other._substituted) _substituted[pair] = _substituted.GetValueOrDefault(pair) + count;
    }

    /// <summary>The <paramref name="count"/> most frequent substitutions (what was said, what was heard, how often), most frequent first, ties in word order.</summary>
    public IReadOnlyList<(string Said, string Heard, long Count)> TopSubstitutions(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var pairs = new List<(string Said, string Heard, long Count)>(_substituted.Count);
        foreach (var (pair, n) in _substituted) pairs.Add((pair.Said, pair.Heard, n));
        pairs.Sort((a, b) => a.Count != b.Count ? b.Count.CompareTo(a.Count)
            : string.CompareOrdinal(a.Said, b.Said) is var c and not 0 ? c : string.CompareOrdinal(a.Heard, b.Heard));
        return pairs.Count <= count ? pairs : pairs.GetRange(0, count);
    }

    private void Tally(string said, string heard) => _substituted[(said, heard)] = _substituted.GetValueOrDefault((said, heard)) + 1;

    /// <summary>The rates by metric name, for an evaluation report or its JSON (names as <c>val_*</c> metrics use).</summary>
    public IReadOnlyDictionary<string, double> ToMetrics() => new Dictionary<string, double>
    {
        ["cer"] = Cer,
        ["wer"] = Wer,
        ["utterances"] = Utterances,
        ["word_substitutions"] = WordSubstitutions,
        ["word_deletions"] = WordDeletions,
        ["word_insertions"] = WordInsertions,
    };

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"CER {Cer:P2} ({CharacterEdits}/{ReferenceCharacters}), WER {Wer:P2} ({WordEdits}/{ReferenceWords}: {WordSubstitutions} substituted, {WordDeletions} deleted, {WordInsertions} inserted) over {Utterances} utterances");
}
