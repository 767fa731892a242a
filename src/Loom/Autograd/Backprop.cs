namespace Loom.Autograd;

/// <summary>Runs the recorded graph backwards from one tensor in reverse topological order.</summary>
internal static class Backprop
{
    public static void Run(Tensor root, Tensor? gradient)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException("Backward() on a tensor that does not require grad: no parameter or input with RequiresGrad contributed to it.");
        if (gradient is null && root.Size != 1)
            throw new InvalidOperationException($"Backward() without a gradient needs a one-element tensor, not shape {ShapeUtil.Format(root.Shape)}.");
        if (gradient is not null && !ShapeUtil.SameShape(gradient.Shape, root.Shape))
            throw new ArgumentException($"Backward(): gradient shape {ShapeUtil.Format(gradient.Shape)} differs from tensor shape {ShapeUtil.Format(root.Shape)}.");

        var order = TopologicalOrder(root);
        var seed = root.GradBuffer()!;
        if (gradient is null) seed[0] += 1f;
        else System.Numerics.Tensors.TensorPrimitives.Add(seed, gradient.Data, seed);

        using var _ = GradMode.NoGrad();
        try
        {
            for (int i = order.Count - 1; i >= 0; i--)
            {
                var t = order[i];
                var grad = t.PendingGrad;
                if (grad is null) continue;
                t.PendingGrad = null;
                // Complete now (every consumer has run) and not yet overwritten by the op's own backward.
                if (t.RetainsGrad) t.Grad = new Tensor((float[])grad.Clone(), t.Shape);
                t.GradFn!.Backward(grad);
            }
        }
        catch
        {
            // A node that throws leaves the rest of the graph holding partial gradients, possibly in buffers
            // a BufferPool will hand out again: drop them, so that a later pass starts clean.
            foreach (var t in order) t.PendingGrad = null;
            throw;
        }
    }

    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor Tensor, bool Expanded)>();
        stack.Push((root, false));
        while (stack.Count > 0)
        {
            var (t, expanded) = stack.Pop();
            if (expanded) { order.Add(t); continue; }
            if (t.GradFn is null || !visited.Add(t)) continue;
            stack.Push((t, true));
            foreach (var input in t.GradFn.Inputs)
                if (input.RequiresGrad && input.GradFn is not null && !visited.Contains(input))
                    stack.Push((input, false));
        }
        return order;
    }
}
