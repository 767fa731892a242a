namespace Loom.Nn;

/// <summary>
/// Batch normalisation per channel, with learnable scale (weight) and shift (bias) and running
/// statistics for evaluation. <see cref="BatchNorm1d"/> takes (N, C) or (N, C, L); <see cref="BatchNorm2d"/> (N, C, H, W).
/// </summary>
public abstract class BatchNorm : Module
{
    public int NumFeatures { get; }
    public float Eps { get; }
    public float Momentum { get; }
    public Parameter? Weight { get; }      // (C), γ
    public Parameter? Bias { get; }        // (C), β
    public Tensor RunningMean { get; }     // (C)
    public Tensor RunningVar { get; }      // (C)
    public Tensor NumBatchesTracked { get; } // () — counts training batches, as PyTorch's buffer
    private readonly int[] _ranks;

    protected BatchNorm(int numFeatures, float eps, float momentum, bool affine, params int[] ranks)
    {
        if (numFeatures <= 0) throw new ArgumentException($"{GetType().Name}: num_features must be positive, got {numFeatures}.");
        (NumFeatures, Eps, Momentum, _ranks) = (numFeatures, eps, momentum, ranks);
        if (affine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones(numFeatures));
            Bias = RegisterParameter("bias", Tensor.Zeros(numFeatures));
        }
        RunningMean = RegisterBuffer("running_mean", Tensor.Zeros(numFeatures));
        RunningVar = RegisterBuffer("running_var", Tensor.Ones(numFeatures));
        NumBatchesTracked = RegisterBuffer("num_batches_tracked", new Tensor([0f]));
    }

    public override Tensor Forward(Tensor x)
    {
        if (!_ranks.Contains(x.Rank) || x.Shape[1] != NumFeatures)
            throw new ArgumentException($"{Label}: expected input {string.Join(" or ", _ranks.Select(r => ExpectedShape(r)))}, got {ShapeUtil.Format(x.Shape)}.");
        if (Training) NumBatchesTracked.Data[0] += 1;
        return Functional.BatchNorm(x, RunningMean, RunningVar, Weight, Bias, Training, Momentum, Eps, Label);
    }

    private string ExpectedShape(int rank) => rank switch
    {
        2 => $"(N, {NumFeatures})",
        3 => $"(N, {NumFeatures}, L)",
        _ => $"(N, {NumFeatures}, H, W)",
    };

    protected override bool DescriptionIsFixed => true;

    public override string Describe() =>
        $"{GetType().Name}({NumFeatures}, eps={Eps.ToString("0.#####e+00", System.Globalization.CultureInfo.InvariantCulture)}, momentum={Momentum.ToString(System.Globalization.CultureInfo.InvariantCulture)}, affine={PyBool(Weight is not null)})";
}

/// <summary>Batch norm over (N, C) or (N, C, L).</summary>
public sealed class BatchNorm1d(int numFeatures, float eps = 1e-5f, float momentum = 0.1f, bool affine = true)
    : BatchNorm(numFeatures, eps, momentum, affine, 2, 3);

/// <summary>Batch norm over (N, C, H, W).</summary>
public sealed class BatchNorm2d(int numFeatures, float eps = 1e-5f, float momentum = 0.1f, bool affine = true)
    : BatchNorm(numFeatures, eps, momentum, affine, 4);
