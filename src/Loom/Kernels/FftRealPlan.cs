using System.Runtime.CompilerServices;
namespace Loom.Kernels;

/// <summary>
/// The DFT of n real samples, X[k] = Σ_j x[j]·exp(−2πi·jk/n) for the n/2 + 1 bins k = 0 … ⌊n/2⌋ (the others are
/// their conjugates), as <c>torch.fft.rfft</c>. Get one from <see cref="Fft.RealPlan"/>; immutable and shared.
/// </summary>
/// <remarks>
/// An even length runs as one complex FFT of half the length: z[j] = x[2j] + i·x[2j+1] packs the even and odd
/// samples, Z = FFT_{n/2}(z), and X[k] = E[k] + exp(−2πi·k/n)·O[k] with E[k] = (Z[k] + conj Z[n/2−k])/2 and
/// O[k] = (Z[k] − conj Z[n/2−k])/(2i) — half the work of a complex transform of the zero-padded signal. An odd
/// length (rare in speech) runs the complex plan of length n on the signal with a zero imaginary part.
/// </remarks>
public sealed class FftRealPlan
{
    private readonly FftPlan _complex;
    private readonly float[] _wRe = [], _wIm = []; // exp(−2πi·k/n), k = 0 … n/2 (even lengths only)

    /// <summary>n, the number of real samples.</summary>
    public int Length { get; }

    /// <summary>⌊n/2⌋ + 1, the bins <see cref="Forward"/> and <see cref="Power"/> write.</summary>
    public int Bins => Length / 2 + 1;

    /// <summary>Floats of scratch <see cref="Forward"/> and <see cref="Power"/> need.</summary>
    public int ScratchLength { get; }

    /// <summary>How the transform runs, e.g. "real via complex 200 (4·2·5·5)".</summary>
    public string Description => Length % 2 == 0 && Length > 1
        ? $"real via complex {_complex.Length} ({_complex.Description})"
        : $"complex {_complex.Length} ({_complex.Description})";

    internal FftRealPlan(int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "An FFT length must be at least 1.");
        Length = n;
        if (n % 2 == 0)
        {
            int h = n / 2;
            _complex = Fft.Plan(h);
            (_wRe, _wIm) = (new float[h + 1], new float[h + 1]);
            for (int k = 0; k <= h; k++)
            {
                var (s, c) = Math.SinCos(2 * Math.PI * k / n);
                _wRe[k] = (float)c;
                _wIm[k] = (float)-s;
            }
            ScratchLength = 2 * h + _complex.ScratchLength;
        }
        else
        {
            _complex = Fft.Plan(n);
            ScratchLength = 2 * n + _complex.ScratchLength;
        }
    }

    /// <summary>(re, im)[k] = X[k] for the <see cref="Bins"/> bins; <paramref name="x"/> holds <see cref="Length"/> samples.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> re, Span<float> im, Span<float> scratch)
    {
        Check(x, re.Length, scratch.Length, "re");
        if (im.Length < Bins) throw new ArgumentException($"Real FFT of length {Length}: im holds {im.Length} floats, {Bins} bins needed.");
        Run(x, re, im, power: false, scratch);
    }

    /// <summary>power[k] = |X[k]|² for the <see cref="Bins"/> bins: the power spectrum of one frame.</summary>
    public void Power(ReadOnlySpan<float> x, Span<float> power, Span<float> scratch)
    {
        Check(x, power.Length, scratch.Length, "power");
        Run(x, power, default, power: true, scratch);
    }

    private void Check(ReadOnlySpan<float> x, int outLength, int scratchLength, string name)
    {
        if (x.Length < Length) throw new ArgumentException($"Real FFT of length {Length}: the input holds {x.Length} samples.");
        if (outLength < Bins) throw new ArgumentException($"Real FFT of length {Length}: {name} holds {outLength} floats, {Bins} bins needed.");
        if (scratchLength < ScratchLength)
            throw new ArgumentException($"Real FFT of length {Length}: scratch holds {scratchLength} floats, {ScratchLength} needed (FftRealPlan.ScratchLength).");
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Run(ReadOnlySpan<float> x, Span<float> re, Span<float> im, bool power, Span<float> scratch)
    {
        int n = Length;
        if (n % 2 == 1)
        {
            Span<float> zRe = scratch[..n], zIm = scratch.Slice(n, n);
            x[..n].CopyTo(zRe);
            zIm.Clear();
            _complex.Forward(zRe, zIm, zRe, zIm, scratch[(2 * n)..]);
            for (int k = 0; k < Bins; k++)
                if (power) re[k] = zRe[k] * zRe[k] + zIm[k] * zIm[k];
                else { re[k] = zRe[k]; im[k] = zIm[k]; }
            return;
        }

        int h = n / 2;
        Span<float> ZRe = scratch[..h], ZIm = scratch.Slice(h, h);
        for (int j = 0; j < h; j++)
        {
            ZRe[j] = x[2 * j];
            ZIm[j] = x[2 * j + 1];
        }
        _complex.Forward(ZRe, ZIm, ZRe, ZIm, scratch[(2 * h)..]);
        for (int k = 0; k <= h; k++)
        {
            int a = k == h ? 0 : k, b = k == 0 ? 0 : h - k;
            float zr = ZRe[a], zi = ZIm[a], cr = ZRe[b], ci = -ZIm[b];
            float er = 0.5f * (zr + cr), ei = 0.5f * (zi + ci);
            // O = (Z − conj Z')/(2i) = −i·D/2 with D = Z − conj Z': (Di/2, −Dr/2).
            float pr = 0.5f * (zi - ci), pi = -0.5f * (zr - cr);
            float wr = _wRe[k], wi = _wIm[k];
            float xr = er + wr * pr - wi * pi, xi = ei + wr * pi + wi * pr;
            if (power) re[k] = xr * xr + xi * xi;
            else { re[k] = xr; im[k] = xi; }
        }
    }
}
