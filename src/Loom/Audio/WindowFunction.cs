namespace Loom.Audio;

/// <summary>The taper applied to each STFT frame (see <see cref="Window"/>).</summary>
public enum WindowFunction
{
    /// <summary>0.5 − 0.5·cos(2πj/N): <c>torch.hann_window</c>, torchaudio's default.</summary>
    Hann,

    /// <summary>0.54 − 0.46·cos(2πj/N): <c>torch.hamming_window</c>, Kaldi's and HTK's usual choice.</summary>
    Hamming,

    /// <summary>All ones: no taper.</summary>
    Rectangular,
}
