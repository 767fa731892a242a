namespace Loom.Audio;

/// <summary>Which mel scale places the filters (see <see cref="MelFilterbank"/>).</summary>
public enum MelScale
{
    /// <summary>
    /// mel = 2595·log10(1 + f/700) (O'Shaughnessy 1987, as HTK uses it): torchaudio's default (<c>mel_scale="htk"</c>)
    /// and Loom's.
    /// </summary>
    Htk,

    /// <summary>
    /// Slaney's Auditory Toolbox scale: linear below 1 kHz (mel = 3f/200), logarithmic above with 27 steps per factor
    /// 6.4 (mel = 15 + 27·ln(f/1000)/ln 6.4): librosa's default, torchaudio's <c>mel_scale="slaney"</c>.
    /// </summary>
    Slaney,
}
