namespace Loom.Speech;

/// <summary>
/// The CTC loss as an object a trainer holds, PyTorch's <c>nn.CTCLoss(blank, reduction, zero_infinity)</c>:
/// the settings fixed once, the batch given per call. See <see cref="Functional.CtcLoss"/> for the semantics.
/// </summary>
public sealed class CtcLoss
{
    public int Blank { get; }
    public Reduction Reduction { get; }
    public bool ZeroInfinity { get; }

    public CtcLoss(int blank = 0, Reduction reduction = Reduction.Mean, bool zeroInfinity = false)
    {
        if (blank < 0) throw new ArgumentOutOfRangeException(nameof(blank), $"CtcLoss: blank must be a class index ≥ 0, got {blank}.");
        Blank = blank;
        Reduction = reduction;
        ZeroInfinity = zeroInfinity;
    }

    /// <summary>
    /// logProbs: (T, N, C) log-softmax outputs; targets: (N, S) padded or (Σ targetLengths) concatenated;
    /// inputLengths, targetLengths: (N). Returns a scalar, or (N) for <see cref="Reduction.None"/>.
    /// </summary>
    public Tensor Forward(Tensor logProbs, Tensor targets, int[] inputLengths, int[] targetLengths) =>
        Functional.CtcLoss(logProbs, targets, inputLengths, targetLengths, Blank, Reduction, ZeroInfinity);
}
