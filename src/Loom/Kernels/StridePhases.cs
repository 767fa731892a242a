using System.Runtime.CompilerServices;

namespace Loom.Kernels;

/// <summary>
/// One sample's zero-padded input split by stride phase: sH·sW planes per channel, plane (a, b) holding the padded
/// image's rows a, a + sH, … and columns b, b + sW, … (Hq × Wq each, zero past the padded image). At stride 1 there
/// is one phase, the padded image itself.
/// </summary>
/// <remarks>
/// Why: the input under weight (ci, i, j) at output (oy, ox) is the padded image at row oy·sH + i·dH, column
/// ox·sW + j·dW — in phase plane (i·dH mod sH, j·dW mod sW) of channel ci, at row oy + i·dH div sH and column
/// ox + j·dW div sW. So on a grid Wq wide, what a tap sees at every output position is one phase plane read from
/// <see cref="Tap"/> on: contiguous runs, with no bounds to check (the padding is stored), where the input itself
/// would be read sW apart. The forward reads the planes in place as its GEMM's B (<see cref="Convolution"/>);
/// unfolding and folding copy and add whole output rows of them (<see cref="Im2Col"/>).
/// </remarks>
internal readonly struct StridePhases
{
    public StridePhases(in ConvGeometry g)
    {
        (StrideH, StrideW, PadH, PadW) = (g.StrideH, g.StrideW, g.PadH, g.PadW);
        (Height, Width, Channels) = (g.InHeight, g.InWidth, g.InChannels);
        Hq = (g.InHeight + 2 * g.PadH + g.StrideH - 1) / g.StrideH;
        Wq = (g.InWidth + 2 * g.PadW + g.StrideW - 1) / g.StrideW;
        (_dilationH, _dilationW, _kernelW) = (g.DilationH, g.DilationW, g.KernelWidth);
    }

    private readonly int _dilationH, _dilationW, _kernelW;

    public int StrideH { get; }
    public int StrideW { get; }
    public int PadH { get; }
    public int PadW { get; }
    public int Height { get; }
    public int Width { get; }
    public int Channels { get; }

    /// <summary>Rows and columns of each phase plane; Wq is the width of the output grid that reads them.</summary>
    public int Hq { get; }
    public int Wq { get; }

    public int PhasePlane => Hq * Wq;
    public int ChannelPlanes => StrideH * StrideW * PhasePlane;

    /// <summary>
    /// Floats a buffer needs: every plane, then what the last tap's run of OH·Wq reads past the last plane —
    /// up to (kW − 1)·dW — and <paramref name="slack"/> more for whole-vector loads.
    /// </summary>
    public int Size(int slack = 0) => Channels * ChannelPlanes + (_kernelW - 1) * _dilationW + slack;

    /// <summary>Where tap (ci, i, j) reads output (0, 0): output (oy, ox) is <c>Tap + oy·Wq + ox</c>.</summary>
    public int Tap(int ci, int i, int j)
    {
        int di = i * _dilationH, dj = j * _dilationW;
        return ci * ChannelPlanes + (di % StrideH * StrideW + dj % StrideW) * PhasePlane + di / StrideH * Wq + dj / StrideW;
    }

    /// <summary>Writes x (C, H, W) into <paramref name="planes"/> (<see cref="Size"/> floats, cleared first: the padding is zeros).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Scatter(ReadOnlySpan<float> x, Span<float> planes)
    {
        planes.Clear();
        for (int ci = 0; ci < Channels; ci++)
            for (int r = 0; r < Height; r++)
            {
                var src = x.Slice((ci * Height + r) * Width, Width);
                int rowStart = RowStart(ci, r);
                if (StrideW == 1) src.CopyTo(planes[(rowStart + PadW)..]);
                else
                    for (int b = 0; b < StrideW; b++)
                    {
                        var (first, v0) = FirstColumn(b);
                        var to = planes[(rowStart + b * PhasePlane)..];
                        for (int xi = first, v = v0; xi < Width; xi += StrideW, v++) to[v] = src[xi];
                    }
            }
    }

    /// <summary>dx (C, H, W) += the planes' values at each input position: <see cref="Scatter"/>'s adjoint (padding dropped).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void GatherAdd(ReadOnlySpan<float> planes, Span<float> dx)
    {
        for (int ci = 0; ci < Channels; ci++)
            for (int r = 0; r < Height; r++)
            {
                var dst = dx.Slice((ci * Height + r) * Width, Width);
                int rowStart = RowStart(ci, r);
                if (StrideW == 1) System.Numerics.Tensors.TensorPrimitives.Add(dst, planes.Slice(rowStart + PadW, Width), dst);
                else
                    for (int b = 0; b < StrideW; b++)
                    {
                        var (first, v0) = FirstColumn(b);
                        var from = planes[(rowStart + b * PhasePlane)..];
                        for (int xi = first, v = v0; xi < Width; xi += StrideW, v++) dst[xi] += from[v];
                    }
            }
    }

    /// <summary>
    /// The first input column in phase column b — padded column b + sW·v for the least v that is inside the image —
    /// and that v. Stepping sW input columns from there steps one phase column: no division per element (a division
    /// by a stride known only at run time costs tens of cycles; per element it was most of the time).
    /// </summary>
    private (int Column, int PhaseColumn) FirstColumn(int b)
    {
        int v0 = PadW <= b ? 0 : (PadW - b + StrideW - 1) / StrideW;
        return (b + v0 * StrideW - PadW, v0);
    }

    /// <summary>Where input row r of channel ci starts in its phase planes (padded column 0 of phase column 0).</summary>
    private int RowStart(int ci, int r)
    {
        int pr = r + PadH;
        return ci * ChannelPlanes + pr % StrideH * StrideW * PhasePlane + pr / StrideH * Wq;
    }
}
