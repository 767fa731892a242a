namespace Loom.Audio;

/// <summary>How a mel spectrogram's power is compressed before a model sees it.</summary>
public enum LogCompression
{
    /// <summary>The mel power as it is.</summary>
    None,

    /// <summary>ln(x + eps), eps = 1e-6 by default (torchaudio MFCC's <c>log_mels=True</c>): Loom's default for log-mel.</summary>
    Natural,

    /// <summary>
    /// 10·log10(max(x, 1e-10)), then floored at the utterance's maximum − top_db (torchaudio's <c>AmplitudeToDB("power",
    /// top_db)</c>, librosa's <c>power_to_db</c>): the default for MFCC, as torchaudio's.
    /// </summary>
    Decibels,
}
