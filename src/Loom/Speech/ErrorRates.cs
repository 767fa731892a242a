using System.Globalization;

namespace Loom.Speech;

/// <summary>
/// Character and word error rates of transcriptions over a corpus, as speech recognition reports them: the sum of
/// edit distances divided by the sum of reference lengths (not a mean of per-utterance rates, which would weigh a
/// one-word clip like a long one). Characters are compared as written (spaces included, as in the CTC alphabet);
/// words are the runs between whitespace. Add every utterance, then read <see cref="Cer"/> and <see cref="Wer"/>,
/// or <see cref="ToMetrics"/> for a report keyed like the evaluator's (<c>cer</c>, <c>wer</c>).
/// </summary>
public sealed class ErrorRates
{
    private static readonly char[] Whitespace = [' ', '\t', '\n', '\r'];

    public long Utterances { get; private set; }
    public long CharacterEdits { get; private set; }
    public long ReferenceCharacters { get; private set; }
    public long WordEdits { get; private set; }
    public long ReferenceWords { get; private set; }
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
        WordEdits += EditDistance.Compute<string>(refWords, hypWords);
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
    }

    /// <summary>The rates by metric name, for an evaluation report or its JSON (names as <c>val_*</c> metrics use).</summary>
    public IReadOnlyDictionary<string, double> ToMetrics() => new Dictionary<string, double>
    {
        ["cer"] = Cer,
        ["wer"] = Wer,
        ["utterances"] = Utterances,
    };

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"CER {Cer:P2} ({CharacterEdits}/{ReferenceCharacters}), WER {Wer:P2} ({WordEdits}/{ReferenceWords}) over {Utterances} utterances");
}
