using Loom.Nn;

namespace Loom.Optim;

/// <summary>Gradient clipping by global norm, as <c>torch.nn.utils.clip_grad_norm_</c>.</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales all gradients so that their joint L2 norm is at most <paramref name="maxNorm"/>; returns the
    /// norm before clipping (NaN or ∞ when a gradient is not finite — callers should check).
    /// </summary>
    public static float ClipGradNorm(IEnumerable<Parameter> parameters, float maxNorm)
    {
        var grads = parameters.Where(p => p.Grad is not null).Select(p => p.Grad!.Data).ToList();
        double total = 0;
        foreach (var g in grads)
        {
            float n = System.Numerics.Tensors.TensorPrimitives.Norm(g);
            total += (double)n * n;
        }
        float norm = (float)Math.Sqrt(total);
        float scale = maxNorm / (norm + 1e-6f);
        if (scale < 1f)
            foreach (var g in grads) System.Numerics.Tensors.TensorPrimitives.Multiply(g, scale, g);
        return norm;
    }
}
