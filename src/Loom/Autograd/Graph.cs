namespace Loom.Autograd;

/// <summary>Attaches a backward node to an op's output when recording is on and some input wants a gradient.</summary>
internal static class Graph
{
    public static bool NeedsGrad(Tensor a) => GradMode.IsEnabled && a.RequiresGrad;
    public static bool NeedsGrad(Tensor a, Tensor? b) => GradMode.IsEnabled && (a.RequiresGrad || (b?.RequiresGrad ?? false));
    public static bool NeedsGrad(Tensor a, Tensor? b, Tensor? c) => GradMode.IsEnabled && (a.RequiresGrad || (b?.RequiresGrad ?? false) || (c?.RequiresGrad ?? false));

    /// <summary>Marks <paramref name="output"/> as produced by <paramref name="name"/> from <paramref name="inputs"/>.</summary>
    public static Tensor Record(Tensor output, string name, Tensor?[] inputs, Action<float[]> backward)
    {
        var present = inputs.Where(t => t is not null && t.RequiresGrad).ToArray();
        if (!GradMode.IsEnabled || present.Length == 0) return output;
        output.RequiresGrad = true;
        output.GradFn = new Node(name, present!, backward);
        return output;
    }
}
