namespace Loom.Nn;

/// <summary>
/// 1-D convolution (cross-correlation) over time: x: (N, inChannels, L) → (N, outChannels, Lout), with
/// Lout = ⌊(L + 2·padding − dilation·(kernelSize − 1) − 1) / stride⌋ + 1. Initialised as PyTorch's
/// <c>nn.Conv1d</c>: weight and bias uniform in ±1/√(inChannels/groups · kernelSize).
/// </summary>
public sealed class Conv1d : Module
{
    public Parameter Weight { get; }   // (outChannels, inChannels/groups, kernelSize)
    public Parameter? Bias { get; }    // (outChannels)
    public int InChannels { get; }
    public int OutChannels { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }
    public int Dilation { get; }
    public int Groups { get; }

    public Conv1d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool bias = true)
    {
        if (inChannels <= 0 || outChannels <= 0) throw new ArgumentException($"Conv1d: channel counts must be positive, got {inChannels} → {outChannels}.");
        if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv1d: groups={groups} must divide both in_channels={inChannels} and out_channels={outChannels}.");
        if (kernelSize <= 0 || stride <= 0 || dilation <= 0 || padding < 0)
            throw new ArgumentException($"Conv1d: kernel size, stride and dilation must be positive and padding non-negative, got kernel_size={kernelSize}, stride={stride}, dilation={dilation}, padding={padding}.");
        (InChannels, OutChannels, KernelSize, Stride, Padding, Dilation, Groups) = (inChannels, outChannels, kernelSize, stride, padding, dilation, groups);
        int fanIn = inChannels / groups * kernelSize;
        Weight = RegisterParameter("weight", Init.DefaultUniform(fanIn, [outChannels, inChannels / groups, kernelSize]));
        if (bias) Bias = RegisterParameter("bias", Init.DefaultUniform(fanIn, [outChannels]));
    }

    /// <summary>x: (N, inChannels, L) → (N, outChannels, Lout).</summary>
    public override Tensor Forward(Tensor x) => Functional.Conv1d(x, Weight, Bias, Stride, Padding, Dilation, Groups, Label);

    /// <summary>Each sequence's steps through the window: ⌊(L + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1.</summary>
    public override int[] OutputLengths(int[] lengths) => StepLengths.Window(lengths, KernelSize, Stride, Padding, Dilation);

    /// <summary>As PyTorch prints it, e.g. <c>Conv1d(16, 33, kernel_size=(3,), stride=(2,), padding=(1,))</c>.</summary>
    protected override bool DescriptionIsFixed => true;

    public override string Describe()
    {
        var s = $"Conv1d({InChannels}, {OutChannels}, kernel_size={Single(KernelSize)}, stride={Single(Stride)}";
        if (Padding != 0) s += $", padding={Single(Padding)}";
        if (Dilation != 1) s += $", dilation={Single(Dilation)}";
        if (Groups != 1) s += $", groups={Groups}";
        if (Bias is null) s += ", bias=False";
        return s + ")";
    }

    /// <summary>PyTorch keeps 1-D sizes as one-element tuples and prints them so: <c>(3,)</c>.</summary>
    internal static string Single(int v) => $"({v},)";
}
