using Loom.Kernels;
using Loom.Tests.GradCheck;
using Xunit;

namespace Loom.Tests.Recurrent;

/// <summary>
/// Finite-difference checks of the recurrent ops: the three cells, and small stacked, bidirectional,
/// batch-first networks with variable lengths, through every output (per-step output, h_n and c_n
/// combined with fixed random weights) and into every input (x, initial states, all weights and biases).
/// </summary>
public class RecurrentGradCheckTests
{
    [Theory]
    [InlineData(RecurrentCellKind.RnnTanh)]
    [InlineData(RecurrentCellKind.Lstm)]
    [InlineData(RecurrentCellKind.Gru)]
    public void Cell(RecurrentCellKind cell)
    {
        var rng = new Rng(11 + (ulong)cell);
        int n = 3, inSize = 4, h = 5, gw = new RecurrentShape(cell, 1, 1, 1, h, false, false).GateWidth;
        var inputs = new[]
        {
            GradChecker.Randn(rng, n, inSize), GradChecker.Rand(rng, -0.8f, 0.8f, n, h), GradChecker.Rand(rng, -0.8f, 0.8f, n, h),
            GradChecker.Rand(rng, -0.6f, 0.6f, gw, inSize), GradChecker.Rand(rng, -0.6f, 0.6f, gw, h),
            GradChecker.Rand(rng, -0.5f, 0.5f, gw), GradChecker.Rand(rng, -0.5f, 0.5f, gw),
        };
        var gc = Tensor.Normal(0f, 1f, [n, h], rng);
        if (cell != RecurrentCellKind.Lstm) inputs[2].RequiresGrad = false;
        GradChecker.Check(t => cell switch
        {
            RecurrentCellKind.Lstm => Combine(Functional.LstmCell(t[0], t[1], t[2], t[3], t[4], t[5], t[6]), gc),
            RecurrentCellKind.Gru => Functional.GruCell(t[0], t[1], t[3], t[4], t[5], t[6]),
            _ => Functional.RnnCell(t[0], t[1], t[3], t[4], t[5], t[6]),
        }, inputs);
    }

    private static Tensor Combine((Tensor H, Tensor C) s, Tensor gc) => s.H + s.C * gc;

    [Theory]
    [InlineData(RecurrentCellKind.Lstm, false)]
    [InlineData(RecurrentCellKind.Lstm, true)]
    [InlineData(RecurrentCellKind.Gru, false)]
    [InlineData(RecurrentCellKind.Gru, true)]
    [InlineData(RecurrentCellKind.RnnTanh, true)]
    public void StackedBidirectionalNetwork(RecurrentCellKind cell, bool batchFirst)
    {
        var rng = new Rng(23 + (ulong)cell * 2 + (batchFirst ? 1UL : 0UL));
        int T = 4, N = 3, inSize = 3, H = 3, layers = 2, D = 2;
        int gw = new RecurrentShape(cell, 1, 1, 1, H, false, false).GateWidth;
        bool lstm = cell == RecurrentCellKind.Lstm;
        var list = new List<Tensor>
        {
            GradChecker.Randn(rng, batchFirst ? [N, T, inSize] : [T, N, inSize]),
            GradChecker.Rand(rng, -0.8f, 0.8f, layers * D, N, H),
        };
        list.Add(lstm ? GradChecker.Rand(rng, -0.8f, 0.8f, layers * D, N, H) : Tensor.Zeros(1));
        for (int l = 0; l < layers; l++)
            for (int d = 0; d < D; d++)
            {
                int layerIn = l == 0 ? inSize : D * H;
                list.Add(GradChecker.Rand(rng, -0.6f, 0.6f, gw, layerIn));
                list.Add(GradChecker.Rand(rng, -0.6f, 0.6f, gw, H));
                list.Add(GradChecker.Rand(rng, -0.5f, 0.5f, gw));
                list.Add(GradChecker.Rand(rng, -0.5f, 0.5f, gw));
            }
        int[] lengths = [4, 1, 3];
        var gOut = Tensor.Normal(0f, 1f, batchFirst ? [N, T, D * H] : [T, N, D * H], rng);
        var gH = Tensor.Normal(0f, 1f, [layers * D, N, H], rng);
        var gC = Tensor.Normal(0f, 1f, [layers * D, N, H], rng);
        GradChecker.Check(t =>
        {
            var weights = Enumerable.Range(0, layers * D).Select(k => new RecurrentWeights(t[3 + 4 * k], t[4 + 4 * k], t[5 + 4 * k], t[6 + 4 * k])).ToList();
            var r = Functional.Recurrent(cell, t[0], weights, layers, true, t[1], lstm ? t[2] : null, lengths, batchFirst);
            var loss = (r.Output * gOut).Sum() + (r.H * gH).Sum();
            return r.C is null ? loss : loss + (r.C * gC).Sum();
        }, list.ToArray());
    }

    [Fact]
    public void Embedding()
    {
        // Without a padding row: withholding its gradient is by design, not the derivative.
        var rng = new Rng(3);
        var idx = Tensor.FromArray([1, 4, 1, 0, 2, 4], 2, 3);
        GradChecker.Check(w => Functional.Embedding(idx, w), GradChecker.Randn(rng, 5, 3));
    }
}
