using System.Diagnostics;
using Loom.Audio;
using Loom.Autograd;
using Loom.Data;
using Loom.Nn;
using Loom.Serialization;

namespace Loom.Speech;

/// <summary>One clip transcribed: the text, the clip's length and the time it took (features, model and decoding).</summary>
public sealed record Transcription(string Text, double AudioSeconds, double Seconds)
{
    /// <summary>Seconds of computing per second of audio: below 1 is faster than real time.</summary>
    public double RealTimeFactor => Seconds / AudioSeconds;
}

/// <summary>What a transcriber scored over a set of clips: error rates (overall and per speaker, "voice+variant") and the time it took per second of audio.</summary>
public sealed record TranscriptionScore(ErrorRates Rates, IReadOnlyDictionary<string, ErrorRates> BySpeaker, double AudioSeconds, double Seconds)
{
    public double RealTimeFactor => Seconds / AudioSeconds;
}

/// <summary>
/// Speech to text with a trained transcriber: a WAV clip (any rate, mono or stereo) through the spec's features and
/// the model, then CTC decoding — best path (<see cref="GreedyDecoder"/>) or, with a beam width, prefix beam search
/// (<see cref="PrefixBeamSearch"/>), optionally spelling only the words of a list. The model runs in evaluation mode;
/// one transcriber serves one thread at a time (the beam search reuses its buffers).
/// </summary>
public sealed class Transcriber
{
    private readonly Sequential _model;
    private readonly PrefixBeamSearch? _beam;

    /// <param name="model">A transcriber (its spec's task is transcribe).</param>
    /// <param name="spec">The model's spec: its features and alphabet.</param>
    /// <param name="beamWidth">0: greedy; k ≥ 1: prefix beam search keeping k prefixes.</param>
    /// <param name="words">Words the beam may spell (null: any characters); needs a beam.</param>
    public Transcriber(Sequential model, ModelSpec spec, int beamWidth = 0, IEnumerable<string>? words = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Task != TaskKind.Transcribe || spec.Audio is null)
            throw new ArgumentException($"Model '{spec.Name}' does not transcribe speech (its task is {spec.Task}); train a speech model (speech-crnn, speech-bilstm, speech-cnn).");
        if (spec.Classes != SpeechAlphabet.Count)
            throw new ArgumentException($"Model '{spec.Name}' scores {spec.Classes} classes, not the {SpeechAlphabet.Count} of the speech alphabet.");
        if (beamWidth < 0) throw new ArgumentOutOfRangeException(nameof(beamWidth), $"The beam width must be 0 (greedy) or more, got {beamWidth}.");
        if (words is not null && beamWidth == 0) throw new ArgumentException("A word list constrains the beam search: give a beam width too.");
        (_model, Spec, BeamWidth) = (model, spec, beamWidth);
        FrontEnd = spec.Audio;
        var lexicon = words is null ? null : WordTrie.FromWords(words, SpeechAlphabet.IdOf, SpeechAlphabet.IdOf(' '));
        if (beamWidth > 0) _beam = new PrefixBeamSearch(beamWidth, SpeechAlphabet.Blank, lexicon);
        model.Eval();
    }

    public ModelSpec Spec { get; }
    public SpeechFrontEnd FrontEnd { get; }
    public int BeamWidth { get; }

    /// <summary>How decoding is done, for reports: "greedy", "beam 8" or "beam 8 + words".</summary>
    public string Decoding => _beam is null ? "greedy" : _beam.Lexicon is null ? $"beam {BeamWidth}" : $"beam {BeamWidth} + words";

    /// <summary>Transcribes decoded audio (resampled to the model's rate when it was recorded at another).</summary>
    /// <exception cref="InvalidDataException">The clip is empty or longer than the model reads.</exception>
    public Transcription Transcribe(WavAudio audio, string source)
    {
        ArgumentNullException.ThrowIfNull(audio);
        if (audio.Samples.Length == 0) throw new InvalidDataException($"{source} holds no audio samples.");
        var clock = Stopwatch.StartNew();
        var features = FrontEnd.Compute(audio);
        int frames = features.Length / FrontEnd.NMels;
        if (frames > Spec.InputShape[0])
            throw new InvalidDataException($"{source} is {audio.Seconds:0.00} s ({frames} frames); model '{Spec.Name}' reads at most {Spec.InputShape[0]} frames ({Spec.InputShape[0] * FrontEnd.SecondsPerFrame:0.#} s).");
        string text = Decode(new Tensor(features, 1, frames, FrontEnd.NMels), [frames])[0];
        return new Transcription(text, audio.Seconds, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Transcripts of a batch of features (N, T, n_mels) whose clips have <paramref name="lengths"/> frames.</summary>
    public string[] Decode(Tensor features, int[] lengths)
    {
        Tensor output;
        using (GradMode.NoGrad()) output = Functional.LogSoftmax(_model.Call(features, lengths), -1);
        var outLengths = _model.OutputLengths(lengths);
        int n = output.Shape[0], frames = output.Shape[1], classes = output.Shape[2];
        var texts = new string[n];
        for (int i = 0; i < n; i++)
        {
            var scores = output.Data.AsSpan(i * frames * classes, frames * classes);
            var labels = _beam is null ? GreedyDecoder.Decode(scores, outLengths[i], classes, SpeechAlphabet.Blank) : _beam.Decode(scores, outLengths[i], classes).Labels;
            texts[i] = SpeechAlphabet.Decode(labels);
        }
        return texts;
    }

    /// <summary>Transcribes every clip of <paramref name="data"/> in batches and scores the transcripts against what was said.</summary>
    public TranscriptionScore Evaluate(SpeechFeatureDataset data, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(data);
        var rates = new ErrorRates();
        var bySpeaker = new SortedDictionary<string, ErrorRates>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        var loader = new DataLoader(data, batchSize, shuffle: false, prefetch: 0);
        int next = 0;
        foreach (var batch in loader)
        {
            var texts = Decode(batch.Inputs, batch.Lengths!);
            foreach (var text in texts)
            {
                string said = data.Transcripts[next], speaker = data.Clips.Clips[next].Speaker;
                rates.Add(said, text);
                if (!bySpeaker.TryGetValue(speaker, out var own)) bySpeaker[speaker] = own = new ErrorRates();
                own.Add(said, text);
                next++;
            }
        }
        return new TranscriptionScore(rates, bySpeaker, data.Seconds, clock.Elapsed.TotalSeconds);
    }
}
