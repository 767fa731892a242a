using System.Buffers;
using System.Numerics.Tensors;
using Loom.Kernels;

namespace Loom.Audio;

/// <summary>
/// Log-mel features of a mono clip: the power spectrogram (<see cref="Spectrogram"/>), summed through triangular mel
/// filters (<see cref="MelFilterbank"/>), then compressed (<see cref="LogCompression"/>). With the defaults — 16 kHz,
/// 25 ms Hann window, 10 ms hop, n_fft 400, 80 HTK mels over 0–8 kHz without norm, ln(x + 1e-6) — one second of audio
/// gives (80, 101). Equal to torchaudio's <c>MelSpectrogram</c> with the same arguments followed by the same log.
/// Immutable after construction: one instance serves many threads.
/// </summary>
public sealed class MelSpectrogram
{
    private readonly float[] _filters; // (n_mels, n_freqs) row-major

    public Spectrogram Spectrogram { get; }
    public int NMels { get; }
    public LogCompression Log { get; }

    /// <summary>The eps of <see cref="LogCompression.Natural"/>: ln(x + eps).</summary>
    public float LogEps { get; }

    /// <summary>The dynamic range kept by <see cref="LogCompression.Decibels"/> (null: none), in dB below the clip's maximum.</summary>
    public float? TopDb { get; }

    /// <summary>The filters, (n_mels, n_fft/2 + 1) row-major.</summary>
    public ReadOnlySpan<float> Filters => _filters;

    /// <param name="options">Framing; null for the speech defaults of <see cref="SpectrogramOptions"/>.</param>
    /// <param name="nMels">Mel filters: 80 (Whisper, most current models) or 40 (Kaldi, smaller models).</param>
    /// <param name="fMin">Lowest filter edge, Hz (0, as torchaudio; 20 removes rumble).</param>
    /// <param name="fMax">Highest filter edge, Hz; null for sample_rate/2.</param>
    /// <param name="scale">Mel scale: HTK (torchaudio's default) or Slaney (librosa's).</param>
    /// <param name="norm">Filter norm: none (torchaudio's default) or Slaney's equal area (librosa's).</param>
    /// <param name="log">Compression of the mel power.</param>
    /// <param name="logEps">eps of ln(x + eps).</param>
    /// <param name="topDb">Dynamic range of the dB compression (80 as torchaudio's MFCC), null for none.</param>
    public MelSpectrogram(SpectrogramOptions? options = null, int nMels = 80, double fMin = 0, double? fMax = null,
        MelScale scale = MelScale.Htk, MelNorm norm = MelNorm.None, LogCompression log = LogCompression.Natural,
        float logEps = 1e-6f, float? topDb = 80f)
    {
        Spectrogram = new Spectrogram(options);
        if (!Enum.IsDefined(log)) throw new ArgumentException($"Mel spectrogram: unknown log compression {(int)log}.");
        if (!(logEps > 0) || !float.IsFinite(logEps)) throw new ArgumentException($"Mel spectrogram: log eps must be positive and finite, not {logEps}.");
        if (topDb is float db && !(db > 0 && float.IsFinite(db))) throw new ArgumentException($"Mel spectrogram: top_db must be positive and finite, not {db}.");
        _filters = MelFilterbank.Create(Spectrogram.Bins, nMels, Spectrogram.Options.SampleRate, fMin, fMax, scale, norm);
        NMels = nMels;
        Log = log;
        LogEps = logEps;
        TopDb = topDb;
    }

    /// <summary>Frames of a clip of <paramref name="samples"/> samples (see <see cref="Spectrogram.FrameCount"/>).</summary>
    public int FrameCount(int samples) => Spectrogram.FrameCount(samples);

    /// <summary>Features of a mono clip, x: (L) samples in [−1, 1] → (n_mels, frames).</summary>
    public Tensor Compute(ReadOnlySpan<float> samples)
    {
        int frames = FrameCount(samples.Length);
        var output = new float[NMels * frames];
        Compute(samples, output);
        return new Tensor(output, NMels, frames);
    }

    /// <summary>Features of a mono clip into <paramref name="output"/>: (n_mels, frames) row-major, n_mels·frames floats.</summary>
    public void Compute(ReadOnlySpan<float> samples, Span<float> output)
    {
        int frames = FrameCount(samples.Length), bins = Spectrogram.Bins, size = NMels * frames;
        if (output.Length < size)
            throw new ArgumentException($"Mel spectrogram: the output holds {output.Length} floats, {NMels} mels × {frames} frames = {size} needed.");
        float[] rows = ArrayPool<float>.Shared.Rent(frames * bins);
        try
        {
            Spectrogram.ComputeFrames(samples, rows.AsSpan(0, frames * bins));
            // mel (n_mels × frames) = F (n_mels × bins) · Pᵀ, P the frames × bins power rows.
            Gemm.Multiply(false, true, NMels, frames, bins, _filters, bins, rows, bins, output, frames);
        }
        finally { ArrayPool<float>.Shared.Return(rows); }
        Compress(output[..size], Log, LogEps, TopDb);
    }

    /// <summary>Applies <paramref name="log"/> in place to one clip's mel power (any layout: top_db is over the whole clip).</summary>
    public static void Compress(Span<float> power, LogCompression log, float eps = 1e-6f, float? topDb = 80f)
    {
        switch (log)
        {
            case LogCompression.None:
                break;
            case LogCompression.Natural:
                TensorPrimitives.Add(power, eps, power);
                TensorPrimitives.Log(power, power);
                break;
            case LogCompression.Decibels:
                // 10·log10(max(x, amin)) with amin = 1e-10 and reference 1, as torchaudio's AmplitudeToDB("power").
                TensorPrimitives.Max(power, 1e-10f, power);
                TensorPrimitives.Log10(power, power);
                TensorPrimitives.Multiply(power, 10f, power);
                if (topDb is float db && power.Length > 0) TensorPrimitives.Max(power, TensorPrimitives.Max(power) - db, power);
                break;
            default:
                throw new ArgumentException($"Mel spectrogram: unknown log compression {(int)log}.");
        }
    }
}
