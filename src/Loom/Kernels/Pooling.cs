namespace Loom.Kernels;

/// <summary>
/// Max and average pooling over (N·C) planes of H×W, forward and backward. Geometry reuses
/// <see cref="ConvGeometry"/> with InChannels = OutChannels = C. Planes are independent, so they
/// are split across threads. The loops are already the definition, so they are their own twin.
/// </summary>
public static class Pooling
{
    /// <summary>y = max over each window; argmax records the flat in-plane index that won (for backward).</summary>
    public static void MaxForward(float[] x, float[] y, int[] argmax, ConvGeometry g)
    {
        int planes = g.Batch * g.InChannels, oh = g.OutHeight, ow = g.OutWidth;
        if (g is { KernelHeight: 2, KernelWidth: 2, StrideH: 2, StrideW: 2, PadH: 0, PadW: 0, DilationH: 1, DilationW: 1 })
        {
            Threading.For(planes, p => Max2x2(x, y, argmax, g, p), planes * g.OutPlane > 4096);
            return;
        }
        Threading.For(planes, p =>
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
                    argmax[ob + yy * ow + xx] = bestIndex;
                }
        }, planes * g.OutPlane > 4096);
    }

    /// <summary>The common 2×2, stride-2 window without padding: four loads, no bounds checks per tap.</summary>
    private static void Max2x2(float[] x, float[] y, int[] argmax, in ConvGeometry g, int p)
    {
        int w = g.InWidth, oh = g.OutHeight, ow = g.OutWidth;
        var xp = x.AsSpan(p * g.InPlane, g.InPlane);
        var yp = y.AsSpan(p * oh * ow, oh * ow);
        var ap = argmax.AsSpan(p * oh * ow, oh * ow);
        for (int yy = 0; yy < oh; yy++)
        {
            int r0 = 2 * yy * w, r1 = r0 + w;
            for (int xx = 0; xx < ow; xx++)
            {
                int i0 = r0 + 2 * xx, i1 = r1 + 2 * xx;
                float a = xp[i0], b = xp[i0 + 1], c = xp[i1], d = xp[i1 + 1];
                int best = i0;
                float v = a;
                // "> or NaN" keeps PyTorch's rule: the first maximum wins, and NaN propagates.
                if (!float.IsNaN(v) && (b > v || float.IsNaN(b))) { v = b; best = i0 + 1; }
                if (!float.IsNaN(v) && (c > v || float.IsNaN(c))) { v = c; best = i1; }
                if (!float.IsNaN(v) && (d > v || float.IsNaN(d))) { v = d; best = i1 + 1; }
                yp[yy * ow + xx] = v;
                ap[yy * ow + xx] = best;
            }
        }
    }

    /// <summary>dx[argmax] += dy; with <paramref name="accumulate"/> false, dx is overwritten (zero where no window's maximum was).</summary>
    public static void MaxBackward(float[] dy, int[] argmax, float[] dx, ConvGeometry g, bool accumulate = true)
    {
        int planes = g.Batch * g.InChannels, outPlane = g.OutPlane;
        if (!accumulate && g is { KernelHeight: 2, KernelWidth: 2, StrideH: 2, StrideW: 2, PadH: 0, PadW: 0, DilationH: 1, DilationW: 1 }
            && g.InHeight == 2 * g.OutHeight && g.InWidth == 2 * g.OutWidth)
        {
            // The windows tile the plane: write each window's four cells once instead of clearing and scattering.
            Threading.For(planes, p => MaxBackward2x2(dy, argmax, dx, g, p), planes * outPlane > 4096);
            return;
        }
        if (!accumulate) Array.Clear(dx, 0, planes * g.InPlane);
        Threading.For(planes, p =>
        {
            int ib = p * g.InPlane, ob = p * outPlane;
            for (int i = 0; i < outPlane; i++)
            {
                int a = argmax[ob + i];
                if (a >= 0) dx[ib + a] += dy[ob + i];
            }
        }, planes * outPlane > 4096);
    }

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
        int planes = g.Batch * g.InChannels, oh = g.OutHeight, ow = g.OutWidth;
        Threading.For(planes, p =>
        {
            var xp = x.AsSpan(p * g.InPlane, g.InPlane);
            int ob = p * oh * ow;
            for (int yy = 0; yy < oh; yy++)
                for (int xx = 0; xx < ow; xx++)
                {
                    var (y0, y1, x0, x1, divisor) = Window(g, yy, xx, countIncludePad);
                    float s = 0;
                    for (int iy = y0; iy < y1; iy++)
                        for (int ix = x0; ix < x1; ix++) s += xp[iy * g.InWidth + ix];
                    y[ob + yy * ow + xx] = s / divisor;
                }
        }, planes * g.OutPlane > 4096);
    }

    public static void AvgBackward(float[] dy, float[] dx, ConvGeometry g, bool countIncludePad)
    {
        int planes = g.Batch * g.InChannels, oh = g.OutHeight, ow = g.OutWidth;
        Threading.For(planes, p =>
        {
            var dxp = dx.AsSpan(p * g.InPlane, g.InPlane);
            int ob = p * oh * ow;
            for (int yy = 0; yy < oh; yy++)
                for (int xx = 0; xx < ow; xx++)
                {
                    var (y0, y1, x0, x1, divisor) = Window(g, yy, xx, countIncludePad);
                    float d = dy[ob + yy * ow + xx] / divisor;
                    for (int iy = y0; iy < y1; iy++)
                        for (int ix = x0; ix < x1; ix++) dxp[iy * g.InWidth + ix] += d;
                }
        }, planes * g.OutPlane > 4096);
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
