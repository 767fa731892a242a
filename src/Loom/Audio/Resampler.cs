using System.Numerics.Tensors;

namespace Loom.Audio;

/// <summary>
/// Band-limited sample-rate conversion by a rational ratio (out/in reduced to L/M: 44100→16000 is 160/441,
/// 8000→16000 is 2/1) with a Kaiser-windowed sinc low-pass, evaluated polyphase: output k sits at input time
/// t = k·M/L, and its taps are row (k·M mod L) of a table of L phases, dotted with the input around ⌊t⌋.
/// </summary>
/// <remarks>
/// The filter passes up to <see cref="Passband"/> of the lower rate's Nyquist frequency and reaches its stopband at
/// that Nyquist frequency itself, so nothing above the new Nyquist aliases down by more than the stopband's
/// <see cref="AttenuationDb"/> (measured in ResamplerTests). The Kaiser window's β and the filter length follow
/// Kaiser's formulas for that attenuation and transition width. Each phase's taps are scaled to sum to one, so a
/// constant signal stays exactly constant (no ripple that repeats every L samples). Samples outside the input count as
/// zero. The table is built once per ratio; an instance is immutable and may be shared by threads.
/// </remarks>
public sealed class Resampler
{
    /// <summary>Tables of more phases than this (ratios such as 44101→16000) are not stored: taps are computed per output sample.</summary>
    private const long MaxTableFloats = 1 << 22;

    private readonly float[]? _table;     // (Up, Taps): phase p's taps for input samples ⌊t⌋−HalfTaps+1 … ⌊t⌋+HalfTaps

    /// <summary>Input rate in Hz.</summary>
    public int InputRate { get; }

    /// <summary>Output rate in Hz.</summary>
    public int OutputRate { get; }

    /// <summary>L of the reduced ratio L/M = OutputRate/InputRate.</summary>
    public int Up { get; }

    /// <summary>M of the reduced ratio.</summary>
    public int Down { get; }

    /// <summary>Stopband attenuation the filter is designed for, in dB.</summary>
    public double AttenuationDb { get; }

    /// <summary>Fraction of the lower rate's Nyquist frequency passed unattenuated (the transition band ends at Nyquist).</summary>
    public double Passband { get; }

    /// <summary>Cut-off (the middle of the transition band) in cycles per input sample.</summary>
    public double Cutoff { get; }

    /// <summary>Half the filter's length in input samples: taps reach τ in (−HalfWidth, HalfWidth).</summary>
    public double HalfWidth { get; }

    /// <summary>Kaiser window parameter β.</summary>
    public double Beta { get; }

    /// <summary>Taps on each side of ⌊t⌋; each output sample dots 2·HalfTaps input samples.</summary>
    public int HalfTaps { get; }

    /// <summary>
    /// A resampler from <paramref name="inputRate"/> to <paramref name="outputRate"/> Hz: <paramref name="attenuationDb"/>
    /// in the stopband, flat to <paramref name="passband"/> of the lower Nyquist frequency.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A rate is not positive, the attenuation is not in [20, 200] dB, or the passband not in (0, 1).</exception>
    public Resampler(int inputRate, int outputRate, double attenuationDb = 80, double passband = 0.9)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputRate);
        if (attenuationDb is < 20 or > 200) throw new ArgumentOutOfRangeException(nameof(attenuationDb), attenuationDb, "Attenuation is 20 to 200 dB.");
        if (passband is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(passband), passband, "The passband is a fraction of Nyquist in (0, 1).");
        InputRate = inputRate;
        OutputRate = outputRate;
        int g = Gcd(inputRate, outputRate);
        Up = outputRate / g;
        Down = inputRate / g;
        AttenuationDb = attenuationDb;
        Passband = passband;

        // In cycles per input sample: the lower Nyquist frequency, the band edges, and Kaiser's length for them.
        double nyquist = 0.5 * Math.Min(1.0, (double)outputRate / inputRate);
        double transition = (1 - passband) * nyquist;
        Cutoff = nyquist - transition / 2;
        Beta = attenuationDb > 50 ? 0.1102 * (attenuationDb - 8.7)
            : attenuationDb >= 21 ? 0.5842 * Math.Pow(attenuationDb - 21, 0.4) + 0.07886 * (attenuationDb - 21) : 0;
        double length = (attenuationDb - 7.95) / (2.285 * 2 * Math.PI * transition);     // taps, in input samples
        HalfWidth = Math.Max(1, length / 2);
        HalfTaps = (int)Math.Ceiling(HalfWidth);

        if (Up == Down) return;
        if ((long)Up * 2 * HalfTaps <= MaxTableFloats)
        {
            _table = new float[Up * 2 * HalfTaps];
            for (int p = 0; p < Up; p++) FillTaps(p, _table.AsSpan(p * 2 * HalfTaps, 2 * HalfTaps));
        }
    }

    /// <summary>Output samples for <paramref name="inputLength"/> input samples: ⌈inputLength · L / M⌉.</summary>
    public int OutputLength(int inputLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inputLength);
        return checked((int)(((long)inputLength * Up + Down - 1) / Down));
    }

    /// <summary>Resamples <paramref name="input"/> (samples at <see cref="InputRate"/>) to a new array at <see cref="OutputRate"/>.</summary>
    public float[] Process(ReadOnlySpan<float> input)
    {
        var output = new float[OutputLength(input.Length)];
        Process(input, output);
        return output;
    }

    /// <summary>Resamples <paramref name="input"/> into <paramref name="output"/>, whose length must be <see cref="OutputLength"/>.</summary>
    public void Process(ReadOnlySpan<float> input, Span<float> output)
    {
        if (output.Length != OutputLength(input.Length))
            throw new ArgumentException($"output holds {output.Length} samples; {input.Length} input samples resample to {OutputLength(input.Length)}.", nameof(output));
        if (Up == Down) { input.CopyTo(output); return; }
        int taps = 2 * HalfTaps;
        // Zero-padded copy so every output sample dots one contiguous run: no edge cases in the loop.
        var padded = new float[input.Length + 2 * taps];
        input.CopyTo(padded.AsSpan(taps));
        float[]? scratch = _table is null ? new float[taps] : null;
        for (int k = 0; k < output.Length; k++)
        {
            long position = (long)k * Down;
            int n0 = (int)(position / Up), phase = (int)(position % Up);
            ReadOnlySpan<float> row = _table is null ? FillTaps(phase, scratch!) : _table.AsSpan(phase * taps, taps);
            // Taps j = 0..taps−1 meet input n0 − HalfTaps + 1 + j, which sits at taps + that in the padded copy.
            output[k] = TensorPrimitives.Dot(row, padded.AsSpan(n0 - HalfTaps + 1 + taps, taps));
        }
    }

    /// <summary>Resamples <paramref name="input"/> from <paramref name="inputRate"/> to <paramref name="outputRate"/> Hz with the default filter.</summary>
    public static float[] Resample(ReadOnlySpan<float> input, int inputRate, int outputRate) =>
        inputRate == outputRate ? input.ToArray() : new Resampler(inputRate, outputRate).Process(input);

    /// <summary>
    /// The kernel at offset <paramref name="tau"/> input samples from the output time: the ideal low-pass
    /// 2fc·sinc(2fc·τ) under a Kaiser window of half-width <see cref="HalfWidth"/> (zero outside it).
    /// </summary>
    public double Kernel(double tau)
    {
        double x = tau / HalfWidth;
        if (x <= -1 || x >= 1) return 0;
        double arg = 2 * Cutoff * tau;
        double sinc = Math.Abs(arg) < 1e-12 ? 1 : Math.Sin(Math.PI * arg) / (Math.PI * arg);
        return 2 * Cutoff * sinc * BesselI0(Beta * Math.Sqrt(1 - x * x)) / BesselI0(Beta);
    }

    // Phase p's taps (fraction p/L past ⌊t⌋), scaled to sum to one.
    private Span<float> FillTaps(int phase, Span<float> taps)
    {
        double frac = (double)phase / Up, sum = 0;
        Span<double> h = taps.Length <= 1024 ? stackalloc double[taps.Length] : new double[taps.Length];
        for (int j = 0; j < taps.Length; j++) sum += h[j] = Kernel(frac + HalfTaps - 1 - j);
        for (int j = 0; j < taps.Length; j++) taps[j] = (float)(h[j] / sum);
        return taps;
    }

    /// <summary>The modified Bessel function I0 by its power series (converges for every argument the window uses).</summary>
    internal static double BesselI0(double x)
    {
        double sum = 1, term = 1, q = x * x / 4;
        for (int k = 1; k < 500 && term > sum * 1e-17; k++)
        {
            term *= q / ((double)k * k);
            sum += term;
        }
        return sum;
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }
}
