namespace Loom.Nn;

/// <summary>
/// A causal 1-D convolution: output step t sees input steps t, t − d, …, t − d·(k − 1) only, never the future,
/// as a language model must. The input is padded on the left by dilation·(kernelSize − 1) zeros and convolved
/// without further padding, so x: (N, inChannels, L) → (N, outChannels, L) at stride 1 (WaveNet's and TCN's
/// convolution). Parameters, their names ("weight", "bias") and initialisation are exactly <see cref="Conv1d"/>'s:
/// the PyTorch twin is <c>F.conv1d(F.pad(x, (dilation * (k - 1), 0)), conv.weight, conv.bias, dilation=dilation)</c>.
/// </summary>
public sealed class CausalConv1d : Module
{
    public Parameter Weight { get; }   // (outChannels, inChannels/groups, kernelSize)
    public Parameter? Bias { get; }    // (outChannels)
    public int InChannels { get; }
    public int OutChannels { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Dilation { get; }
    public int Groups { get; }

    /// <summary>Left padding: how far back the first output step reaches before the input starts.</summary>
    public int LeftPadding => Dilation * (KernelSize - 1);

    public CausalConv1d(int inChannels, int outChannels, int kernelSize, int stride = 1, int dilation = 1, int groups = 1, bool bias = true)
    {
        // Conv1d checks the arguments and draws the initial weights; its parameters become this layer's own.
        var conv = new Conv1d(inChannels, outChannels, kernelSize, stride, 0, dilation, groups, bias);
        (InChannels, OutChannels, KernelSize, Stride, Dilation, Groups) = (inChannels, outChannels, kernelSize, stride, dilation, groups);
        Weight = RegisterParameter("weight", conv.Weight);
        if (conv.Bias is not null) Bias = RegisterParameter("bias", conv.Bias);
    }

    /// <summary>x: (N, inChannels, L) → (N, outChannels, ⌊(L − 1) / stride⌋ + 1).</summary>
    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 3 || x.Shape[1] != InChannels)
            throw new ArgumentException($"{Label}: expected input (N, {InChannels}, L), got {ShapeUtil.Format(x.Shape)}.");
        return Functional.Conv1d(Functional.Pad1d(x, LeftPadding, 0, 0f, Label), Weight, Bias, Stride, 0, Dilation, Groups, Label);
    }

    /// <summary>Each sequence's steps: ⌊(L − 1) / stride⌋ + 1 (the left padding makes up the window's reach).</summary>
    public override int[] OutputLengths(int[] lengths) => StepLengths.Window(lengths, 1, Stride);

    protected override bool DescriptionIsFixed => true;

    public override string Describe()
    {
        var s = $"CausalConv1d({InChannels}, {OutChannels}, kernel_size={Conv1d.Single(KernelSize)}, stride={Conv1d.Single(Stride)}";
        if (Dilation != 1) s += $", dilation={Conv1d.Single(Dilation)}";
        if (Groups != 1) s += $", groups={Groups}";
        if (Bias is null) s += ", bias=False";
        return s + ")";
    }
}
