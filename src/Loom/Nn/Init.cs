namespace Loom.Nn;

/// <summary>Weight initialisations, with PyTorch's defaults for each layer.</summary>
public static class Init
{
    /// <summary>
    /// PyTorch's default for Linear and Conv weights: kaiming_uniform with a = √5, which works out to
    /// U(−1/√fanIn, 1/√fanIn). Their biases use the same bound.
    /// </summary>
    public static Tensor DefaultUniform(int fanIn, int[] shape, Rng? rng = null)
    {
        float bound = fanIn > 0 ? 1f / MathF.Sqrt(fanIn) : 0f;
        return Tensor.Uniform(-bound, bound, shape, rng);
    }

    /// <summary>He (Kaiming) normal for ReLU networks: N(0, 2/fanIn).</summary>
    public static void KaimingNormal(Tensor t, int fanIn, Rng? rng = null) =>
        (rng ?? Rng.Default).FillNormal(t.Data, 0f, MathF.Sqrt(2f / fanIn));

    /// <summary>Glorot (Xavier) uniform: U(±√(6/(fanIn+fanOut))).</summary>
    public static void XavierUniform(Tensor t, int fanIn, int fanOut, Rng? rng = null)
    {
        float bound = MathF.Sqrt(6f / (fanIn + fanOut));
        (rng ?? Rng.Default).FillUniform(t.Data, -bound, bound);
    }
}
