namespace Loom.Audio;

/// <summary>
/// How samples are cut into frames and transformed, with torch.stft's and torchaudio's names in spirit. The defaults
/// are a speech front end's: 16 kHz, a 25 ms Hann window (400 samples) every 10 ms (160), n_fft 400 (201 bins, 40 Hz
/// apart), frames centred on their time by reflect padding, power spectrum — Whisper's framing, and Kaldi's 25/10 ms.
/// </summary>
public sealed record SpectrogramOptions
{
    /// <summary>Samples per second of the audio the features are made from (the mel scale needs it).</summary>
    public int SampleRate { get; init; } = 16000;

    /// <summary>Transform length: n_fft/2 + 1 frequency bins. Any length works; powers of two are fastest.</summary>
    public int NFft { get; init; } = 400;

    /// <summary>Window length (≤ n_fft); a shorter window is centred in the n_fft frame and zero-padded, as torch.stft.</summary>
    public int WinLength { get; init; } = 400;

    /// <summary>Samples between the starts of successive frames.</summary>
    public int HopLength { get; init; } = 160;

    public WindowFunction Window { get; init; } = WindowFunction.Hann;

    /// <summary>
    /// Pad n_fft/2 samples at both ends by reflection (torch.stft's <c>center=True, pad_mode="reflect"</c>), so frame t
    /// is centred on sample t·hop and a clip of L samples gives 1 + L/hop frames; false: 1 + (L − n_fft)/hop frames.
    /// </summary>
    public bool Center { get; init; } = true;

    /// <summary>2: power spectrum |X|² (torchaudio's default); 1: magnitude |X|.</summary>
    public int Power { get; init; } = 2;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        static void Fail(string message) => throw new ArgumentException("Spectrogram options: " + message);
        if (SampleRate < 1) Fail($"sample_rate must be positive, not {SampleRate}.");
        if (NFft < 1 || NFft > Kernels.Fft.MaxLength) Fail($"n_fft must be between 1 and {Kernels.Fft.MaxLength}, not {NFft}.");
        if (WinLength < 1 || WinLength > NFft) Fail($"win_length must be between 1 and n_fft ({NFft}), not {WinLength}.");
        if (HopLength < 1) Fail($"hop_length must be positive, not {HopLength}.");
        if (Power is not (1 or 2)) Fail($"power must be 1 (magnitude) or 2 (power), not {Power}.");
        if (!Enum.IsDefined(Window)) Fail($"unknown window {(int)Window}.");
    }
}
