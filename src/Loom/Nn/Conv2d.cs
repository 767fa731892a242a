namespace Loom.Nn;

/// <summary>2-D convolution (cross-correlation) over (N, C, H, W) input → (N, outChannels, OH, OW).</summary>
public sealed class Conv2d : Module, IReluFusible
{
    public Parameter Weight { get; }   // (outChannels, inChannels/groups, kH, kW)
    public Parameter? Bias { get; }    // (outChannels)
    public int InChannels { get; }
    public int OutChannels { get; }
    public (int H, int W) KernelSize { get; }
    public (int H, int W) Stride { get; }
    public (int H, int W) Padding { get; }
    public (int H, int W) Dilation { get; }
    public int Groups { get; }

    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool bias = true)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (dilation, dilation), groups, bias) { }

    public Conv2d(int inChannels, int outChannels, (int H, int W) kernelSize, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups = 1, bool bias = true)
    {
        if (inChannels <= 0 || outChannels <= 0) throw new ArgumentException($"Conv2d: channel counts must be positive, got {inChannels} → {outChannels}.");
        if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d: groups={groups} must divide both in_channels={inChannels} and out_channels={outChannels}.");
        if (kernelSize.H <= 0 || kernelSize.W <= 0 || stride.H <= 0 || stride.W <= 0 || dilation.H <= 0 || dilation.W <= 0 || padding.H < 0 || padding.W < 0)
            throw new ArgumentException("Conv2d: kernel size, stride and dilation must be positive and padding non-negative.");
        (InChannels, OutChannels, KernelSize, Stride, Padding, Dilation, Groups) = (inChannels, outChannels, kernelSize, stride, padding, dilation, groups);
        int fanIn = inChannels / groups * kernelSize.H * kernelSize.W;
        Weight = RegisterParameter("weight", Init.DefaultUniform(fanIn, [outChannels, inChannels / groups, kernelSize.H, kernelSize.W]));
        if (bias) Bias = RegisterParameter("bias", Init.DefaultUniform(fanIn, [outChannels]));
    }

    public override Tensor Forward(Tensor x) => Functional.Conv2d(x, Weight, Bias, Stride, Padding, Dilation, Groups, Label);

    /// <summary>
    /// Each sequence's steps along the height axis: a spectrogram-like input (N, C, T, F) runs time down its rows, so
    /// the lengths are mapped by the kernel, stride, padding and dilation of H.
    /// </summary>
    public override int[] OutputLengths(int[] lengths) => StepLengths.Window(lengths, KernelSize.H, Stride.H, Padding.H, Dilation.H);

    Tensor IReluFusible.ForwardRelu(Tensor x) => Functional.Conv2dRelu(x, Weight, Bias, Stride, Padding, Dilation, Groups, Label, ReluFusedLabel);

    /// <summary>
    /// MaxPool2d(2)(ReLU(this(x))) as one op where no gradient is recorded (<see cref="LayerChain"/>); null where one
    /// would be, or the output is too small to pool: then the layers run one by one.
    /// </summary>
    internal Tensor? ForwardReluMaxPool(Tensor x) => Functional.Conv2dReluMaxPool2x2(x, Weight, Bias, Stride, Padding, Dilation, Groups, Label);

    protected override bool DescriptionIsFixed => true;

    public override string Describe()
    {
        var s = $"Conv2d({InChannels}, {OutChannels}, kernel_size={Pair(KernelSize)}, stride={Pair(Stride)}";
        if (Padding != (0, 0)) s += $", padding={Pair(Padding)}";
        if (Dilation != (1, 1)) s += $", dilation={Pair(Dilation)}";
        if (Groups != 1) s += $", groups={Groups}";
        if (Bias is null) s += ", bias=False";
        return s + ")";
    }

    internal static string Pair((int H, int W) p) => $"({p.H}, {p.W})";
}
