namespace Loom.Kernels;

/// <summary>
/// The naive twin of <see cref="RecurrentKernel"/>: one sequence, one step and one gate unit at a time,
/// with the dot products written out and the equations exactly as PyTorch documents them. Same
/// arguments and conventions (row order, lengths, accumulation into gradients); used by tests.
/// </summary>
public static class RecurrentKernelReference
{
    /// <summary>What one active step of one sequence computed, kept for backward.</summary>
    private sealed class StepRecord
    {
        public required float[] HPrev, CPrev, Act, HiddenPart;
    }

    private static float Sigmoid(float v) => 1f / (1f + MathF.Exp(-v));

    /// <summary>Same contract as <see cref="RecurrentKernel.Forward"/>, without a workspace.</summary>
    public static void Forward(in RecurrentShape s, ReadOnlySpan<float> x, int ldx, CellWeights w,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, ReadOnlySpan<int> lengths,
        Span<float> y, int ldy, Span<float> hN, Span<float> cN) =>
        Run(s, x, ldx, w, h0, c0, lengths, y, ldy, hN, cN);

    private static StepRecord?[] Run(in RecurrentShape s, ReadOnlySpan<float> x, int ldx, CellWeights w,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, ReadOnlySpan<int> lengths,
        Span<float> y, int ldy, Span<float> hN, Span<float> cN)
    {
        int T = s.Steps, N = s.Batch, H = s.HiddenSize, In = s.InputSize, G = s.GateWidth;
        var records = new StepRecord?[s.Rows];
        for (int n = 0; n < N; n++)
        {
            var h = new float[H];
            var c = new float[H];
            for (int k = 0; k < H; k++)
            {
                h[k] = h0.IsEmpty ? 0f : h0[n * H + k];
                c[k] = c0.IsEmpty ? 0f : c0[n * H + k];
            }
            for (int step = 0; step < T; step++)
            {
                int t = s.StepAt(step);
                int row = s.Row(t, n);
                if (!lengths.IsEmpty && t >= lengths[n])
                {
                    for (int k = 0; k < H; k++) y[row * ldy + k] = 0f;
                    continue;
                }
                // Pre-activations: ax = W_ih·x + b_ih and ah = W_hh·h + b_hh, each gate unit on its own.
                var ax = new float[G];
                var ah = new float[G];
                for (int j = 0; j < G; j++)
                {
                    float sx = w.BiasInputHidden.IsEmpty ? 0f : w.BiasInputHidden[j];
                    for (int k = 0; k < In; k++) sx += w.InputHidden[j * In + k] * x[row * ldx + k];
                    float sh = w.BiasHiddenHidden.IsEmpty ? 0f : w.BiasHiddenHidden[j];
                    for (int k = 0; k < H; k++) sh += w.HiddenHidden[j * H + k] * h[k];
                    ax[j] = sx;
                    ah[j] = sh;
                }
                var rec = new StepRecord { HPrev = (float[])h.Clone(), CPrev = (float[])c.Clone(), Act = new float[G], HiddenPart = ah };
                var a = rec.Act;
                for (int k = 0; k < H; k++)
                {
                    switch (s.Cell)
                    {
                        case RecurrentCellKind.RnnTanh:
                            a[k] = MathF.Tanh(ax[k] + ah[k]);
                            h[k] = a[k];
                            break;
                        case RecurrentCellKind.RnnRelu:
                            a[k] = Math.Max(0f, ax[k] + ah[k]);
                            h[k] = a[k];
                            break;
                        case RecurrentCellKind.Lstm:
                            float i = Sigmoid(ax[k] + ah[k]);
                            float f = Sigmoid(ax[H + k] + ah[H + k]);
                            float g = MathF.Tanh(ax[2 * H + k] + ah[2 * H + k]);
                            float o = Sigmoid(ax[3 * H + k] + ah[3 * H + k]);
                            (a[k], a[H + k], a[2 * H + k], a[3 * H + k]) = (i, f, g, o);
                            c[k] = f * c[k] + i * g;
                            h[k] = o * MathF.Tanh(c[k]);
                            break;
                        default:
                            float r = Sigmoid(ax[k] + ah[k]);
                            float z = Sigmoid(ax[H + k] + ah[H + k]);
                            float nn = MathF.Tanh(ax[2 * H + k] + r * ah[2 * H + k]);
                            (a[k], a[H + k], a[2 * H + k]) = (r, z, nn);
                            h[k] = (1f - z) * nn + z * h[k];
                            break;
                    }
                }
                for (int k = 0; k < H; k++) y[row * ldy + k] = h[k];
                records[row] = rec;
            }
            for (int k = 0; k < H; k++)
            {
                hN[n * H + k] = h[k];
                if (s.Cell == RecurrentCellKind.Lstm) cN[n * H + k] = c[k];
            }
        }
        return records;
    }

    /// <summary>
    /// As <see cref="Forward"/>, and also what each active row computed inside the cell, for looking at a trained
    /// network: the gate activations (Rows × G: i, f, g, o for an LSTM, r, z, n for a GRU, h for an RNN) and, for an
    /// LSTM, the cell state after the step (Rows × H); rows past a sequence's length stay zero.
    /// </summary>
    public static (float[] Gates, float[] Cells) ForwardWithGates(in RecurrentShape s, ReadOnlySpan<float> x, int ldx, CellWeights w,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, ReadOnlySpan<int> lengths, Span<float> y, int ldy, Span<float> hN, Span<float> cN)
    {
        var records = Run(s, x, ldx, w, h0, c0, lengths, y, ldy, hN, cN);
        int H = s.HiddenSize, G = s.GateWidth;
        var gates = new float[s.Rows * G];
        var cells = new float[s.Cell == RecurrentCellKind.Lstm ? s.Rows * H : 0];
        for (int row = 0; row < records.Length; row++)
        {
            if (records[row] is not { } r) continue;
            r.Act.CopyTo(gates, row * G);
            if (cells.Length == 0) continue;
            // c' = f⊙c + i⊙g, from the step's own gates and the cell state it started from.
            for (int k = 0; k < H; k++) cells[row * H + k] = r.Act[H + k] * r.CPrev[k] + r.Act[k] * r.Act[2 * H + k];
        }
        return (gates, cells);
    }

    /// <summary>Same contract as <see cref="RecurrentKernel.Backward"/>, recomputing the forward pass itself.</summary>
    public static void Backward(in RecurrentShape s, ReadOnlySpan<float> x, int ldx, CellWeights w,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, ReadOnlySpan<int> lengths,
        ReadOnlySpan<float> dy, int lddy, ReadOnlySpan<float> dhN, ReadOnlySpan<float> dcN,
        Span<float> dx, int lddx, CellGradients grads, Span<float> dh0, Span<float> dc0)
    {
        int T = s.Steps, N = s.Batch, H = s.HiddenSize, In = s.InputSize, G = s.GateWidth;
        var y = new float[s.Rows * H];
        var records = Run(s, x, ldx, w, h0, c0, lengths, y, H, new float[N * H], new float[N * H]);
        for (int n = 0; n < N; n++)
        {
            var dh = new float[H];
            var dc = new float[H];
            for (int k = 0; k < H; k++)
            {
                dh[k] = dhN.IsEmpty ? 0f : dhN[n * H + k];
                dc[k] = dcN.IsEmpty ? 0f : dcN[n * H + k];
            }
            for (int step = T - 1; step >= 0; step--)
            {
                int t = s.StepAt(step);
                int row = s.Row(t, n);
                if (records[row] is not { } rec) continue;
                if (!dy.IsEmpty) for (int k = 0; k < H; k++) dh[k] += dy[row * lddy + k];
                var a = rec.Act;
                var dax = new float[G];   // gradient of W_ih·x + b_ih
                var dah = new float[G];   // gradient of W_hh·h + b_hh
                var dhPrev = new float[H];
                for (int k = 0; k < H; k++)
                {
                    switch (s.Cell)
                    {
                        case RecurrentCellKind.RnnTanh:
                            dax[k] = dah[k] = dh[k] * (1f - a[k] * a[k]);
                            break;
                        case RecurrentCellKind.RnnRelu:
                            dax[k] = dah[k] = a[k] > 0f ? dh[k] : 0f;
                            break;
                        case RecurrentCellKind.Lstm:
                            {
                                float i = a[k], f = a[H + k], g = a[2 * H + k], o = a[3 * H + k];
                                float c = f * rec.CPrev[k] + i * g;
                                float tc = MathF.Tanh(c);
                                float dO = dh[k] * tc;
                                float dcTotal = dc[k] + dh[k] * o * (1f - tc * tc);
                                dax[k] = dah[k] = dcTotal * g * i * (1f - i);
                                dax[H + k] = dah[H + k] = dcTotal * rec.CPrev[k] * f * (1f - f);
                                dax[2 * H + k] = dah[2 * H + k] = dcTotal * i * (1f - g * g);
                                dax[3 * H + k] = dah[3 * H + k] = dO * o * (1f - o);
                                dc[k] = dcTotal * f;
                                break;
                            }
                        default:
                            {
                                float r = a[k], z = a[H + k], nn = a[2 * H + k];
                                float dn = dh[k] * (1f - z) * (1f - nn * nn);
                                float dz = dh[k] * (rec.HPrev[k] - nn) * z * (1f - z);
                                float dr = dn * rec.HiddenPart[2 * H + k] * r * (1f - r);
                                dax[k] = dah[k] = dr;
                                dax[H + k] = dah[H + k] = dz;
                                dax[2 * H + k] = dn;
                                dah[2 * H + k] = dn * r;
                                dhPrev[k] = dh[k] * z;
                                break;
                            }
                    }
                }
                for (int j = 0; j < G; j++)
                {
                    if (!grads.BiasInputHidden.IsEmpty) grads.BiasInputHidden[j] += dax[j];
                    if (!grads.BiasHiddenHidden.IsEmpty) grads.BiasHiddenHidden[j] += dah[j];
                    for (int k = 0; k < In; k++)
                    {
                        if (!grads.InputHidden.IsEmpty) grads.InputHidden[j * In + k] += dax[j] * x[row * ldx + k];
                        if (!dx.IsEmpty) dx[row * lddx + k] += dax[j] * w.InputHidden[j * In + k];
                    }
                    for (int k = 0; k < H; k++)
                    {
                        if (!grads.HiddenHidden.IsEmpty) grads.HiddenHidden[j * H + k] += dah[j] * rec.HPrev[k];
                        dhPrev[k] += dah[j] * w.HiddenHidden[j * H + k];
                    }
                }
                dh = dhPrev;
            }
            for (int k = 0; k < H; k++)
            {
                if (!dh0.IsEmpty) dh0[n * H + k] += dh[k];
                if (s.Cell == RecurrentCellKind.Lstm && !dc0.IsEmpty) dc0[n * H + k] += dc[k];
            }
        }
    }
}
