namespace Loom.Kernels;

/// <summary>
/// Unfolds the receptive fields of one sample into a matrix so that convolution becomes one GEMM:
/// col (C·kH·kW, OH·OW), row (c, i, j) holding x[c, oh·sH − pH + i·dH, ow·sW − pW + j·dW] (0 outside).
/// <see cref="Col2Im"/> is its adjoint: it adds each column entry back to the input position it came from.
/// </summary>
public static class Im2Col
{
    /// <summary>x: (C, H, W) of one sample → col: (C·kH·kW, OH·OW).</summary>
    public static void Unfold(ReadOnlySpan<float> x, in ConvGeometry g, Span<float> col)
    {
        int oh = g.OutHeight, ow = g.OutWidth, plane = oh * ow;
        int row = 0;
        for (int c = 0; c < g.InChannels; c++)
        {
            var xc = x.Slice(c * g.InPlane, g.InPlane);
            for (int ki = 0; ki < g.KernelHeight; ki++)
                for (int kj = 0; kj < g.KernelWidth; kj++, row++)
                {
                    var dst = col.Slice(row * plane, plane);
                    int dy = ki * g.DilationH - g.PadH, dx = kj * g.DilationW - g.PadW;
                    for (int y = 0; y < oh; y++)
                    {
                        int iy = y * g.StrideH + dy;
                        var drow = dst.Slice(y * ow, ow);
                        if ((uint)iy >= (uint)g.InHeight) { drow.Clear(); continue; }
                        var src = xc.Slice(iy * g.InWidth, g.InWidth);
                        if (g.StrideW == 1)
                        {
                            // Contiguous run: [lo, hi) lands inside the row; the rest is padding.
                            int lo = Math.Max(0, -dx), hi = Math.Min(ow, g.InWidth - dx);
                            if (hi <= lo) { drow.Clear(); continue; }
                            drow[..lo].Clear();
                            src.Slice(lo + dx, hi - lo).CopyTo(drow[lo..]);
                            drow[hi..].Clear();
                        }
                        else
                        {
                            for (int x0 = 0; x0 < ow; x0++)
                            {
                                int ix = x0 * g.StrideW + dx;
                                drow[x0] = (uint)ix < (uint)g.InWidth ? src[ix] : 0f;
                            }
                        }
                    }
                }
        }
    }

    /// <summary>dx: (C, H, W) += fold(col: (C·kH·kW, OH·OW)).</summary>
    public static void Col2Im(ReadOnlySpan<float> col, in ConvGeometry g, Span<float> dx)
    {
        int oh = g.OutHeight, ow = g.OutWidth, plane = oh * ow;
        int row = 0;
        for (int c = 0; c < g.InChannels; c++)
        {
            var xc = dx.Slice(c * g.InPlane, g.InPlane);
            for (int ki = 0; ki < g.KernelHeight; ki++)
                for (int kj = 0; kj < g.KernelWidth; kj++, row++)
                {
                    var src = col.Slice(row * plane, plane);
                    int dy = ki * g.DilationH - g.PadH, dxo = kj * g.DilationW - g.PadW;
                    for (int y = 0; y < oh; y++)
                    {
                        int iy = y * g.StrideH + dy;
                        if ((uint)iy >= (uint)g.InHeight) continue;
                        var dst = xc.Slice(iy * g.InWidth, g.InWidth);
                        var srow = src.Slice(y * ow, ow);
                        if (g.StrideW == 1)
                        {
                            int lo = Math.Max(0, -dxo), hi = Math.Min(ow, g.InWidth - dxo);
                            if (hi <= lo) continue;
                            var d = dst.Slice(lo + dxo, hi - lo);
                            System.Numerics.Tensors.TensorPrimitives.Add(d, srow.Slice(lo, hi - lo), d);
                        }
                        else
                        {
                            for (int x0 = 0; x0 < ow; x0++)
                            {
                                int ix = x0 * g.StrideW + dxo;
                                if ((uint)ix < (uint)g.InWidth) dst[ix] += srow[x0];
                            }
                        }
                    }
                }
        }
    }
}
