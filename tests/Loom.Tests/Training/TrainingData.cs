using Loom.Data;
using Loom.Nn;

namespace Loom.Tests.Training;

/// <summary>Small synthetic problems for the training-loop tests, from fixed generators (no global state).</summary>
internal static class TrainingData
{
    /// <summary>
    /// Two Gaussian blobs in the plane, class 0 around (−2, −2) and class 1 around (2, 2), unit
    /// variance: the classes overlap in about 0.2% of samples, so a linear model can reach > 99%.
    /// Features (n, 2), labels alternating 0, 1, 0, 1, ….
    /// </summary>
    public static TensorDataset Blobs(int n, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new float[n * 2];
        var y = new float[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = i % 2;
            float centre = y[i] == 0 ? -2f : 2f;
            x[2 * i] = centre + rng.NextNormal();
            x[2 * i + 1] = centre + rng.NextNormal();
        }
        return new TensorDataset(new Tensor(x, n, 2), new Tensor(y, n), classCount: 2);
    }

    /// <summary>A Linear(2, 2) that starts out wrong: it scores class 0 high where class 1 lives.</summary>
    public static Linear WrongLinear()
    {
        var m = new Linear(2, 2);
        float[] w = [0.5f, 0.5f, -0.5f, -0.5f];
        w.CopyTo(m.Weight.Data, 0);
        m.Bias!.Data.AsSpan().Clear();
        return m;
    }

    public static DataLoader Loader(TensorDataset data, int batchSize, bool shuffle = true, ulong seed = 1) =>
        new(data, batchSize, shuffle, seed, prefetch: 0);
}
