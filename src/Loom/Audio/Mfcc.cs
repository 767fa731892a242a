using System.Buffers;
using Loom.Kernels;

namespace Loom.Audio;

/// <summary>
/// Mel-frequency cepstral coefficients, as torchaudio's <c>MFCC</c>: the log-mel spectrogram (<see cref="MelSpectrogram"/>,
/// in dB with top_db 80 unless told otherwise) times an orthonormal DCT-II over the mel axis, keeping the first n_mfcc
/// coefficients. The DCT decorrelates neighbouring mel bands, which mattered for diagonal-covariance GMMs; a network
/// does about as well on log-mels, so MFCC is here for compact inputs and for comparison with classic systems.
/// </summary>
public sealed class Mfcc
{
    private readonly float[] _dct; // (n_mfcc, n_mels) row-major

    public MelSpectrogram Mel { get; }
    public int NMfcc { get; }

    /// <param name="nMfcc">Coefficients kept (13 in classic recognisers, 40 torchaudio's default); at most n_mels.</param>
    /// <param name="mel">The log-mel front end; null for the speech defaults with 40 mels and dB compression (top_db 80).</param>
    public Mfcc(int nMfcc = 40, MelSpectrogram? mel = null)
    {
        Mel = mel ?? new MelSpectrogram(nMels: 40, log: LogCompression.Decibels);
        if (Mel.Log == LogCompression.None) throw new ArgumentException("MFCC: the mel spectrogram must be log-compressed (Natural or Decibels), not None.");
        if (nMfcc < 1 || nMfcc > Mel.NMels) throw new ArgumentException($"MFCC: n_mfcc must be between 1 and n_mels ({Mel.NMels}), not {nMfcc}.");
        NMfcc = nMfcc;
        _dct = DctMatrix(nMfcc, Mel.NMels);
    }

    /// <summary>
    /// The orthonormal DCT-II rows, (n_out, n) row-major: D[k, m] = s_k·cos(π/n·(m + ½)·k), s_0 = √(1/n), s_k = √(2/n)
    /// (torchaudio's <c>create_dct(n_out, n, "ortho")</c> is its transpose).
    /// </summary>
    public static float[] DctMatrix(int nOut, int n)
    {
        var d = new float[nOut * n];
        for (int k = 0; k < nOut; k++)
        {
            double s = k == 0 ? Math.Sqrt(1.0 / n) : Math.Sqrt(2.0 / n);
            for (int m = 0; m < n; m++) d[k * n + m] = (float)(s * Math.Cos(Math.PI / n * (m + 0.5) * k));
        }
        return d;
    }

    public int FrameCount(int samples) => Mel.FrameCount(samples);

    /// <summary>Coefficients of a mono clip, x: (L) samples → (n_mfcc, frames).</summary>
    public Tensor Compute(ReadOnlySpan<float> samples)
    {
        int frames = FrameCount(samples.Length);
        var output = new float[NMfcc * frames];
        Compute(samples, output);
        return new Tensor(output, NMfcc, frames);
    }

    /// <summary>Coefficients into <paramref name="output"/>: (n_mfcc, frames) row-major.</summary>
    public void Compute(ReadOnlySpan<float> samples, Span<float> output)
    {
        int frames = FrameCount(samples.Length), nMels = Mel.NMels;
        if (output.Length < NMfcc * frames)
            throw new ArgumentException($"MFCC: the output holds {output.Length} floats, {NMfcc} coefficients × {frames} frames = {NMfcc * frames} needed.");
        float[] logMel = ArrayPool<float>.Shared.Rent(nMels * frames);
        try
        {
            Mel.Compute(samples, logMel.AsSpan(0, nMels * frames));
            Gemm.Multiply(false, false, NMfcc, frames, nMels, _dct, nMels, logMel, frames, output, frames);
        }
        finally { ArrayPool<float>.Shared.Return(logMel); }
    }
}
