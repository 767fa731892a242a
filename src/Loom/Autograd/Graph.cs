namespace Loom.Autograd;

/// <summary>Attaches a backward node to an op's output when recording is on and some input wants a gradient.</summary>
internal static class Graph
{
    public static bool NeedsGrad(Tensor a, Tensor? b) => GradMode.IsEnabled && (a.RequiresGrad || (b?.RequiresGrad ?? false));

    /// <summary>Marks <paramref name="output"/> as produced by <paramref name="name"/> from <paramref name="inputs"/>.</summary>
    public static Tensor Record(Tensor output, string name, Tensor?[] inputs, Action<float[]> backward)
    {
        if (!GradMode.IsEnabled) return output;
        // Called for every op of every training step: count first, then copy, without LINQ.
        int count = 0;
        foreach (var t in inputs) if (t is { RequiresGrad: true }) count++;
        if (count == 0) return output;
        var present = new Tensor[count];
        count = 0;
        foreach (var t in inputs) if (t is { RequiresGrad: true }) present[count++] = t;
        output.RequiresGrad = true;
        output.GradFn = new Node(name, present, backward);
        return output;
    }
}
