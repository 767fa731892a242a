using Loom.Audio;
using Loom.Data;

namespace Loom.Speech;

/// <summary>
/// Clips as a transcriber reads them: each clip's features computed once, on first use, by a <see cref="SpeechFrontEnd"/> and kept
/// in memory (a 6,000-clip set is about 160 MB of 40-band frames), samples (T, n_mels) padded with zeros to
/// <see cref="SampleShape"/>[0] frames, targets (S) the transcript's <see cref="SpeechAlphabet"/> ids padded with
/// <see cref="IDataset.IgnoreTarget"/>; <see cref="LengthOf"/> is the clip's frames, so the <see cref="DataLoader"/>
/// trims and buckets batches by length and hands each clip's frames to the model.
/// </summary>
public sealed class SpeechFeatureDataset : IVariableLengthDataset
{
    private readonly Lazy<float[][]> _features;
    private readonly int[] _frames;
    private readonly int[][] _targets;
    private readonly int _mels;

    /// <summary>What each sample says, index = sample.</summary>
    public IReadOnlyList<string> Transcripts { get; }

    public int Count => _frames.Length;

    /// <summary>(the model's longest input in frames, n_mels).</summary>
    public int[] SampleShape { get; }

    /// <summary>(the longest transcript in characters).</summary>
    public int[] TargetShape { get; }

    public int ClassCount => SpeechAlphabet.Count;

    /// <summary>The clips the features were made from (their audio is read again on demand).</summary>
    public SpokenPhrasesDataset Clips { get; }

    /// <summary>Seconds of audio in all clips.</summary>
    public double Seconds { get; }

    /// <param name="clips">The clips (16 kHz samples, read on demand) and their transcripts.</param>
    /// <param name="frontEnd">The features the model reads.</param>
    /// <param name="maxFrames">The model's longest input (its spec's input_shape[0]).</param>
    /// <param name="source">The data's name in errors.</param>
    /// <exception cref="InvalidDataException">A clip is longer than <paramref name="maxFrames"/> frames, or its audio is unreadable; named.</exception>
    public SpeechFeatureDataset(SpokenPhrasesDataset clips, SpeechFrontEnd frontEnd, int maxFrames, string source)
    {
        ArgumentNullException.ThrowIfNull(clips);
        ArgumentNullException.ThrowIfNull(frontEnd);
        if (frontEnd.SampleRate != SpokenPhrases.SampleRate)
            throw new InvalidDataException($"{source} is given at {SpokenPhrases.SampleRate} Hz but the model reads {frontEnd.SampleRate} Hz features.");
        _mels = frontEnd.NMels;
        Clips = clips;
        // Each clip's frames follow from its manifest length, so lengths are known (and checked) without reading audio.
        _frames = new int[clips.Count];
        for (int i = 0; i < _frames.Length; i++)
        {
            _frames[i] = frontEnd.FrameCount(clips.LengthOf(i));
            if (_frames[i] > maxFrames)
                throw new InvalidDataException($"{source}: clip {clips.Clips[i].Path} is {_frames[i]} frames ({_frames[i] * frontEnd.SecondsPerFrame:0.00} s) but the model reads at most {maxFrames}.");
        }
        // The features are made on first use (a split that is never read, e.g. training clips at eval, costs nothing):
        // every clip in parallel, once.
        _features = new Lazy<float[][]>(() =>
        {
            var features = new float[clips.Count][];
            Parallel.For(0, clips.Count, i => features[i] = frontEnd.Compute(clips.ReadSamples(i)));
            for (int i = 0; i < features.Length; i++)
                if (features[i].Length != _frames[i] * _mels)
                    throw new InvalidDataException($"{source}: clip {clips.Clips[i].Path} gave {features[i].Length / _mels} frames, its manifest length {_frames[i]}.");
            return features;
        });
        _targets = new int[clips.Count][];
        for (int i = 0; i < _targets.Length; i++) _targets[i] = clips.TargetIds(i).ToArray();
        Transcripts = clips.Clips.Select(c => c.Transcript).ToArray();
        Seconds = clips.Clips.Sum(c => c.Seconds);
        SampleShape = [maxFrames, _mels];
        TargetShape = [Math.Max(1, _targets.Length == 0 ? 1 : _targets.Max(t => t.Length))];
    }

    public int LengthOf(int index) => _frames[index];

    /// <summary>Clip <paramref name="index"/>'s features, (its frames, n_mels) row-major.</summary>
    public ReadOnlySpan<float> Features(int index) => _features.Value[index];

    public void Get(int index, Span<float> features, Span<float> target)
    {
        var own = _features.Value[index];
        own.CopyTo(features);
        features[own.Length..].Clear();
        int[] ids = _targets[index];
        for (int i = 0; i < ids.Length; i++) target[i] = ids[i];
        target[ids.Length..].Fill(IDataset.IgnoreTarget);
    }
}
