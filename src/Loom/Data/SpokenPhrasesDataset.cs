using Loom.Audio;

namespace Loom.Data;

/// <summary>
/// One split of a <see cref="SpokenPhrasesSet"/> as a data set: features (T) the clip's 16 kHz samples padded with
/// zeros to the split's longest clip, target (L) the transcript's <see cref="SpeechAlphabet"/> ids padded with
/// <see cref="IDataset.IgnoreTarget"/> to the longest transcript; <see cref="LengthOf"/> is the clip's own length, so
/// the <see cref="DataLoader"/> trims each batch. The audio is read from its file at each <see cref="Get"/> (a full
/// set is 1 GB of floats; its files are 0.5 GB). Features (log-mel) are the model's first step, not this set's.
/// </summary>
public sealed class SpokenPhrasesDataset : IVariableLengthDataset
{
    private readonly SpokenPhrasesSet _set;
    private readonly int[][] _targets;

    /// <summary>The clips, index = sample.</summary>
    public IReadOnlyList<SpokenPhrasesClip> Clips { get; }

    public int Count => Clips.Count;

    /// <summary>(longest clip in samples at 16 kHz).</summary>
    public int[] SampleShape { get; }

    /// <summary>(longest transcript in characters).</summary>
    public int[] TargetShape { get; }

    /// <summary><see cref="SpeechAlphabet.Count"/>: blank, space, a–z, apostrophe.</summary>
    public int ClassCount => SpeechAlphabet.Count;

    internal SpokenPhrasesDataset(SpokenPhrasesSet set, IReadOnlyList<SpokenPhrasesClip> clips)
    {
        _set = set;
        Clips = clips;
        _targets = clips.Select(c => SpeechAlphabet.Encode(c.Transcript)).ToArray();
        SampleShape = [Math.Max(1, clips.Count == 0 ? 1 : clips.Max(SpokenPhrasesSet.LengthAt16k))];
        TargetShape = [Math.Max(1, _targets.Length == 0 ? 1 : _targets.Max(t => t.Length))];
    }

    public int LengthOf(int index) => Math.Max(1, SpokenPhrasesSet.LengthAt16k(Clips[index]));

    /// <summary>The character ids of clip <paramref name="index"/>'s transcript, (its length).</summary>
    public ReadOnlySpan<int> TargetIds(int index) => _targets[index];

    /// <summary>Clip <paramref name="index"/>'s audio: 16 kHz mono samples, read from its file now.</summary>
    public float[] ReadSamples(int index) => _set.ReadSamples(Clips[index]);

    public void Get(int index, Span<float> features, Span<float> target)
    {
        float[] samples = ReadSamples(index);
        samples.CopyTo(features);
        features[samples.Length..].Clear();
        int[] ids = _targets[index];
        for (int i = 0; i < ids.Length; i++) target[i] = ids[i];
        target[ids.Length..].Fill(IDataset.IgnoreTarget);
    }
}
