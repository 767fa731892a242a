namespace Loom.Data;

/// <summary>
/// One clip of the spoken-phrases data set: a row of its manifest.tsv, as the generator wrote it.
/// </summary>
/// <param name="Path">The WAV file, relative to the manifest's folder with '/' (e.g. "train/000042.wav").</param>
/// <param name="Transcript">What is said: lower-case words of <see cref="SpokenPhrases.Vocabulary"/> joined by single spaces.</param>
/// <param name="Voice">espeak-ng language voice (the accent), e.g. "en-gb-scotland".</param>
/// <param name="Variant">espeak-ng voice variant (the speaker), e.g. "m3", "f2", "klatt", "whisper".</param>
/// <param name="Speed">Words per minute given to espeak-ng (-s).</param>
/// <param name="Pitch">Pitch given to espeak-ng (-p, 0–99).</param>
/// <param name="SnrDb">Signal-to-noise ratio of the added noise, in dB (speech power over the whole clip / noise power).</param>
/// <param name="Noise">"white" or "pink".</param>
/// <param name="SampleRate">The WAV file's rate (16,000 for the full set; the embedded sample is stored at 8,000).</param>
/// <param name="Frames">Samples in the WAV file, at <paramref name="SampleRate"/>.</param>
/// <param name="Split">"train", "val" or "test": whole speakers (voice + variant) belong to one split.</param>
public sealed record SpokenPhrasesClip(
    string Path, string Transcript, string Voice, string Variant, int Speed, int Pitch, double SnrDb, string Noise, int SampleRate, int Frames, string Split)
{
    /// <summary>The speaker: voice and variant as espeak-ng's -v takes them ("en-us+m3").</summary>
    public string Speaker => $"{Voice}+{Variant}";

    /// <summary>Length in seconds.</summary>
    public double Seconds => (double)Frames / SampleRate;
}
