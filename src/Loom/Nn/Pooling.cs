namespace Loom.Nn;

/// <summary>2-D max pooling. x: (N, C, H, W) → (N, C, OH, OW); stride defaults to the kernel size.</summary>
public sealed class MaxPool2d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1) : Module
{
    public int KernelSize { get; } = kernelSize > 0 ? kernelSize : throw new ArgumentException($"MaxPool2d: kernel size must be positive, got {kernelSize}.");
    public int Stride { get; } = stride ?? kernelSize;
    public int Padding { get; } = padding;
    public int Dilation { get; } = dilation;

    public override Tensor Forward(Tensor x) =>
        Functional.MaxPool2d(x, (KernelSize, KernelSize), (Stride, Stride), (Padding, Padding), (Dilation, Dilation), Label);

    /// <summary>Each sequence's steps along the height axis (time down the rows, as <see cref="Conv2d.OutputLengths"/>).</summary>
    public override int[] OutputLengths(int[] lengths) => StepLengths.Window(lengths, KernelSize, Stride, Padding, Dilation);

    protected override bool DescriptionIsFixed => true;

    public override string Describe() => $"MaxPool2d(kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation})";
}

/// <summary>2-D average pooling. x: (N, C, H, W) → (N, C, OH, OW); stride defaults to the kernel size.</summary>
public sealed class AvgPool2d(int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true) : Module
{
    public int KernelSize { get; } = kernelSize > 0 ? kernelSize : throw new ArgumentException($"AvgPool2d: kernel size must be positive, got {kernelSize}.");
    public int Stride { get; } = stride ?? kernelSize;
    public int Padding { get; } = padding;
    public bool CountIncludePad { get; } = countIncludePad;

    public override Tensor Forward(Tensor x) =>
        Functional.AvgPool2d(x, (KernelSize, KernelSize), (Stride, Stride), (Padding, Padding), CountIncludePad, Label);

    /// <summary>Each sequence's steps along the height axis (time down the rows, as <see cref="Conv2d.OutputLengths"/>).</summary>
    public override int[] OutputLengths(int[] lengths) => StepLengths.Window(lengths, KernelSize, Stride, Padding);

    protected override bool DescriptionIsFixed => true;

    public override string Describe() => $"AvgPool2d(kernel_size={KernelSize}, stride={Stride}, padding={Padding})";
}

/// <summary>
/// Average pooling to a fixed output size whatever the input size. x: (N, C, H, W) → (N, C, outH, outW).
/// <c>new AdaptiveAvgPool2d(1)</c> is global average pooling.
/// </summary>
public sealed class AdaptiveAvgPool2d(int outputHeight, int outputWidth) : Module
{
    public AdaptiveAvgPool2d(int outputSize) : this(outputSize, outputSize) { }

    public (int H, int W) OutputSize { get; } = (outputHeight, outputWidth);

    public override Tensor Forward(Tensor x) => Functional.AdaptiveAvgPool2d(x, OutputSize, Label);

    protected override bool DescriptionIsFixed => true;

    public override string Describe() => OutputSize.H == OutputSize.W
        ? $"AdaptiveAvgPool2d(output_size={OutputSize.H})" : $"AdaptiveAvgPool2d(output_size={Conv2d.Pair(OutputSize)})";
}
