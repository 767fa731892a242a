namespace Loom.Audio;

/// <summary>
/// The audio of one WAV file as the models take it: mono float samples (channels averaged), with what the file held.
/// </summary>
/// <param name="Samples">Mono samples, (frames): integer PCM scaled into [-1, 1) (16-bit: s / 32768), float as stored.</param>
/// <param name="SampleRate">Frames per second, from the file's header.</param>
/// <param name="Channels">Channels of the file before they were averaged.</param>
/// <param name="BitsPerSample">Bits of one stored sample (its container: 24-bit audio in 32-bit words says 32).</param>
/// <param name="IsFloat">Whether the file stored IEEE floats (format 3) rather than integer PCM (format 1).</param>
public sealed record WavAudio(float[] Samples, int SampleRate, int Channels, int BitsPerSample, bool IsFloat)
{
    /// <summary>Length in seconds.</summary>
    public double Seconds => (double)Samples.Length / SampleRate;
}
