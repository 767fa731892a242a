namespace Loom.Nn;

/// <summary>1-D max pooling over time. x: (N, C, L) → (N, C, Lout); stride defaults to the kernel size.</summary>
public sealed class MaxPool1d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1) : Module
{
    public int KernelSize { get; } = kernelSize > 0 ? kernelSize : throw new ArgumentException($"MaxPool1d: kernel size must be positive, got {kernelSize}.");
    public int Stride { get; } = stride ?? kernelSize;
    public int Padding { get; } = padding;
    public int Dilation { get; } = dilation;

    public override Tensor Forward(Tensor x) => Functional.MaxPool1d(x, KernelSize, Stride, Padding, Dilation, Label);

    public override int[] OutputLengths(int[] lengths) => StepLengths.Window(lengths, KernelSize, Stride, Padding, Dilation);

    protected override bool DescriptionIsFixed => true;

    public override string Describe() => $"MaxPool1d(kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation})";
}

/// <summary>1-D average pooling over time. x: (N, C, L) → (N, C, Lout); stride defaults to the kernel size.</summary>
public sealed class AvgPool1d(int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true) : Module
{
    public int KernelSize { get; } = kernelSize > 0 ? kernelSize : throw new ArgumentException($"AvgPool1d: kernel size must be positive, got {kernelSize}.");
    public int Stride { get; } = stride ?? kernelSize;
    public int Padding { get; } = padding;
    public bool CountIncludePad { get; } = countIncludePad;

    public override Tensor Forward(Tensor x) => Functional.AvgPool1d(x, KernelSize, Stride, Padding, CountIncludePad, Label);

    public override int[] OutputLengths(int[] lengths) => StepLengths.Window(lengths, KernelSize, Stride, Padding);

    // PyTorch's AvgPool1d keeps its sizes as one-element tuples, unlike MaxPool1d and AvgPool2d.
    protected override bool DescriptionIsFixed => true;

    public override string Describe() =>
        $"AvgPool1d(kernel_size={Conv1d.Single(KernelSize)}, stride={Conv1d.Single(Stride)}, padding={Conv1d.Single(Padding)})";
}

/// <summary>
/// Average pooling to a fixed length whatever the input length. x: (N, C, L) → (N, C, outputSize).
/// <c>new AdaptiveAvgPool1d(1)</c> is global average pooling over time: (N, C, L) → (N, C, 1).
/// </summary>
public sealed class AdaptiveAvgPool1d(int outputSize) : Module
{
    public int OutputSize { get; } = outputSize > 0 ? outputSize : throw new ArgumentException($"AdaptiveAvgPool1d: output size must be positive, got {outputSize}.");

    public override Tensor Forward(Tensor x) => Functional.AdaptiveAvgPool1d(x, OutputSize, Label);

    protected override bool DescriptionIsFixed => true;

    public override string Describe() => $"AdaptiveAvgPool1d(output_size={OutputSize})";
}

/// <summary>
/// Max pooling to a fixed length whatever the input length. x: (N, C, L) → (N, C, outputSize).
/// <c>new AdaptiveMaxPool1d(1)</c> is global max pooling over time: (N, C, L) → (N, C, 1).
/// </summary>
public sealed class AdaptiveMaxPool1d(int outputSize) : Module
{
    public int OutputSize { get; } = outputSize > 0 ? outputSize : throw new ArgumentException($"AdaptiveMaxPool1d: output size must be positive, got {outputSize}.");

    public override Tensor Forward(Tensor x) => Functional.AdaptiveMaxPool1d(x, OutputSize, Label);

    protected override bool DescriptionIsFixed => true;

    public override string Describe() => $"AdaptiveMaxPool1d(output_size={OutputSize})";
}
