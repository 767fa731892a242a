using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Loom.Kernels;

/// <summary>
/// Max and average pooling over (N·C) planes of H×W, forward and backward. Geometry reuses
/// <see cref="ConvGeometry"/> with InChannels = OutChannels = C. Planes are independent, so they
/// are split across threads. The scalar loops are the definition; the vector paths for 2×2 stride-2 windows are
/// checked against a window-by-window loop in the tests, on odd widths and with ties and NaNs.
/// </summary>
public static class Pooling
{
    /// <summary>
    /// Output cells from which the planes are split across threads: waking a worker costs tens of microseconds,
    /// more than pooling a single image's feature maps (a few thousand cells) takes.
    /// </summary>
    private const int ParallelOutputs = 1 << 16;

    /// <summary>
    /// y = max over each window; argmax records the flat in-plane index that won (for backward), or is null when
    /// no backward will follow (inference), which computes the values alone.
    /// </summary>
    public static void MaxForward(float[] x, float[] y, int[]? argmax, ConvGeometry g)
    {
        CheckLengths(g, x.Length, y.Length, argmax?.Length ?? y.Length, "MaxForward");
        int oh = g.OutHeight, ow = g.OutWidth;
        if (IsPlain2x2(g))
        {
            if (argmax is null) ForEachPlane(g, p => Max2x2Values(x, y, g, p));
            else ForEachPlane(g, p => Max2x2(x, y, argmax, g, p));
            return;
        }
        ForEachPlane(g, p =>
        {
            var xp = x.AsSpan(p * g.InPlane, g.InPlane);
            int ob = p * oh * ow;
            for (int yy = 0; yy < oh; yy++)
                for (int xx = 0; xx < ow; xx++)
                {
                    float best = float.NegativeInfinity;
                    int bestIndex = -1;
                    for (int i = 0; i < g.KernelHeight; i++)
                    {
                        int iy = yy * g.StrideH - g.PadH + i * g.DilationH;
                        if ((uint)iy >= (uint)g.InHeight) continue;
                        for (int j = 0; j < g.KernelWidth; j++)
                        {
                            int ix = xx * g.StrideW - g.PadW + j * g.DilationW;
                            if ((uint)ix >= (uint)g.InWidth) continue;
                            float v = xp[iy * g.InWidth + ix];
                            // NaN propagates, as in PyTorch.
                            if (v > best || float.IsNaN(v) || bestIndex < 0) { best = v; bestIndex = iy * g.InWidth + ix; if (float.IsNaN(v)) goto done; }
                        }
                    }
                done:
                    y[ob + yy * ow + xx] = best;
                    if (argmax is not null) argmax[ob + yy * ow + xx] = bestIndex;
                }
        });
    }

    /// <summary>
    /// The common 2×2, stride-2 window without padding. Four outputs at a time in SSE registers: on real
    /// activations "is b larger than a" is a coin toss, and the branches of a scalar loop mispredicted so often
    /// that it ran at about 60 cycles per output. A row's last group overlaps the previous one instead of
    /// falling back to scalar code; rows narrower than four outputs use the scalar loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Max2x2(float[] x, float[] y, int[] argmax, in ConvGeometry g, int p)
    {
        int w = g.InWidth, oh = g.OutHeight, ow = g.OutWidth;
        fixed (float* px = &x[p * g.InPlane], py = &y[p * oh * ow])
        fixed (int* pa = &argmax[p * oh * ow])
        {
            for (int yy = 0; yy < oh; yy++)
            {
                float* r0 = px + 2 * yy * w, r1 = r0 + w;
                float* yr = py + yy * ow;
                int* ar = pa + yy * ow;
                int base0 = 2 * yy * w;
                if ((Sse2.IsSupported || AdvSimd.Arm64.IsSupported) && ow >= 4)
                {
                    var even = Vector128.Create(0, 2, 4, 6);
                    for (int xx = 0; ; xx += 4)
                    {
                        if (xx > ow - 4) xx = ow - 4;
                        float* s0 = r0 + 2 * xx, s1 = r1 + 2 * xx;
                        // Split each row's pairs into left (even) and right (odd) cells.
                        var (a, b) = EvenOdd(Vector128.Load(s0), Vector128.Load(s0 + 4));
                        var (c, d) = EvenOdd(Vector128.Load(s1), Vector128.Load(s1 + 4));
                        var ia = Vector128.Create(base0 + 2 * xx) + even;
                        var ic = ia + Vector128.Create(w);
                        var v = a;
                        var best = ia;
                        var take = TakesVector(v, b); v = Vector128.ConditionalSelect(take, b, v); best = Vector128.ConditionalSelect(take.AsInt32(), ia + Vector128<int>.One, best);
                        take = TakesVector(v, c); v = Vector128.ConditionalSelect(take, c, v); best = Vector128.ConditionalSelect(take.AsInt32(), ic, best);
                        take = TakesVector(v, d); v = Vector128.ConditionalSelect(take, d, v); best = Vector128.ConditionalSelect(take.AsInt32(), ic + Vector128<int>.One, best);
                        v.Store(yr + xx);
                        best.Store(ar + xx);
                        if (xx == ow - 4) break;
                    }
                    continue;
                }
                int base1 = base0 + w;
                for (int xx = 0; xx < ow; xx++)
                {
                    float v = r0[2 * xx];
                    int best = base0 + 2 * xx;
                    // "> or NaN" keeps PyTorch's rule: the first maximum wins, and NaN propagates.
                    if (Takes(v, r0[2 * xx + 1])) { v = r0[2 * xx + 1]; best = base0 + 2 * xx + 1; }
                    if (Takes(v, r1[2 * xx])) { v = r1[2 * xx]; best = base1 + 2 * xx; }
                    if (Takes(v, r1[2 * xx + 1])) { v = r1[2 * xx + 1]; best = base1 + 2 * xx + 1; }
                    yr[xx] = v;
                    ar[xx] = best;
                }
            }
        }
    }

    /// <summary>
    /// <see cref="Max2x2"/>'s values without the indices (inference): the same comparisons in the same order, so the
    /// same maxima and NaNs, without the index blends or an argmax buffer to fill.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Max2x2Values(float[] x, float[] y, in ConvGeometry g, int p)
    {
        fixed (float* px = &x[p * g.InPlane], py = &y[p * g.OutHeight * g.OutWidth])
            Max2x2Plane(px, py, g.InWidth, g.OutHeight, g.OutWidth);
    }

    /// <summary>
    /// 2×2 max pooling, stride 2, no padding, of <paramref name="planes"/> planes of h×w at <paramref name="x"/> into
    /// planes of ⌊h/2⌋×⌊w/2⌋ at <paramref name="y"/>: values only, as <see cref="MaxForward"/> without argmax. For a
    /// convolution that pools each sample's output while it is in cache (<see cref="Convolution.ForwardReluMaxPool"/>).
    /// </summary>
    internal static unsafe void MaxValues2x2(float* x, int planes, int h, int w, float* y)
    {
        int oh = h / 2, ow = w / 2;
        for (int p = 0; p < planes; p++) Max2x2Plane(x + (long)p * h * w, y + (long)p * oh * ow, w, oh, ow);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Max2x2Plane(float* px, float* py, int w, int oh, int ow)
    {
        for (int yy = 0; yy < oh; yy++)
        {
            float* r0 = px + 2 * yy * w, r1 = r0 + w;
            float* yr = py + yy * ow;
            if ((Sse2.IsSupported || AdvSimd.Arm64.IsSupported) && ow >= 4)
            {
                for (int xx = 0; ; xx += 4)
                {
                    if (xx > ow - 4) xx = ow - 4;
                    var (a, b) = EvenOdd(Vector128.Load(r0 + 2 * xx), Vector128.Load(r0 + 2 * xx + 4));
                    var (c, d) = EvenOdd(Vector128.Load(r1 + 2 * xx), Vector128.Load(r1 + 2 * xx + 4));
                    var v = Vector128.ConditionalSelect(TakesVector(a, b), b, a);
                    v = Vector128.ConditionalSelect(TakesVector(v, c), c, v);
                    v = Vector128.ConditionalSelect(TakesVector(v, d), d, v);
                    v.Store(yr + xx);
                    if (xx == ow - 4) break;
                }
                continue;
            }
            for (int xx = 0; xx < ow; xx++)
            {
                float v = r0[2 * xx];
                if (Takes(v, r0[2 * xx + 1])) v = r0[2 * xx + 1];
                if (Takes(v, r1[2 * xx])) v = r1[2 * xx];
                if (Takes(v, r1[2 * xx + 1])) v = r1[2 * xx + 1];
                yr[xx] = v;
            }
        }
    }

    /// <summary>The even and the odd lanes of lo:hi (eight values), in order: one SSE shuffle, or ARM64's uzp1/uzp2.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static (Vector128<float> Even, Vector128<float> Odd) EvenOdd(Vector128<float> lo, Vector128<float> hi)
    {
        if (Sse.IsSupported) return (Sse.Shuffle(lo, hi, 0x88), Sse.Shuffle(lo, hi, 0xDD));
        if (AdvSimd.Arm64.IsSupported) return (AdvSimd.Arm64.UnzipEven(lo, hi), AdvSimd.Arm64.UnzipOdd(lo, hi));
        throw new PlatformNotSupportedException(); // unreachable: callers check for SSE2 or ARM64 first
    }

    /// <summary><see cref="Takes"/> lane by lane: all-ones where the candidate replaces the running maximum.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> TakesVector(Vector128<float> current, Vector128<float> next)
    {
        var currentIsNumber = Vector128.Equals(current, current);
        var nextIsNaN = ~Vector128.Equals(next, next);
        return currentIsNumber & (Vector128.GreaterThan(next, current) | nextIsNaN);
    }

    /// <summary>The vector paths read through pointers: buffers shorter than the geometry must fail here, not corrupt memory.</summary>
    private static void CheckLengths(in ConvGeometry g, int input, int output, int argmax, string kernel)
    {
        long planes = (long)g.Batch * g.InChannels;
        if (input < planes * g.InPlane || output < planes * g.OutPlane || argmax < planes * g.OutPlane)
            throw new ArgumentException($"Pooling.{kernel}: buffers of {input} (input), {output} (output) and {argmax} (argmax) values are too small for {g}.");
    }

    /// <summary>Whether candidate <paramref name="next"/> replaces the running maximum <paramref name="current"/>: larger, or NaN, unless the maximum is already NaN.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static bool Takes(float current, float next) => !float.IsNaN(current) & ((next > current) | float.IsNaN(next));

    /// <summary>dx[argmax] += dy; with <paramref name="accumulate"/> false, dx is overwritten (zero where no window's maximum was).</summary>
    public static void MaxBackward(float[] dy, int[] argmax, float[] dx, ConvGeometry g, bool accumulate = true)
    {
        CheckLengths(g, dx.Length, dy.Length, argmax.Length, "MaxBackward");
        int planes = g.Batch * g.InChannels, outPlane = g.OutPlane;
        if (!accumulate && IsPlain2x2(g)
            && g.InHeight == 2 * g.OutHeight && g.InWidth == 2 * g.OutWidth)
        {
            // The windows tile the plane: write each window's four cells once instead of clearing and scattering.
            ForEachPlane(g, p => MaxBackward2x2(dy, argmax, dx, g, p));
            return;
        }
        if (!accumulate) Array.Clear(dx, 0, planes * g.InPlane);
        ForEachPlane(g, p =>
        {
            int ib = p * g.InPlane, ob = p * outPlane;
            for (int i = 0; i < outPlane; i++)
            {
                int a = argmax[ob + i];
                if (a >= 0) dx[ib + a] += dy[ob + i];
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxBackward2x2(float[] dy, int[] argmax, float[] dx, in ConvGeometry g, int p)
    {
        int w = g.InWidth, oh = g.OutHeight, ow = g.OutWidth;
        var dxp = dx.AsSpan(p * g.InPlane, g.InPlane);
        var dyp = dy.AsSpan(p * oh * ow, oh * ow);
        var ap = argmax.AsSpan(p * oh * ow, oh * ow);
        for (int yy = 0; yy < oh; yy++)
        {
            int r0 = 2 * yy * w, r1 = r0 + w;
            for (int xx = 0; xx < ow; xx++)
            {
                int i0 = r0 + 2 * xx, i1 = r1 + 2 * xx, o = yy * ow + xx;
                dxp[i0] = 0f; dxp[i0 + 1] = 0f; dxp[i1] = 0f; dxp[i1 + 1] = 0f;
                dxp[ap[o]] = dyp[o];
            }
        }
    }

    /// <summary>y = mean over each window; with countIncludePad the divisor counts padded cells (PyTorch's default).</summary>
    public static void AvgForward(float[] x, float[] y, ConvGeometry g, bool countIncludePad)
    {
        // The forward's vector path reorders pairs with an AVX2 permute (ARM64: pairwise adds); the backward needs AVX
        // alone (ARM64: zips).
        if (IsPlain2x2(g) && (Avx2.IsSupported || AdvSimd.Arm64.IsSupported))
        {
            CheckLengths(g, x.Length, y.Length, y.Length, "AvgForward");
            ForEachPlane(g, p => Avg2x2(x, y, g, p));
        }
        else ForEachPlane(g, p => AvgWindows(x, y, g, p, countIncludePad, backward: false));
    }

    /// <summary>dx += each output's gradient spread evenly over its window (the adjoint of <see cref="AvgForward"/>).</summary>
    public static void AvgBackward(float[] dy, float[] dx, ConvGeometry g, bool countIncludePad)
    {
        if (IsPlain2x2(g) && (Avx.IsSupported || AdvSimd.Arm64.IsSupported))
        {
            CheckLengths(g, dx.Length, dy.Length, dy.Length, "AvgBackward");
            ForEachPlane(g, p => AvgBackward2x2(dy, dx, g, p));
        }
        else ForEachPlane(g, p => AvgWindows(dx, dy, g, p, countIncludePad, backward: true));
    }

    /// <summary>Runs <paramref name="plane"/> for every (sample, channel) plane, threaded when the output is large enough to pay for it.</summary>
    private static void ForEachPlane(in ConvGeometry g, Action<int> plane)
    {
        int planes = g.Batch * g.InChannels;
        Threading.For(planes, plane, planes * g.OutPlane > ParallelOutputs);
    }

    /// <summary>
    /// The windows of plane <paramref name="p"/>, scalar: forward, out = mean of input over each window; backward,
    /// input += out / divisor over each window (input is then dx, out dy).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AvgWindows(float[] input, float[] output, ConvGeometry g, int p, bool countIncludePad, bool backward)
    {
        var plane = input.AsSpan(p * g.InPlane, g.InPlane);
        int ob = p * g.OutPlane, ow = g.OutWidth;
        for (int yy = 0; yy < g.OutHeight; yy++)
            for (int xx = 0; xx < ow; xx++)
            {
                var (y0, y1, x0, x1, divisor) = Window(g, yy, xx, countIncludePad);
                int o = ob + yy * ow + xx;
                if (backward)
                {
                    float d = output[o] / divisor;
                    for (int iy = y0; iy < y1; iy++)
                        for (int ix = x0; ix < x1; ix++) plane[iy * g.InWidth + ix] += d;
                    continue;
                }
                float s = 0;
                for (int iy = y0; iy < y1; iy++)
                    for (int ix = x0; ix < x1; ix++) s += plane[iy * g.InWidth + ix];
                output[o] = s / divisor;
            }
    }

    /// <summary>The common 2×2, stride-2 window without padding (every window whole: an average's divisor is 4 either way).</summary>
    private static bool IsPlain2x2(in ConvGeometry g) =>
        g is { KernelHeight: 2, KernelWidth: 2, StrideH: 2, StrideW: 2, PadH: 0, PadW: 0, DilationH: 1, DilationW: 1 };

    /// <summary>
    /// 2×2 average pooling of plane p, eight outputs per step: the two input rows are added, then horizontal
    /// adds sum adjacent pairs (their 64-bit halves come out interleaved across the two 128-bit lanes, and one
    /// permute puts them in order).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Avg2x2(float[] x, float[] y, in ConvGeometry g, int p)
    {
        int w = g.InWidth, oh = g.OutHeight, ow = g.OutWidth;
        var quarter = Vector256.Create(0.25f);
        fixed (float* px = &x[p * g.InPlane], py = &y[p * oh * ow])
            for (int yy = 0; yy < oh; yy++)
            {
                float* r0 = px + 2 * yy * w, r1 = r0 + w, yr = py + yy * ow;
                int xx = 0;
                if (Avx2.IsSupported)
                    for (; xx + 8 <= ow; xx += 8)
                    {
                        var s0 = Avx.Add(Avx.LoadVector256(r0 + 2 * xx), Avx.LoadVector256(r1 + 2 * xx));
                        var s1 = Avx.Add(Avx.LoadVector256(r0 + 2 * xx + 8), Avx.LoadVector256(r1 + 2 * xx + 8));
                        var pairs = Avx2.Permute4x64(Avx.HorizontalAdd(s0, s1).AsDouble(), 0xD8).AsSingle();
                        Avx.Store(yr + xx, Avx.Multiply(pairs, quarter));
                    }
                else if (AdvSimd.Arm64.IsSupported)
                    for (; xx + 4 <= ow; xx += 4) // faddp adds adjacent pairs of s0:s1 in order, as the scalar loop does
                    {
                        var s0 = Vector128.Load(r0 + 2 * xx) + Vector128.Load(r1 + 2 * xx);
                        var s1 = Vector128.Load(r0 + 2 * xx + 4) + Vector128.Load(r1 + 2 * xx + 4);
                        (AdvSimd.Arm64.AddPairwise(s0, s1) * Vector128.Create(0.25f)).Store(yr + xx);
                    }
                for (; xx < ow; xx++)
                    yr[xx] = ((r0[2 * xx] + r1[2 * xx]) + (r0[2 * xx + 1] + r1[2 * xx + 1])) * 0.25f;
            }
    }

    /// <summary>dx += dy/4 over each 2×2 window of plane p, eight outputs (sixteen input columns) per step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AvgBackward2x2(float[] dy, float[] dx, in ConvGeometry g, int p)
    {
        int w = g.InWidth, oh = g.OutHeight, ow = g.OutWidth;
        var quarter = Vector256.Create(0.25f);
        fixed (float* pdx = &dx[p * g.InPlane], pdy = &dy[p * oh * ow])
            for (int yy = 0; yy < oh; yy++)
            {
                float* r0 = pdx + 2 * yy * w, r1 = r0 + w, dr = pdy + yy * ow;
                int xx = 0;
                if (!Avx.IsSupported && AdvSimd.Arm64.IsSupported)
                    for (; xx + 4 <= ow; xx += 4)
                    {
                        var d4 = Vector128.Load(dr + xx) * Vector128.Create(0.25f);
                        var lo = AdvSimd.Arm64.ZipLow(d4, d4); // [d0 d0 d1 d1]
                        var hi = AdvSimd.Arm64.ZipHigh(d4, d4); // [d2 d2 d3 d3]
                        float* a = r0 + 2 * xx, b = r1 + 2 * xx;
                        (Vector128.Load(a) + lo).Store(a); (Vector128.Load(a + 4) + hi).Store(a + 4);
                        (Vector128.Load(b) + lo).Store(b); (Vector128.Load(b + 4) + hi).Store(b + 4);
                    }
                if (Avx.IsSupported)
                    for (; xx + 8 <= ow; xx += 8)
                    {
                        var d = Avx.Multiply(Avx.LoadVector256(dr + xx), quarter);
                        // Each value twice, in order: [d0 d0 d1 d1 d2 d2 d3 d3] and [d4 d4 … d7 d7].
                        var lo = Avx.UnpackLow(d, d);
                        var hi = Avx.UnpackHigh(d, d);
                        var first = Avx.Permute2x128(lo, hi, 0x20);
                        var second = Avx.Permute2x128(lo, hi, 0x31);
                        float* a = r0 + 2 * xx, b = r1 + 2 * xx;
                        Avx.Store(a, Avx.Add(Avx.LoadVector256(a), first));
                        Avx.Store(a + 8, Avx.Add(Avx.LoadVector256(a + 8), second));
                        Avx.Store(b, Avx.Add(Avx.LoadVector256(b), first));
                        Avx.Store(b + 8, Avx.Add(Avx.LoadVector256(b + 8), second));
                    }
                for (; xx < ow; xx++)
                {
                    float d = dr[xx] * 0.25f;
                    r0[2 * xx] += d; r0[2 * xx + 1] += d; r1[2 * xx] += d; r1[2 * xx + 1] += d;
                }
            }
    }

    /// <summary>The in-bounds part of one average window and its divisor.</summary>
    private static (int Y0, int Y1, int X0, int X1, float Divisor) Window(in ConvGeometry g, int yy, int xx, bool countIncludePad)
    {
        int ys = yy * g.StrideH - g.PadH, xs = xx * g.StrideW - g.PadW;
        // PyTorch counts padding cells but not cells past the padded border.
        int ye = Math.Min(ys + g.KernelHeight, g.InHeight + g.PadH), xe = Math.Min(xs + g.KernelWidth, g.InWidth + g.PadW);
        int padded = (ye - ys) * (xe - xs);
        int y0 = Math.Max(ys, 0), x0 = Math.Max(xs, 0), y1 = Math.Min(ye, g.InHeight), x1 = Math.Min(xe, g.InWidth);
        float divisor = countIncludePad ? padded : (y1 - y0) * (x1 - x0);
        return (y0, y1, x0, x1, divisor);
    }

    /// <summary>Adaptive average pooling window along one axis, as PyTorch computes it.</summary>
    public static (int Start, int End) AdaptiveRange(int index, int inSize, int outSize)
        => ((int)Math.Floor((double)index * inSize / outSize), (int)Math.Ceiling((double)(index + 1) * inSize / outSize));

    /// <summary>x: (planes, H, W) → y: (planes, OH, OW), each output the mean of its adaptive window.</summary>
    public static void AdaptiveAvgForward(float[] x, float[] y, int planes, int h, int w, int oh, int ow)
    {
        Threading.For(planes, p =>
        {
            for (int i = 0; i < oh; i++)
            {
                var (y0, y1) = AdaptiveRange(i, h, oh);
                for (int j = 0; j < ow; j++)
                {
                    var (x0, x1) = AdaptiveRange(j, w, ow);
                    float s = 0;
                    for (int iy = y0; iy < y1; iy++)
                        for (int ix = x0; ix < x1; ix++) s += x[(p * h + iy) * w + ix];
                    y[(p * oh + i) * ow + j] = s / ((y1 - y0) * (x1 - x0));
                }
            }
        }, planes * h * w > 16384);
    }

    public static void AdaptiveAvgBackward(float[] dy, float[] dx, int planes, int h, int w, int oh, int ow)
    {
        Threading.For(planes, p =>
        {
            for (int i = 0; i < oh; i++)
            {
                var (y0, y1) = AdaptiveRange(i, h, oh);
                for (int j = 0; j < ow; j++)
                {
                    var (x0, x1) = AdaptiveRange(j, w, ow);
                    float d = dy[(p * oh + i) * ow + j] / ((y1 - y0) * (x1 - x0));
                    for (int iy = y0; iy < y1; iy++)
                        for (int ix = x0; ix < x1; ix++) dx[(p * h + iy) * w + ix] += d;
                }
            }
        }, planes * h * w > 16384);
    }
}
