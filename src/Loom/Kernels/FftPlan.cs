using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Loom.Kernels;

/// <summary>
/// The complex discrete Fourier transform of one length n, X[k] = Σ_j x[j]·exp(−2πi·jk/n), on split storage
/// (real parts and imaginary parts in separate spans of n floats). Get one from <see cref="Fft.Plan"/>, which
/// builds each length once and shares it between threads: a plan is immutable after construction.
/// </summary>
/// <remarks>
/// Lengths whose prime factors are all at most <see cref="MaxDirectRadix"/> (every frame size speech uses: 256,
/// 400 = 2⁴·5², 512, 1000, …) run as a Stockham autosort FFT — one pass per factor, radix 4, 2 and 3 written
/// out, other small primes by their p-point DFT — which reads and writes in natural order, so no bit-reversal
/// pass. Other lengths (a large prime such as 1009) go through Bluestein's chirp-z algorithm, which turns a
/// length-n DFT into a circular convolution of a power-of-two length m ≥ 2n − 1 computed by the Stockham path.
/// Twiddles are computed in double from exact angles (j·k mod n) and stored as float. Nothing is allocated per
/// call: the caller passes <see cref="ScratchLength"/> floats of scratch.
/// </remarks>
public sealed class FftPlan
{
    /// <summary>The largest prime factor the Stockham path handles directly; above it, Bluestein.</summary>
    public const int MaxDirectRadix = 13;

    /// <summary>One Stockham pass: radix p over a sub-transform of length <see cref="Length"/>, stride <see cref="Stride"/>.</summary>
    private sealed class Stage
    {
        public required int Radix, Length, Stride;
        /// <summary>exp(−2πi·j·k/Length) for j in [0, Length/Radix), k in [1, Radix): (Length/Radix) × (Radix − 1), row-major.</summary>
        public required float[] TwiddleRe, TwiddleIm;
        /// <summary>The radix's own DFT matrix exp(−2πi·r·k/p), p × p (used by the generic butterfly).</summary>
        public required float[] RootRe, RootIm;
    }

    private readonly Stage[] _stages = [];

    // Bluestein: x[j]·chirp[j] zero-padded to m, convolved with conj(chirp) (its transform precomputed), times chirp.
    private readonly FftPlan? _inner;
    private readonly float[] _chirpRe = [], _chirpIm = [];
    private readonly float[] _kernelRe = [], _kernelIm = [];

    /// <summary>n, the transform's length.</summary>
    public int Length { get; }

    /// <summary>Floats of scratch <see cref="Forward"/> needs.</summary>
    public int ScratchLength { get; }

    /// <summary>Whether this length runs through Bluestein's algorithm (it has a prime factor above <see cref="MaxDirectRadix"/>).</summary>
    public bool UsesBluestein => _inner is not null;

    /// <summary>The passes in order, e.g. "4·4·2·5" for 160, or "bluestein(2048: 4·4·4·4·4·2)" for 1009.</summary>
    public string Description => _inner is not null
        ? $"bluestein({_inner.Length}: {_inner.Description})"
        : _stages.Length == 0 ? "identity" : string.Join("·", _stages.Select(s => s.Radix));

    internal FftPlan(int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "An FFT length must be at least 1.");
        Length = n;
        var radices = Factor(n);
        if (radices.Count > 0 && radices.Max() > MaxDirectRadix)
        {
            int m = 1;
            while (m < 2 * n - 1) m <<= 1;
            _inner = Fft.Plan(m);
            (_chirpRe, _chirpIm) = (new float[n], new float[n]);
            for (int j = 0; j < n; j++)
            {
                // exp(−πi·j²/n): j² is reduced mod 2n in integers so the angle stays exact for large j.
                long jj = (long)j * j % (2L * n);
                var (s, c) = Math.SinCos(Math.PI * jj / n);
                _chirpRe[j] = (float)c;
                _chirpIm[j] = (float)-s;
            }
            var bRe = new float[m];
            var bIm = new float[m];
            for (int j = 0; j < n; j++)
            {
                bRe[j] = _chirpRe[j];
                bIm[j] = -_chirpIm[j];
                if (j > 0) { bRe[m - j] = bRe[j]; bIm[m - j] = bIm[j]; }
            }
            (_kernelRe, _kernelIm) = (new float[m], new float[m]);
            _inner.Forward(bRe, bIm, _kernelRe, _kernelIm, new float[_inner.ScratchLength]);
            ScratchLength = 4 * m + _inner.ScratchLength;
            return;
        }

        _stages = new Stage[radices.Count];
        int length = n, stride = 1;
        for (int i = 0; i < radices.Count; i++)
        {
            int p = radices[i], m = length / p;
            var twRe = new float[m * (p - 1)];
            var twIm = new float[m * (p - 1)];
            for (int j = 0; j < m; j++)
                for (int k = 1; k < p; k++)
                {
                    var (s, c) = Math.SinCos(2 * Math.PI * ((long)j * k % length) / length);
                    twRe[j * (p - 1) + k - 1] = (float)c;
                    twIm[j * (p - 1) + k - 1] = (float)-s;
                }
            var rootRe = new float[p * p];
            var rootIm = new float[p * p];
            for (int r = 0; r < p; r++)
                for (int k = 0; k < p; k++)
                {
                    var (s, c) = Math.SinCos(2 * Math.PI * (r * k % p) / p);
                    rootRe[r * p + k] = (float)c;
                    rootIm[r * p + k] = (float)-s;
                }
            _stages[i] = new Stage { Radix = p, Length = length, Stride = stride, TwiddleRe = twRe, TwiddleIm = twIm, RootRe = rootRe, RootIm = rootIm };
            length = m;
            stride *= p;
        }
        ScratchLength = 2 * n;
    }

    /// <summary>
    /// The radices, in the order the passes run: fours first (the cheapest butterfly per element), then a two,
    /// then odd primes ascending. The large odd radices come last, where the stride — the run of independent
    /// butterflies sharing one twiddle — is longest, so their inner loops are long.
    /// </summary>
    private static List<int> Factor(int n)
    {
        var radices = new List<int>();
        while (n % 4 == 0) { radices.Add(4); n /= 4; }
        if (n % 2 == 0) { radices.Add(2); n /= 2; }
        for (int p = 3; (long)p * p <= n; p += 2)
            while (n % p == 0) { radices.Add(p); n /= p; }
        if (n > 1) radices.Add(n);
        return radices;
    }

    /// <summary>
    /// (outRe, outIm) = DFT(inRe, inIm), each of <see cref="Length"/> floats; <paramref name="scratch"/> holds at
    /// least <see cref="ScratchLength"/>. Input and output may be the same spans.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Forward(ReadOnlySpan<float> inRe, ReadOnlySpan<float> inIm, Span<float> outRe, Span<float> outIm, Span<float> scratch)
    {
        int n = Length;
        if (inRe.Length < n || inIm.Length < n || outRe.Length < n || outIm.Length < n)
            throw new ArgumentException($"FFT of length {n}: the spans hold {inRe.Length}, {inIm.Length} (input) and {outRe.Length}, {outIm.Length} (output) floats; each needs {n}.");
        if (scratch.Length < ScratchLength)
            throw new ArgumentException($"FFT of length {n}: scratch holds {scratch.Length} floats, {ScratchLength} needed (FftPlan.ScratchLength).");
        if (_inner is not null) { Bluestein(inRe, inIm, outRe, outIm, scratch); return; }

        // Ping-pong between the output and the scratch, starting in whichever makes the last pass land in the output.
        // Copying first is right even when the input is the output: the input is read in full before any pass writes.
        Span<float> aRe = outRe[..n], aIm = outIm[..n], bRe = scratch[..n], bIm = scratch.Slice(n, n);
        bool inScratch = _stages.Length % 2 == 1;
        inRe[..n].CopyTo(inScratch ? bRe : aRe);
        inIm[..n].CopyTo(inScratch ? bIm : aIm);
        foreach (var stage in _stages)
        {
            if (inScratch) Pass(stage, bRe, bIm, aRe, aIm);
            else Pass(stage, aRe, aIm, bRe, bIm);
            inScratch = !inScratch;
        }
    }

    /// <summary>
    /// One Stockham pass of radix p over sub-transforms of length L = p·m at stride s: for each twiddle index j and
    /// each of the s interleaved sequences q, the p inputs x[q + s·(j + r·m)] give the p outputs
    /// y[q + s·(p·j + k)] = (Σ_r x_r·ω_p^{rk})·ω_L^{jk}.
    /// </summary>
    private static void Pass(Stage st, ReadOnlySpan<float> xRe, ReadOnlySpan<float> xIm, Span<float> yRe, Span<float> yIm)
    {
        int p = st.Radix, s = st.Stride, m = st.Length / p;
        switch (p)
        {
            case 4: Radix4(m, s, st.TwiddleRe, st.TwiddleIm, xRe, xIm, yRe, yIm); break;
            case 2: Radix2(m, s, st.TwiddleRe, st.TwiddleIm, xRe, xIm, yRe, yIm); break;
            case 3: Radix3(m, s, st.TwiddleRe, st.TwiddleIm, xRe, xIm, yRe, yIm); break;
            default: RadixGeneric(st, m, s, xRe, xIm, yRe, yIm); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Radix2(int m, int s, float[] twRe, float[] twIm, ReadOnlySpan<float> xRe, ReadOnlySpan<float> xIm, Span<float> yRe, Span<float> yIm)
    {
        for (int j = 0; j < m; j++)
        {
            float wr = twRe[j], wi = twIm[j];
            int a = s * j, b = s * (j + m), o0 = s * 2 * j, o1 = o0 + s;
            int q = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var vwr = Vector256.Create(wr);
                var vwi = Vector256.Create(wi);
                for (; q + 8 <= s; q += 8)
                {
                    var ar = Load(xRe, a + q); var ai = Load(xIm, a + q);
                    var br = Load(xRe, b + q); var bi = Load(xIm, b + q);
                    Store(yRe, o0 + q, ar + br); Store(yIm, o0 + q, ai + bi);
                    var dr = ar - br; var di = ai - bi;
                    Store(yRe, o1 + q, dr * vwr - di * vwi); Store(yIm, o1 + q, dr * vwi + di * vwr);
                }
            }
            for (; q < s; q++)
            {
                float ar = xRe[a + q], ai = xIm[a + q], br = xRe[b + q], bi = xIm[b + q];
                yRe[o0 + q] = ar + br; yIm[o0 + q] = ai + bi;
                float dr = ar - br, di = ai - bi;
                yRe[o1 + q] = dr * wr - di * wi; yIm[o1 + q] = dr * wi + di * wr;
            }
        }
    }

    // ω₄ = −i, so the 4-point DFT needs no multiplications: A1 = (a0 − a2) − i(a1 − a3), A3 = (a0 − a2) + i(a1 − a3).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Radix4(int m, int s, float[] twRe, float[] twIm, ReadOnlySpan<float> xRe, ReadOnlySpan<float> xIm, Span<float> yRe, Span<float> yIm)
    {
        for (int j = 0; j < m; j++)
        {
            float w1r = twRe[3 * j], w1i = twIm[3 * j], w2r = twRe[3 * j + 1], w2i = twIm[3 * j + 1], w3r = twRe[3 * j + 2], w3i = twIm[3 * j + 2];
            int i0 = s * j, i1 = s * (j + m), i2 = s * (j + 2 * m), i3 = s * (j + 3 * m);
            int o0 = s * 4 * j, o1 = o0 + s, o2 = o1 + s, o3 = o2 + s;
            int q = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> v1r = Vector256.Create(w1r), v1i = Vector256.Create(w1i), v2r = Vector256.Create(w2r),
                    v2i = Vector256.Create(w2i), v3r = Vector256.Create(w3r), v3i = Vector256.Create(w3i);
                for (; q + 8 <= s; q += 8)
                {
                    var a0r = Load(xRe, i0 + q); var a0i = Load(xIm, i0 + q);
                    var a1r = Load(xRe, i1 + q); var a1i = Load(xIm, i1 + q);
                    var a2r = Load(xRe, i2 + q); var a2i = Load(xIm, i2 + q);
                    var a3r = Load(xRe, i3 + q); var a3i = Load(xIm, i3 + q);
                    Vector256<float> sr = a0r + a2r, si = a0i + a2i, dr = a0r - a2r, di = a0i - a2i;
                    Vector256<float> tr = a1r + a3r, ti = a1i + a3i, ur = a1r - a3r, ui = a1i - a3i;
                    Store(yRe, o0 + q, sr + tr); Store(yIm, o0 + q, si + ti);
                    Vector256<float> b1r = dr + ui, b1i = di - ur, b2r = sr - tr, b2i = si - ti, b3r = dr - ui, b3i = di + ur;
                    Store(yRe, o1 + q, b1r * v1r - b1i * v1i); Store(yIm, o1 + q, b1r * v1i + b1i * v1r);
                    Store(yRe, o2 + q, b2r * v2r - b2i * v2i); Store(yIm, o2 + q, b2r * v2i + b2i * v2r);
                    Store(yRe, o3 + q, b3r * v3r - b3i * v3i); Store(yIm, o3 + q, b3r * v3i + b3i * v3r);
                }
            }
            for (; q < s; q++)
            {
                float a0r = xRe[i0 + q], a0i = xIm[i0 + q], a1r = xRe[i1 + q], a1i = xIm[i1 + q];
                float a2r = xRe[i2 + q], a2i = xIm[i2 + q], a3r = xRe[i3 + q], a3i = xIm[i3 + q];
                float sr = a0r + a2r, si = a0i + a2i, dr = a0r - a2r, di = a0i - a2i;
                float tr = a1r + a3r, ti = a1i + a3i, ur = a1r - a3r, ui = a1i - a3i;
                yRe[o0 + q] = sr + tr; yIm[o0 + q] = si + ti;
                float b1r = dr + ui, b1i = di - ur, b2r = sr - tr, b2i = si - ti, b3r = dr - ui, b3i = di + ur;
                yRe[o1 + q] = b1r * w1r - b1i * w1i; yIm[o1 + q] = b1r * w1i + b1i * w1r;
                yRe[o2 + q] = b2r * w2r - b2i * w2i; yIm[o2 + q] = b2r * w2i + b2i * w2r;
                yRe[o3 + q] = b3r * w3r - b3i * w3i; yIm[o3 + q] = b3r * w3i + b3i * w3r;
            }
        }
    }

    // ω₃ = −½ − i·√3/2: A0 = a0 + (a1 + a2), A1,2 = a0 − ½(a1 + a2) ∓ i·(√3/2)(a1 − a2).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Radix3(int m, int s, float[] twRe, float[] twIm, ReadOnlySpan<float> xRe, ReadOnlySpan<float> xIm, Span<float> yRe, Span<float> yIm)
    {
        const float Sin60 = 0.8660254037844386f;
        for (int j = 0; j < m; j++)
        {
            float w1r = twRe[2 * j], w1i = twIm[2 * j], w2r = twRe[2 * j + 1], w2i = twIm[2 * j + 1];
            int i0 = s * j, i1 = s * (j + m), i2 = s * (j + 2 * m);
            int o0 = s * 3 * j, o1 = o0 + s, o2 = o1 + s;
            for (int q = 0; q < s; q++)
            {
                float a0r = xRe[i0 + q], a0i = xIm[i0 + q], a1r = xRe[i1 + q], a1i = xIm[i1 + q], a2r = xRe[i2 + q], a2i = xIm[i2 + q];
                float tr = a1r + a2r, ti = a1i + a2i;
                float cr = a0r - 0.5f * tr, ci = a0i - 0.5f * ti;
                float dr = Sin60 * (a1r - a2r), di = Sin60 * (a1i - a2i);
                yRe[o0 + q] = a0r + tr; yIm[o0 + q] = a0i + ti;
                // A1 = c − i·d, A2 = c + i·d; −i·(dr + i·di) = di − i·dr.
                float b1r = cr + di, b1i = ci - dr, b2r = cr - di, b2i = ci + dr;
                yRe[o1 + q] = b1r * w1r - b1i * w1i; yIm[o1 + q] = b1r * w1i + b1i * w1r;
                yRe[o2 + q] = b2r * w2r - b2i * w2i; yIm[o2 + q] = b2r * w2i + b2i * w2r;
            }
        }
    }

    /// <summary>Any radix p ≤ <see cref="MaxDirectRadix"/> by its p-point DFT matrix: p² complex products per butterfly.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RadixGeneric(Stage st, int m, int s, ReadOnlySpan<float> xRe, ReadOnlySpan<float> xIm, Span<float> yRe, Span<float> yIm)
    {
        int p = st.Radix;
        float[] rootRe = st.RootRe, rootIm = st.RootIm, twRe = st.TwiddleRe, twIm = st.TwiddleIm;
        for (int j = 0; j < m; j++)
            for (int k = 0; k < p; k++)
            {
                float wr = k == 0 ? 1f : twRe[j * (p - 1) + k - 1], wi = k == 0 ? 0f : twIm[j * (p - 1) + k - 1];
                int o = s * (p * j + k);
                for (int q = 0; q < s; q++)
                {
                    float accR = 0f, accI = 0f;
                    for (int r = 0; r < p; r++)
                    {
                        int i = q + s * (j + r * m);
                        float cr = rootRe[r * p + k], ci = rootIm[r * p + k];
                        accR += xRe[i] * cr - xIm[i] * ci;
                        accI += xRe[i] * ci + xIm[i] * cr;
                    }
                    yRe[o + q] = accR * wr - accI * wi;
                    yIm[o + q] = accR * wi + accI * wr;
                }
            }
    }

    /// <summary>
    /// X[k] = c[k]·Σ_j (x[j]·c[j])·conj(c[k − j]) with c[j] = exp(−πi·j²/n): the sum is a circular convolution of
    /// length m, done as inverse(FFT(a)·FFT(b)), the inverse through conjugation (IFFT(z) = conj(FFT(conj z))/m).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Bluestein(ReadOnlySpan<float> inRe, ReadOnlySpan<float> inIm, Span<float> outRe, Span<float> outIm, Span<float> scratch)
    {
        int n = Length, m = _inner!.Length;
        Span<float> aRe = scratch[..m], aIm = scratch.Slice(m, m), fRe = scratch.Slice(2 * m, m), fIm = scratch.Slice(3 * m, m);
        Span<float> innerScratch = scratch[(4 * m)..];
        for (int j = 0; j < n; j++)
        {
            float xr = inRe[j], xi = inIm[j], cr = _chirpRe[j], ci = _chirpIm[j];
            aRe[j] = xr * cr - xi * ci;
            aIm[j] = xr * ci + xi * cr;
        }
        aRe[n..].Clear();
        aIm[n..].Clear();
        _inner.Forward(aRe, aIm, fRe, fIm, innerScratch);
        for (int k = 0; k < m; k++)
        {
            // conj(F·K), ready for the inverse by conjugation.
            float fr = fRe[k], fi = fIm[k], kr = _kernelRe[k], ki = _kernelIm[k];
            aRe[k] = fr * kr - fi * ki;
            aIm[k] = -(fr * ki + fi * kr);
        }
        _inner.Forward(aRe, aIm, fRe, fIm, innerScratch);
        float scale = 1f / m;
        for (int k = 0; k < n; k++)
        {
            float zr = fRe[k] * scale, zi = -fIm[k] * scale, cr = _chirpRe[k], ci = _chirpIm[k];
            outRe[k] = zr * cr - zi * ci;
            outIm[k] = zr * ci + zi * cr;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load(ReadOnlySpan<float> x, int at) => Vector256.Create(x.Slice(at, 8));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Span<float> y, int at, Vector256<float> v) => v.CopyTo(y.Slice(at, 8));
}
