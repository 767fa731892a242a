namespace Loom.Kernels;

/// <summary>The naive twin of <see cref="Convolution"/>: the defining sums, loop by loop.</summary>
public static class ConvolutionReference
{
    public static void Forward(float[] x, float[] w, float[]? bias, float[] y, ConvGeometry g)
    {
        int oh = g.OutHeight, ow = g.OutWidth, cg = g.InChannelsPerGroup, og = g.OutChannelsPerGroup;
        for (int n = 0; n < g.Batch; n++)
            for (int o = 0; o < g.OutChannels; o++)
                for (int yy = 0; yy < oh; yy++)
                    for (int xx = 0; xx < ow; xx++)
                    {
                        double s = bias?[o] ?? 0;
                        int grp = o / og;
                        for (int c = 0; c < cg; c++)
                            for (int i = 0; i < g.KernelHeight; i++)
                                for (int j = 0; j < g.KernelWidth; j++)
                                {
                                    int iy = yy * g.StrideH - g.PadH + i * g.DilationH, ix = xx * g.StrideW - g.PadW + j * g.DilationW;
                                    if (iy < 0 || iy >= g.InHeight || ix < 0 || ix >= g.InWidth) continue;
                                    s += x[((n * g.InChannels + grp * cg + c) * g.InHeight + iy) * g.InWidth + ix]
                                       * w[((o * cg + c) * g.KernelHeight + i) * g.KernelWidth + j];
                                }
                        y[((n * g.OutChannels + o) * oh + yy) * ow + xx] = (float)s;
                    }
    }

    /// <summary>Accumulates all three gradients (any may be null).</summary>
    public static void Backward(float[] x, float[] w, float[] dy, float[]? dx, float[]? dw, float[]? db, ConvGeometry g)
    {
        int oh = g.OutHeight, ow = g.OutWidth, cg = g.InChannelsPerGroup, og = g.OutChannelsPerGroup;
        for (int n = 0; n < g.Batch; n++)
            for (int o = 0; o < g.OutChannels; o++)
                for (int yy = 0; yy < oh; yy++)
                    for (int xx = 0; xx < ow; xx++)
                    {
                        float d = dy[((n * g.OutChannels + o) * oh + yy) * ow + xx];
                        if (db is not null) db[o] += d;
                        int grp = o / og;
                        for (int c = 0; c < cg; c++)
                            for (int i = 0; i < g.KernelHeight; i++)
                                for (int j = 0; j < g.KernelWidth; j++)
                                {
                                    int iy = yy * g.StrideH - g.PadH + i * g.DilationH, ix = xx * g.StrideW - g.PadW + j * g.DilationW;
                                    if (iy < 0 || iy >= g.InHeight || ix < 0 || ix >= g.InWidth) continue;
                                    int xi = ((n * g.InChannels + grp * cg + c) * g.InHeight + iy) * g.InWidth + ix;
                                    int wi = ((o * cg + c) * g.KernelHeight + i) * g.KernelWidth + j;
                                    if (dx is not null) dx[xi] += d * w[wi];
                                    if (dw is not null) dw[wi] += d * x[xi];
                                }
                    }
    }
}
