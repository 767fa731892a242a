namespace Loom.Audio;

/// <summary>How each mel filter is scaled (see <see cref="MelFilterbank"/>).</summary>
public enum MelNorm
{
    /// <summary>Triangles of peak 1: torchaudio's default (<c>norm=None</c>) and Loom's.</summary>
    None,

    /// <summary>
    /// Each triangle divided by half its width in Hz (2/(f_{m+2} − f_m)), so every filter has the same area and wide
    /// high filters do not outweigh narrow low ones: librosa's default, torchaudio's <c>norm="slaney"</c>.
    /// </summary>
    Slaney,
}
