using Loom.IO;

namespace Loom.Audio;

/// <summary>
/// The features a speech model reads, as its spec states them (the spec's <c>"audio"</c> object): a clip resampled to
/// <see cref="SampleRate"/>, cut into 25 ms Hann frames every 10 ms (n_fft 400 at 16 kHz), summed through
/// <see cref="NMels"/> HTK mel filters, ln(x + 1e-6), then normalised per utterance (each mel band to mean 0, variance 1
/// over the clip's frames: <see cref="UtteranceNormalization"/>). A clip of L samples gives (1 + L/hop, n_mels) frames,
/// time first as recurrent layers read sequences. One instance serves many threads.
/// </summary>
public sealed class SpeechFrontEnd
{
    private readonly MelSpectrogram _mel;

    /// <param name="sampleRate">The model's rate: clips at other rates are resampled to it.</param>
    /// <param name="nMels">Mel bands per frame (40, Kaldi's small-model choice, or 80).</param>
    /// <param name="nFft">Transform length; 400 at 16 kHz gives 201 bins, 40 Hz apart.</param>
    /// <param name="hopLength">Samples between frames (160: 10 ms at 16 kHz).</param>
    /// <param name="specAugment">Whether training masks bands and runs of frames (<see cref="Audio.SpecAugment"/>, frames first).</param>
    /// <param name="frequencyWarp">Training's vocal tract length perturbation, the largest stretch of the bands (<see cref="Audio.FrequencyWarp"/>; 0: none).</param>
    public SpeechFrontEnd(int sampleRate = 16000, int nMels = 40, int nFft = 400, int hopLength = 160, bool specAugment = true, float frequencyWarp = 0f)
    {
        if (!(frequencyWarp >= 0 && frequencyWarp < 0.5f)) throw new ArgumentException($"Speech features: frequency_warp must be in [0, 0.5), not {frequencyWarp}.");
        FrequencyWarp = frequencyWarp;
        if (nMels < 1 || nMels > 512) throw new ArgumentException($"Speech features: n_mels must be between 1 and 512, not {nMels}.");
        var options = new SpectrogramOptions { SampleRate = sampleRate, NFft = nFft, WinLength = nFft, HopLength = hopLength };
        options.Validate();
        if (sampleRate > WavReader.MaxSampleRate) throw new ArgumentException($"Speech features: sample_rate {sampleRate} is above {WavReader.MaxSampleRate}.");
        (SampleRate, NMels, NFft, HopLength, SpecAugment) = (sampleRate, nMels, nFft, hopLength, specAugment);
        _mel = new MelSpectrogram(options, nMels, topDb: null);
    }

    public int SampleRate { get; }
    public int NMels { get; }
    public int NFft { get; }
    public int HopLength { get; }
    public bool SpecAugment { get; }
    public float FrequencyWarp { get; }

    /// <summary>Frames of a clip of <paramref name="samples"/> samples at <see cref="SampleRate"/>.</summary>
    public int FrameCount(int samples) => _mel.FrameCount(samples);

    /// <summary>Seconds of audio per frame (the hop).</summary>
    public double SecondsPerFrame => (double)HopLength / SampleRate;

    /// <summary>Features of a mono clip at <see cref="SampleRate"/>: (frames, n_mels) row-major, normalised.</summary>
    public float[] Compute(ReadOnlySpan<float> samples)
    {
        if (samples.Length == 0) throw new ArgumentException("Speech features: the clip has no samples.");
        int frames = FrameCount(samples.Length);
        var melFirst = new float[NMels * frames];
        _mel.Compute(samples, melFirst);
        UtteranceNormalization.Apply(melFirst, NMels, frames, frames);
        var output = new float[frames * NMels];
        for (int m = 0; m < NMels; m++)
            for (int t = 0; t < frames; t++) output[t * NMels + m] = melFirst[m * frames + t];
        return output;
    }

    /// <summary>Features of decoded WAV audio (already mono), resampled to <see cref="SampleRate"/> when it was recorded at another rate.</summary>
    public float[] Compute(WavAudio audio)
    {
        ArgumentNullException.ThrowIfNull(audio);
        var samples = audio.SampleRate == SampleRate ? audio.Samples : Resampler.Resample(audio.Samples, audio.SampleRate, SampleRate);
        return Compute(samples);
    }

    /// <summary>The spec's <c>"audio"</c> object.</summary>
    public System.Text.Json.Nodes.JsonObject ToJson() => new()
    {
        ["sample_rate"] = SampleRate,
        ["n_mels"] = NMels,
        ["n_fft"] = NFft,
        ["hop_length"] = HopLength,
        ["spec_augment"] = SpecAugment,
        ["frequency_warp"] = FrequencyWarp,
    };

    /// <summary>Reads a spec's <c>"audio"</c> object; <paramref name="source"/> names the spec in errors.</summary>
    /// <exception cref="InvalidDataException">A field of the wrong type or out of range, named.</exception>
    public static SpeechFrontEnd FromJson(System.Text.Json.Nodes.JsonObject o, string source)
    {
        int Int(string key, int fallback) => o[key] switch
        {
            null => fallback,
            System.Text.Json.Nodes.JsonValue v when v.TryGetValue(out int i) => i,
            var other => throw new InvalidDataException($"Model spec {source}: \"audio.{key}\" must be a 32-bit integer, found {ErrorText.Clean(other.ToJsonString(), 40)}."),
        };
        bool augment = o["spec_augment"] switch
        {
            null => true,
            System.Text.Json.Nodes.JsonValue v when v.TryGetValue(out bool b) => b,
            var other => throw new InvalidDataException($"Model spec {source}: \"audio.spec_augment\" must be true or false, found {ErrorText.Clean(other.ToJsonString(), 40)}."),
        };
        float warp = o["frequency_warp"] switch
        {
            null => 0f,
            System.Text.Json.Nodes.JsonValue v when v.TryGetValue(out double d) => (float)d,
            var other => throw new InvalidDataException($"Model spec {source}: \"audio.frequency_warp\" must be a number, found {ErrorText.Clean(other.ToJsonString(), 40)}."),
        };
        try { return new SpeechFrontEnd(Int("sample_rate", 16000), Int("n_mels", 40), Int("n_fft", 400), Int("hop_length", 160), augment, warp); }
        catch (ArgumentException e) { throw new InvalidDataException($"Model spec {source}: {e.Message}"); }
    }
}
