namespace Loom.Audio;

/// <summary>
/// Triangular mel filters over the bins of a spectrum, defined as torchaudio's <c>melscale_fbanks</c> (and librosa's
/// <c>filters.mel</c> with the same scale and norm): n_mels + 2 points equally spaced on the mel scale from f_min to
/// f_max, turned back into Hz; filter m rises linearly from point m to point m + 1 and falls to point m + 2, each bin
/// weighted by where its centre frequency falls (bins at 0, sr/(2(n_freqs − 1)), …, sr/2).
/// </summary>
public static class MelFilterbank
{
    // Slaney's scale: linear below 1 kHz, 200/3 Hz per mel; logarithmic above, 27 mels per factor of 6.4.
    private const double SlaneyHzPerMel = 200.0 / 3;
    private const double SlaneyBreakHz = 1000.0;
    private const double SlaneyBreakMel = SlaneyBreakHz / SlaneyHzPerMel; // 15
    private static readonly double SlaneyLogStep = Math.Log(6.4) / 27.0;

    /// <summary>Frequency in Hz to mels on <paramref name="scale"/>.</summary>
    public static double HzToMel(double hz, MelScale scale = MelScale.Htk) => scale switch
    {
        MelScale.Htk => 2595.0 * Math.Log10(1.0 + hz / 700.0),
        MelScale.Slaney => hz < SlaneyBreakHz ? hz / SlaneyHzPerMel : SlaneyBreakMel + Math.Log(hz / SlaneyBreakHz) / SlaneyLogStep,
        _ => throw new ArgumentOutOfRangeException(nameof(scale), scale, "Unknown mel scale."),
    };

    /// <summary>Mels on <paramref name="scale"/> to Hz (the inverse of <see cref="HzToMel"/>).</summary>
    public static double MelToHz(double mel, MelScale scale = MelScale.Htk) => scale switch
    {
        MelScale.Htk => 700.0 * (Math.Pow(10.0, mel / 2595.0) - 1.0),
        MelScale.Slaney => mel < SlaneyBreakMel ? mel * SlaneyHzPerMel : SlaneyBreakHz * Math.Exp(SlaneyLogStep * (mel - SlaneyBreakMel)),
        _ => throw new ArgumentOutOfRangeException(nameof(scale), scale, "Unknown mel scale."),
    };

    /// <summary>
    /// The filters as an (n_mels, n_freqs) row-major matrix (torchaudio returns its transpose, (n_freqs, n_mels)), so
    /// that mel = F·spectrum. <paramref name="fMax"/> defaults to sr/2 (integer division, as torchaudio). Throws when
    /// a filter would be empty — more filters than the spectrum resolves (e.g. 128 mels over 201 bins): every filter
    /// of an all-zero row gives the same constant feature, a sign the parameters do not fit.
    /// </summary>
    public static float[] Create(int nFreqs, int nMels, int sampleRate, double fMin = 0, double? fMax = null,
        MelScale scale = MelScale.Htk, MelNorm norm = MelNorm.None)
    {
        double top = fMax ?? sampleRate / 2;
        if (nFreqs < 2) throw new ArgumentException($"Mel filterbank: needs at least 2 frequency bins, not {nFreqs}.");
        if (nMels < 1) throw new ArgumentException($"Mel filterbank: n_mels must be positive, not {nMels}.");
        if (sampleRate < 1) throw new ArgumentException($"Mel filterbank: sample_rate must be positive, not {sampleRate}.");
        if (!(fMin >= 0 && fMin < top && top <= sampleRate / 2.0))
            throw new ArgumentException($"Mel filterbank: needs 0 ≤ f_min < f_max ≤ sample_rate/2, got f_min {fMin}, f_max {top}, sample_rate {sampleRate}.");

        double melMin = HzToMel(fMin, scale), melMax = HzToMel(top, scale);
        var points = new double[nMels + 2]; // filter edges and centres, Hz
        for (int i = 0; i < points.Length; i++) points[i] = MelToHz(melMin + (melMax - melMin) * i / (nMels + 1), scale);

        var fb = new float[nMels * nFreqs];
        int binTop = sampleRate / 2;
        int empty = 0, firstEmpty = -1;
        for (int m = 0; m < nMels; m++)
        {
            double lo = points[m], centre = points[m + 1], hi = points[m + 2];
            double scaleBy = norm == MelNorm.Slaney ? 2.0 / (hi - lo) : 1.0;
            bool any = false;
            for (int k = 0; k < nFreqs; k++)
            {
                double f = (double)binTop * k / (nFreqs - 1);
                double w = Math.Max(0.0, Math.Min((f - lo) / (centre - lo), (hi - f) / (hi - centre)));
                fb[m * nFreqs + k] = (float)(w * scaleBy);
                any |= w > 0;
            }
            if (!any && empty++ == 0) firstEmpty = m;
        }
        if (empty > 0)
            throw new ArgumentException($"Mel filterbank: {empty} of the {nMels} filters fall between frequency bins and would be empty " +
                $"(the first is filter {firstEmpty}, {points[firstEmpty]:F1}–{points[firstEmpty + 2]:F1} Hz, with bins {binTop / (double)(nFreqs - 1):F1} Hz apart); " +
                "use fewer mels, a larger n_fft, or a higher f_min.");
        return fb;
    }
}
