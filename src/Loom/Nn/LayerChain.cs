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
/// of the two layers. The modules and their state-dict names stay as they are; a pair with a forward hook on
/// either layer runs unfused, so that hooks see each layer's own output.
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
            x = step.FusedRelu is { } relu && !step.Layer.HasForwardHooks && !relu.HasForwardHooks
                ? ((IReluFusible)step.Layer).ForwardRelu(x)
                : RunUnfused(step, x, lengths);
            if (lengths is not null) lengths = step.Layer.OutputLengths(lengths);
        }
        return x;
    }

    /// <summary>The lengths through every layer in order.</summary>
    public int[] OutputLengths(int[] lengths)
    {
        foreach (var layer in _layers) lengths = layer.OutputLengths(lengths);
        return lengths;
    }

    private static Tensor RunUnfused(Step step, Tensor x, int[]? lengths)
    {
        x = step.Layer.Call(x, lengths);
        return step.FusedRelu is { } relu ? relu.Call(x, lengths) : x;
    }

    /// <summary>One step of the plan: a layer, and the ReLU after it that it applies itself.</summary>
    private readonly record struct Step(Module Layer, Relu? FusedRelu);

    private static Step[] Plan(List<Module> layers)
    {
        var plan = new List<Step>(layers.Count);
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is IReluFusible && i + 1 < layers.Count && layers[i + 1] is Relu relu)
            {
                plan.Add(new Step(layers[i], relu));
                i++;
            }
            else plan.Add(new Step(layers[i], null));
        }
        return [.. plan];
    }
}
