namespace Loom.Nn;

/// <summary>
/// Layers applied one after another — the body of <see cref="Sequential"/> and of <see cref="Residual"/>. Sequence
/// lengths pass to every layer: those given, else the first a layer reads off its input
/// (<see cref="Module.LengthsFromInput"/>), each layer's output lengths (<see cref="Module.OutputLengths"/>) becoming
/// the next one's, so a recurrent layer after a strided convolution reads each sequence's own steps.
/// <para>
/// Fusion is planned once, at the first forward after the chain changes: a layer that can apply a following
/// <see cref="Relu"/> itself (<see cref="IReluFusible"/>: Conv2d, Linear) runs as one op with it, the activation
/// applied while its output is in cache and the gradient masked in place by its backward, bit for bit the result
/// of the two layers. A Conv2d + ReLU followed by a 2×2 <see cref="MaxPool2d"/> (stride 2, no padding) pools each
/// sample's output too where no gradient is recorded (inference), so the unpooled batch is never written. The
/// modules and their state-dict names stay as they are; a layer with a forward hook runs unfused, so that hooks see
/// each layer's own output.
/// </para>
/// </summary>
internal sealed class LayerChain
{
    private readonly List<Module> _layers = [];
    private Step[]? _plan;

    public IReadOnlyList<Module> Layers => _layers;

    public void Add(Module layer)
    {
        _layers.Add(layer);
        _plan = null;
    }

    /// <summary>x through every layer in order; <paramref name="lengths"/> null until a layer supplies them.</summary>
    public Tensor Forward(Tensor x, int[]? lengths)
    {
        foreach (var step in _plan ??= Plan(_layers))
        {
            lengths ??= step.Layer.LengthsFromInput(x);
            x = Run(step, x, lengths);
            if (lengths is not null)
            {
                lengths = step.Layer.OutputLengths(lengths);
                if (step.FusedPool is { } pool) lengths = pool.OutputLengths(lengths);
            }
        }
        return x;
    }

    /// <summary>The lengths through every layer in order.</summary>
    public int[] OutputLengths(int[] lengths)
    {
        foreach (var layer in _layers) lengths = layer.OutputLengths(lengths);
        return lengths;
    }

    /// <summary>One step: fused where no forward hook needs to see a layer's own output.</summary>
    private static Tensor Run(Step step, Tensor x, int[]? lengths)
    {
        if (step.FusedRelu is not { } relu || step.Layer.HasForwardHooks || relu.HasForwardHooks) return RunUnfused(step, x, lengths);
        if (step.FusedPool is { HasForwardHooks: false } && ((Conv2d)step.Layer).ForwardReluMaxPool(x) is { } pooled) return pooled;
        x = ((IReluFusible)step.Layer).ForwardRelu(x);
        return step.FusedPool is { } pool ? pool.Call(x, lengths is null ? null : step.Layer.OutputLengths(lengths)) : x;
    }

    private static Tensor RunUnfused(Step step, Tensor x, int[]? lengths)
    {
        x = step.Layer.Call(x, lengths);
        if (step.FusedRelu is { } relu) x = relu.Call(x, lengths);
        return step.FusedPool is { } pool ? pool.Call(x, lengths is null ? null : step.Layer.OutputLengths(lengths)) : x;
    }

    /// <summary>
    /// One step of the plan: a layer, the ReLU after it that it applies itself, and (a Conv2d only) the 2×2 max-pool
    /// after that, which it applies to each sample's output where no gradient is recorded.
    /// </summary>
    private readonly record struct Step(Module Layer, Relu? FusedRelu, MaxPool2d? FusedPool);

    private static Step[] Plan(List<Module> layers)
    {
        var plan = new List<Step>(layers.Count);
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is IReluFusible && i + 1 < layers.Count && layers[i + 1] is Relu relu)
            {
                var pool = layers[i] is Conv2d && i + 2 < layers.Count && layers[i + 2] is MaxPool2d
                    { KernelSize: 2, Stride: 2, Padding: 0, Dilation: 1 } p ? p : null;
                plan.Add(new Step(layers[i], relu, pool));
                i += pool is null ? 1 : 2;
            }
            else plan.Add(new Step(layers[i], null, null));
        }
        return [.. plan];
    }
}
