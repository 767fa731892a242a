using System.Buffers;
using System.Numerics.Tensors;
using Loom.Kernels;

namespace Loom.Audio;

/// <summary>
/// The short-time Fourier transform's power (or magnitude) of a clip, as <c>torch.stft</c> frames it and torchaudio's
/// <c>Spectrogram</c> squares it: frame t covers samples t·hop − pad … t·hop − pad + n_fft − 1 (pad = n_fft/2 when
/// centred, the missing ends mirrored by reflection), the window (win_length long, centred in the frame, zeros
/// around it) multiplies the frame, and a real FFT of n_fft gives n_fft/2 + 1 bins. Immutable after construction:
/// one instance serves many threads.
/// </summary>
public sealed class Spectrogram
{
    private readonly float[] _window;    // win_length values
    private readonly int _windowOffset;  // (n_fft − win_length)/2: where the window starts in the frame
    private readonly FftRealPlan _plan;

    public SpectrogramOptions Options { get; }

    /// <summary>n_fft/2 + 1 frequency bins, 0 … sample_rate/2.</summary>
    public int Bins => _plan.Bins;

    public Spectrogram(SpectrogramOptions? options = null)
    {
        Options = options ?? new SpectrogramOptions();
        Options.Validate();
        _window = Window.Create(Options.Window, Options.WinLength);
        _windowOffset = (Options.NFft - Options.WinLength) / 2;
        _plan = Fft.RealPlan(Options.NFft);
    }

    private int Pad => Options.Center ? Options.NFft / 2 : 0;

    /// <summary>
    /// Frames a clip of <paramref name="samples"/> samples gives: 1 + (L + 2·pad − n_fft)/hop. Throws when the clip
    /// is too short to frame: at most n_fft/2 samples when centred (reflection needs more samples than it mirrors, as
    /// torch), fewer than n_fft when not.
    /// </summary>
    public int FrameCount(int samples)
    {
        int nFft = Options.NFft;
        if (Options.Center && samples <= Pad)
            throw new ArgumentException($"Spectrogram: a clip of {samples} samples is too short to centre frames of n_fft {nFft} " +
                $"(reflect padding of {Pad} needs at least {Pad + 1} samples, {1000.0 * (Pad + 1) / Options.SampleRate:F1} ms at {Options.SampleRate} Hz).");
        if (!Options.Center && samples < nFft)
            throw new ArgumentException($"Spectrogram: a clip of {samples} samples is shorter than one frame (n_fft {nFft}, center off).");
        return 1 + (samples + 2 * Pad - nFft) / Options.HopLength;
    }

    /// <summary>The spectrogram of a mono clip, x: (L) samples → (n_fft/2 + 1, frames), as torchaudio's layout.</summary>
    public Tensor Compute(ReadOnlySpan<float> samples)
    {
        int frames = FrameCount(samples.Length), bins = Bins;
        float[] rows = ArrayPool<float>.Shared.Rent(frames * bins);
        try
        {
            ComputeFrames(samples, rows.AsSpan(0, frames * bins));
            var result = new float[bins * frames];
            for (int t = 0; t < frames; t++)
                for (int k = 0; k < bins; k++) result[k * frames + t] = rows[t * bins + k];
            return new Tensor(result, bins, frames);
        }
        finally { ArrayPool<float>.Shared.Return(rows); }
    }

    /// <summary>
    /// The spectrogram frame by frame, rows: (frames, n_fft/2 + 1) — the layout the mel product reads (its transpose
    /// is free in the GEMM). One frame buffer and one FFT scratch per call; nothing per frame.
    /// </summary>
    public void ComputeFrames(ReadOnlySpan<float> samples, Span<float> rows)
    {
        CheckFinite(samples);
        int frames = FrameCount(samples.Length), bins = Bins, nFft = Options.NFft, hop = Options.HopLength;
        int win = Options.WinLength, off = _windowOffset, pad = Pad, length = samples.Length;
        if (rows.Length < frames * bins)
            throw new ArgumentException($"Spectrogram: the output holds {rows.Length} floats, {frames} frames × {bins} bins = {frames * bins} needed.");
        float[] work = ArrayPool<float>.Shared.Rent(nFft + _plan.ScratchLength);
        try
        {
            Span<float> frame = work.AsSpan(0, nFft), scratch = work.AsSpan(nFft, _plan.ScratchLength);
            frame.Clear(); // the zeros around a window shorter than n_fft stay zero for every frame
            ReadOnlySpan<float> window = _window;
            for (int t = 0; t < frames; t++)
            {
                int start = t * hop - pad + off; // the sample under window[0]
                Span<float> windowed = frame.Slice(off, win);
                if (start >= 0 && start + win <= length)
                    TensorPrimitives.Multiply(samples.Slice(start, win), window, windowed);
                else
                    for (int j = 0; j < win; j++) windowed[j] = samples[Reflect(start + j, length)] * window[j];
                Span<float> row = rows.Slice(t * bins, bins);
                _plan.Power(frame, row, scratch);
                if (Options.Power == 1) TensorPrimitives.Sqrt(row, row);
            }
        }
        finally { ArrayPool<float>.Shared.Return(work); }
    }

    // Reflection without repeating the edge sample (numpy's and torch's "reflect"): −1 → 1, L → L − 2. The frame
    // count guarantees the padding is shorter than the clip, so one reflection always lands inside.
    private static int Reflect(int i, int length) => i < 0 ? -i : i >= length ? 2 * (length - 1) - i : i;

    /// <summary>Throws when a sample is NaN or infinite: one such sample would turn every frame that covers it into NaN.</summary>
    internal static void CheckFinite(ReadOnlySpan<float> samples)
    {
        // Samples in [−1, 1] sum to a finite value unless one of them is not finite: one vector pass.
        if (float.IsFinite(TensorPrimitives.Sum(samples))) return;
        for (int i = 0; i < samples.Length; i++)
            if (!float.IsFinite(samples[i]))
                throw new ArgumentException($"Spectrogram: sample {i} of {samples.Length} is {samples[i]}; audio samples must be finite.");
        throw new ArgumentException($"Spectrogram: the samples are too large to sum ({samples.Length} samples); audio samples are expected in [−1, 1].");
    }
}
