namespace Loom.Kernels;

/// <summary>Sizes of one 2-D convolution or pooling window; 1-D is the case H = kH = 1.</summary>
public readonly record struct ConvGeometry(
    int Batch, int InChannels, int InHeight, int InWidth,
    int OutChannels, int KernelHeight, int KernelWidth,
    int StrideH = 1, int StrideW = 1, int PadH = 0, int PadW = 0, int DilationH = 1, int DilationW = 1, int Groups = 1)
{
    public int OutHeight => OutSize(InHeight + 2 * PadH - DilationH * (KernelHeight - 1) - 1, StrideH);
    public int OutWidth => OutSize(InWidth + 2 * PadW - DilationW * (KernelWidth - 1) - 1, StrideW);

    /// <summary>⌊span / stride⌋ + 1, and 0 when the kernel does not fit at all (C#'s division would round −1/2 up to 0).</summary>
    private static int OutSize(int span, int stride) => span < 0 ? 0 : span / stride + 1;
    public int InPlane => InHeight * InWidth;
    public int OutPlane => OutHeight * OutWidth;
    public int InChannelsPerGroup => InChannels / Groups;
    public int OutChannelsPerGroup => OutChannels / Groups;
    /// <summary>Rows of the im2col matrix: every (channel, kernel row, kernel column).</summary>
    public int ColumnRows => InChannels * KernelHeight * KernelWidth;
    /// <summary>Weights feeding one output channel: (InChannels/Groups)·kH·kW.</summary>
    public int WeightsPerOutput => InChannelsPerGroup * KernelHeight * KernelWidth;

    /// <summary>True when im2col would copy the input unchanged (1×1 kernel, stride 1, no padding).</summary>
    public bool IsPointwise => KernelHeight == 1 && KernelWidth == 1 && StrideH == 1 && StrideW == 1 && PadH == 0 && PadW == 0;
}
