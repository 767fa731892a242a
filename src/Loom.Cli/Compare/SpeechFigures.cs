using Loom.Audio;
using Loom.Nn;
using Loom.Serialization;
using Loom.Speech;

namespace Loom.Cli.Compare;

/// <summary>
/// A transcriber's figures beyond the per-epoch greedy ones: the held-out error rates of prefix beam search, and the
/// real-time factor of transcribing clips one at a time on one core, from their samples (features, model, greedy
/// decoding; reading the WAV file is left out).
/// </summary>
internal sealed record SpeechFigures(int BeamWidth, ErrorRates Beam, double RealTimeFactor, int RealTimeClips)
{
    public const int Width = 8;

    /// <summary>Clips transcribed one by one for the real-time factor (the first of the held-out set).</summary>
    public const int TimedClips = 100;

    public static SpeechFigures Measure(Sequential model, ModelSpec spec, SpeechFeatureDataset test)
    {
        var beam = new Transcriber(model, spec, Width).Evaluate(test).Rates;
        var greedy = new Transcriber(model, spec);
        int clips = Math.Min(TimedClips, test.Count);
        int threads = Kernels.Threading.Threads;
        double audio = 0, compute = 0;
        try
        {
            Kernels.Threading.Threads = 1;
            if (clips > 0) greedy.Transcribe(Clip(test, 0), "warm-up"); // the first call compiles the kernels
            for (int i = 0; i < clips; i++)
            {
                var t = greedy.Transcribe(Clip(test, i), $"clip {i}");
                (audio, compute) = (audio + t.AudioSeconds, compute + t.Seconds);
            }
        }
        finally { Kernels.Threading.Threads = threads; }
        return new SpeechFigures(Width, beam, audio > 0 ? compute / audio : double.NaN, clips);
    }

    private static WavAudio Clip(SpeechFeatureDataset test, int i) => new(test.Clips.ReadSamples(i), Data.SpokenPhrases.SampleRate, 1, 16, false);
}
