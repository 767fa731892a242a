using System.Runtime.CompilerServices;
using System.Numerics;
using System.Numerics.Tensors;

namespace Loom.Kernels;

/// <summary>The recurrent cells Loom runs: Elman RNN (tanh or ReLU), LSTM (gates i, f, g, o) and GRU (gates r, z, n).</summary>
public enum RecurrentCellKind { RnnTanh, RnnRelu, Lstm, Gru }

/// <summary>
/// The sizes and row order of one direction of one recurrent layer over a batch of sequences. Every
/// per-step array (input, output, gates, saved states) holds one row per (step t, sequence n), at row
/// <see cref="Row"/>: time-major rows (t·N + n) or, with <see cref="BatchFirst"/>, batch-major rows (n·T + t),
/// so a batch-first tensor is used as it lies, without a transpose.
/// </summary>
public readonly record struct RecurrentShape(RecurrentCellKind Cell, int Steps, int Batch, int InputSize, int HiddenSize, bool BatchFirst, bool Reverse)
{
    /// <summary>Gate blocks per step: 1 (RNN), 4 (LSTM), 3 (GRU).</summary>
    public int GateCount => GateCountOf(Cell);

    /// <summary>Gate blocks per step of <paramref name="cell"/>.</summary>
    public static int GateCountOf(RecurrentCellKind cell) => cell switch { RecurrentCellKind.Lstm => 4, RecurrentCellKind.Gru => 3, _ => 1 };

    /// <summary>Width of a row of gates, GateCount·HiddenSize (the rows of W_ih and W_hh).</summary>
    public int GateWidth => GateCount * HiddenSize;

    /// <summary>Steps × sequences.</summary>
    public int Rows => Steps * Batch;

    /// <summary>Rows between sequence n and n+1 within one step.</summary>
    public int SequenceStride => BatchFirst ? Steps : 1;

    /// <summary>The row of step t of sequence n.</summary>
    public int Row(int t, int n) => BatchFirst ? n * Steps + t : t * Batch + n;

    /// <summary>The time index of the s-th step processed (the reverse direction runs from the last step).</summary>
    public int StepAt(int s) => Reverse ? Steps - 1 - s : s;

    internal void Validate()
    {
        if (Steps <= 0 || Batch <= 0 || InputSize <= 0 || HiddenSize <= 0)
            throw new ArgumentException($"Recurrent kernel: steps, batch, input and hidden sizes must be positive, got T={Steps}, N={Batch}, in={InputSize}, H={HiddenSize}.");
    }
}

/// <summary>The weights of one direction of one layer: W_ih (G·H, in), W_hh (G·H, H), biases (G·H) or empty.</summary>
public readonly ref struct CellWeights(ReadOnlySpan<float> inputHidden, ReadOnlySpan<float> hiddenHidden, ReadOnlySpan<float> biasInputHidden,
    ReadOnlySpan<float> biasHiddenHidden)
{
    public readonly ReadOnlySpan<float> InputHidden = inputHidden;
    public readonly ReadOnlySpan<float> HiddenHidden = hiddenHidden;
    public readonly ReadOnlySpan<float> BiasInputHidden = biasInputHidden;
    public readonly ReadOnlySpan<float> BiasHiddenHidden = biasHiddenHidden;
}

/// <summary>Where the gradients of one direction go, shaped as <see cref="CellWeights"/>; each is added into, and an empty span means "not wanted".</summary>
public readonly ref struct CellGradients(Span<float> inputHidden, Span<float> hiddenHidden, Span<float> biasInputHidden, Span<float> biasHiddenHidden)
{
    public readonly Span<float> InputHidden = inputHidden;
    public readonly Span<float> HiddenHidden = hiddenHidden;
    public readonly Span<float> BiasInputHidden = biasInputHidden;
    public readonly Span<float> BiasHiddenHidden = biasHiddenHidden;
}

/// <summary>
/// One direction of one recurrent layer over whole sequences, forward and backward through time.
/// <para>
/// Forward: the input projection of every step is one GEMM, x (T·N, in)·W_ihᵀ, written into the gate
/// buffer with the biases folded in; each step then adds h·W_hhᵀ for all gates with one matrix product
/// (the blocked <see cref="Gemm"/> for large steps, a row-wise vector loop over a transposed W_hh for
/// small ones) and makes one fused pass for the non-linearities and the state update. Backward (BPTT)
/// walks the steps in reverse: one fused pass turns dh (and dc) into the pre-activation gate gradients,
/// one matrix product carries dh to the previous step; after the loop one GEMM each gives dW_ih, dW_hh
/// (over all steps at once: the states entering each step are kept in step order) and dx.
/// </para>
/// <para>
/// Variable lengths: a sequence whose length is ≤ t is inactive at step t — its state passes through
/// unchanged, its output row is zero and no gradient flows through the step. The reverse direction thus
/// starts at each sequence's own last valid step, as PyTorch's packed sequences do.
/// </para>
/// <para>
/// All per-step values that backward needs are kept in a workspace the caller provides
/// (<see cref="WorkspaceSize"/>), and backward's temporaries in a scratch of <see cref="ScratchSize"/>;
/// the loops allocate nothing. <see cref="RecurrentKernelReference"/> is the naive twin.
/// </para>
/// </summary>
public static unsafe class RecurrentKernel
{
    // Workspace layout (floats), every block in the shape's row order:
    //   gates  Rows·GW  gate activations (RNN: h_t itself; LSTM: i, f, g, o; GRU: r, z, n)
    //   hPrev  Rows·H   the hidden state entering each step
    //   cPrev  Rows·H   LSTM: the cell state entering each step
    //   aux    Rows·H   LSTM: tanh(c_t); GRU: W_hn·h + b_hn
    //   step   N·GW     GRU: h·W_hhᵀ of the current step (also the folded bias, once)

    /// <summary>
    /// Below this many multiply–adds per step, h·W_hhᵀ and dG·W_hh run as vector loops along the contiguous
    /// rows of W_hh (one dot product per gate value forward, one AXPY per gate value backward) instead of the
    /// blocked GEMM, whose packing costs more than the product at the sizes of a step (N·4H·H for N = 32,
    /// H = 16 is 32 K multiply–adds). Above it, W_hh is packed once per pass and every step multiplies against
    /// the packed copy (<see cref="PackWhh"/>); a single step (generation) reads W_hh in place, since packing
    /// it would cost more than the step.
    /// </summary>
    private const long SmallStepWork = 1L << 20;

    /// <summary>Multiply–adds of h·W_hhᵀ over the whole sequence from which the batch is split across threads.</summary>
    private const long ParallelSequenceWork = 1L << 22;

    /// <summary>A pinned block seen from a worker thread (spans cannot be captured by a lambda).</summary>
    private readonly struct View
    {
        private readonly nint _p;
        private readonly int _length;

        public View(float* p, int length) => (_p, _length) = ((nint)p, length);
        public View(int* p, int length) => (_p, _length) = ((nint)p, length);
        public Span<float> Floats => new((void*)_p, _length);
        public ReadOnlySpan<int> Ints => new((void*)_p, _length);
    }

    private readonly record struct ForwardViews(View Gates, View HPrev, View CPrev, View Aux, View Step, View BiasHh,
        View Y, int Ldy, View HN, View CN, View Lengths, View Whh, View PackedWhh);

    private readonly record struct BackwardViews(View Gates, View HPrev, View CPrev, View Aux, View DGates, View DGatesH,
        View Dh, View Dc, View Dy, int Lddy, View Lengths, View Whh, View PackedWhh);

    /// <summary>
    /// How many pieces of the batch run through the sequence side by side. The sequences of a batch do not
    /// interact, so each piece runs every step on its own thread without waiting for the others: one fork and
    /// join per pass instead of two per step, which cost more than a small step's work.
    /// </summary>
    private static int BatchParts(in RecurrentShape s, bool parallel) =>
        !parallel || Threading.Threads == 1 || s.Batch < 2 || (long)s.Rows * s.GateWidth * s.HiddenSize < ParallelSequenceWork
            ? 1 : Math.Min(s.Batch, Threading.Threads);

    /// <summary>
    /// Whether W_hh is packed once for all steps (<see cref="Gemm.Pack"/>) rather than read in place: worth it when
    /// there are several steps and each is large enough for the blocked product.
    /// </summary>
    private static bool PackWhh(in RecurrentShape s) => s.Steps > 1 && (long)s.Batch * s.GateWidth * s.HiddenSize > SmallStepWork;

    [ThreadStatic] private static float[]? _packedWhh;

    /// <summary>W_hh packed for h·W_hhᵀ (forward) or dG·W_hh (backward), in a buffer the calling thread keeps.</summary>
    private static float[] PackedWhh(in RecurrentShape s, ReadOnlySpan<float> whh, bool forward)
    {
        int H = s.HiddenSize, gw = s.GateWidth;
        int size = forward ? Gemm.PackedSize(H, gw) : Gemm.PackedSize(gw, H);
        var packed = _packedWhh;
        if (packed is null || packed.Length < size) _packedWhh = packed = GC.AllocateUninitializedArray<float>(size, pinned: true);
        if (forward) Gemm.Pack(true, H, gw, whh, H, packed); // op(B) = W_hhᵀ: H×GW
        else Gemm.Pack(false, gw, H, whh, H, packed);         // op(B) = W_hh: GW×H
        return packed;
    }

    // The threaded passes live in their own methods so that the serial path allocates no closure.
    private static void ForwardParallel(RecurrentShape s, ForwardViews v, int parts) =>
        Threading.For(parts, c => ForwardSteps(s, v, (int)((long)s.Batch * c / parts), (int)((long)s.Batch * (c + 1) / parts), parallel: false));

    private static void BackwardParallel(RecurrentShape s, BackwardViews v, int parts) =>
        Threading.For(parts, c => BackwardSteps(s, v, (int)((long)s.Batch * c / parts), (int)((long)s.Batch * (c + 1) / parts), parallel: false));

    /// <summary>Floats the forward pass needs to keep for backward.</summary>
    public static int WorkspaceSize(in RecurrentShape s)
    {
        long rows = s.Rows, h = s.HiddenSize;
        long size = rows * s.GateWidth + rows * h;
        if (s.Cell == RecurrentCellKind.Lstm) size += 2 * rows * h;
        if (s.Cell == RecurrentCellKind.Gru) size += rows * h;
        size += Math.Max((long)s.Batch * s.GateWidth, s.GateWidth);
        return CheckedLength(size, s);
    }

    /// <summary>Floats of temporaries the backward pass needs.</summary>
    public static int ScratchSize(in RecurrentShape s)
    {
        long rows = s.Rows;
        long size = rows * s.GateWidth * (s.Cell == RecurrentCellKind.Gru ? 2 : 1) + 2L * s.Batch * s.HiddenSize;
        return CheckedLength(size, s);
    }

    private static int CheckedLength(long size, in RecurrentShape s) => size <= Array.MaxLength
        ? (int)size
        : throw new ArgumentException($"Recurrent kernel: T={s.Steps}, N={s.Batch}, H={s.HiddenSize} needs {size} floats of buffers, more than one array holds.");

    /// <summary>Offsets of the workspace blocks (see the layout above); absent blocks have length 0.</summary>
    private readonly record struct Layout(int Gates, int HPrev, int CPrev, int Aux, int Step, int RowsH, int RowsG, int StepLength)
    {
        public static Layout Of(in RecurrentShape s)
        {
            int rowsG = s.Rows * s.GateWidth, rowsH = s.Rows * s.HiddenSize;
            bool lstm = s.Cell == RecurrentCellKind.Lstm, gru = s.Cell == RecurrentCellKind.Gru;
            int hPrev = rowsG, cPrev = hPrev + rowsH, aux = cPrev + (lstm ? rowsH : 0), step = aux + (lstm || gru ? rowsH : 0);
            int stepLength = Math.Max(s.Batch * s.GateWidth, s.GateWidth);
            return new Layout(0, hPrev, cPrev, aux, step, rowsH, rowsG, stepLength);
        }
    }

    private static bool Active(ReadOnlySpan<int> lengths, int t, int n) => lengths.IsEmpty || t < lengths[n];

    /// <summary>
    /// Runs the layer direction over all steps. x: rows of <c>InputSize</c> floats, row stride
    /// <paramref name="ldx"/>. h0, c0: (N, H) or empty for zeros (c0 only for LSTM). lengths: N values in
    /// [0, T] or empty for "all T". Writes y: rows of H floats at stride <paramref name="ldy"/> (zero where a
    /// sequence is inactive), and the final states hN, cN (N, H; cN only for LSTM). Fills
    /// <paramref name="workspace"/> (<see cref="WorkspaceSize"/>) with what <see cref="Backward"/> needs.
    /// </summary>
    public static void Forward(in RecurrentShape s, ReadOnlySpan<float> x, int ldx, CellWeights w,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, ReadOnlySpan<int> lengths,
        Span<float> y, int ldy, Span<float> hN, Span<float> cN, Span<float> workspace, bool parallel = true)
    {
        s.Validate();
        CheckArguments(s, w, h0, c0, lengths, hN, cN, workspace);
        int T = s.Steps, N = s.Batch, H = s.HiddenSize, gw = s.GateWidth, rows = s.Rows;
        var l = Layout.Of(s);
        bool lstm = s.Cell == RecurrentCellKind.Lstm, gru = s.Cell == RecurrentCellKind.Gru;
        var gates = workspace.Slice(l.Gates, l.RowsG);
        var hPrev = workspace.Slice(l.HPrev, l.RowsH);
        var cPrev = lstm ? workspace.Slice(l.CPrev, l.RowsH) : default;
        var aux = lstm || gru ? workspace.Slice(l.Aux, l.RowsH) : default;
        var stepBuf = workspace.Slice(l.Step, l.StepLength);

        // Input projection of every step at once, with the biases folded in as the GEMM stores each tile.
        // GRU keeps b_hn apart: it is scaled by r inside the candidate.
        Span<float> bias = default;
        if (!w.BiasInputHidden.IsEmpty || !w.BiasHiddenHidden.IsEmpty)
        {
            bias = stepBuf[..gw];
            bias.Clear();
            if (!w.BiasInputHidden.IsEmpty) TensorPrimitives.Add(bias, w.BiasInputHidden, bias);
            if (!w.BiasHiddenHidden.IsEmpty)
            {
                int folded = gru ? 2 * H : gw;
                TensorPrimitives.Add(bias[..folded], w.BiasHiddenHidden[..folded], bias[..folded]);
            }
        }
        Gemm.Multiply(false, true, rows, gw, s.InputSize, x, ldx, w.InputHidden, s.InputSize, gates, gw, 0f, parallel, bias);

        int t0 = s.StepAt(0);
        for (int n = 0; n < N; n++)
        {
            var hp = hPrev.Slice(s.Row(t0, n) * H, H);
            if (h0.IsEmpty) hp.Clear(); else h0.Slice(n * H, H).CopyTo(hp);
            if (!lstm) continue;
            var cp = cPrev.Slice(s.Row(t0, n) * H, H);
            if (c0.IsEmpty) cp.Clear(); else c0.Slice(n * H, H).CopyTo(cp);
        }

        int parts = BatchParts(s, parallel);
        ReadOnlySpan<float> packedWhh = PackWhh(s) ? PackedWhh(s, w.HiddenHidden, forward: true) : default;
        fixed (float* pGates = gates, pHPrev = hPrev, pCPrev = cPrev, pAux = aux, pStep = stepBuf, pBias = w.BiasHiddenHidden,
               pY = y, pHN = hN, pCN = cN, pWhh = w.HiddenHidden, pPacked = packedWhh)
        fixed (int* pLengths = lengths)
        {
            var v = new ForwardViews(new View(pGates, gates.Length), new View(pHPrev, hPrev.Length), new View(pCPrev, cPrev.Length),
                new View(pAux, aux.Length), new View(pStep, stepBuf.Length), new View(pBias, w.BiasHiddenHidden.Length),
                new View(pY, y.Length), ldy, new View(pHN, hN.Length), new View(pCN, cN.Length), new View(pLengths, lengths.Length),
                new View(pWhh, w.HiddenHidden.Length), new View(pPacked, packedWhh.Length));
            if (parts > 1) ForwardParallel(s, v, parts);
            else ForwardSteps(s, v, 0, N, parallel);
        }
    }

    /// <summary>Every step, in order, for sequences n0..n1: the recurrent product, then the fused cell update.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardSteps(in RecurrentShape s, in ForwardViews v, int n0, int n1, bool parallel)
    {
        int T = s.Steps, H = s.HiddenSize, gw = s.GateWidth, seq = s.SequenceStride;
        bool gru = s.Cell == RecurrentCellKind.Gru;
        Span<float> gates = v.Gates.Floats, hPrev = v.HPrev.Floats, stepBuf = v.Step.Floats;
        for (int step = 0; step < T; step++)
        {
            int t = s.StepAt(step);
            int next = step + 1 < T ? s.StepAt(step + 1) : -1;
            int first = s.Row(t, n0);
            var hStep = hPrev[(first * H)..];
            if (gru) HiddenProjection(s, t, n0, n1, v.Lengths.Ints, hStep, seq * H, v.Whh.Floats, v.PackedWhh.Floats, stepBuf[(n0 * gw)..], gw, accumulate: false, parallel);
            else HiddenProjection(s, t, n0, n1, v.Lengths.Ints, hStep, seq * H, v.Whh.Floats, v.PackedWhh.Floats, gates[(first * gw)..], seq * gw, accumulate: true, parallel);
            ForwardRows(s, v, t, next, n0, n1);
        }
    }

    /// <summary>The fused pass of one step for sequences n0..n1: non-linearities, state update, output.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardRows(in RecurrentShape s, in ForwardViews v, int t, int next, int n0, int n1)
    {
        int H = s.HiddenSize, gw = s.GateWidth;
        bool lstm = s.Cell == RecurrentCellKind.Lstm;
        Span<float> gates = v.Gates.Floats, hPrev = v.HPrev.Floats, cPrev = v.CPrev.Floats, aux = v.Aux.Floats, stepBuf = v.Step.Floats;
        Span<float> y = v.Y.Floats, hN = v.HN.Floats, cN = v.CN.Floats;
        ReadOnlySpan<float> biasHh = v.BiasHh.Floats;
        ReadOnlySpan<int> lengths = v.Lengths.Ints;
        for (int n = n0; n < n1; n++)
        {
            int row = s.Row(t, n);
            var hIn = hPrev.Slice(row * H, H);
            var hOut = next >= 0 ? hPrev.Slice(s.Row(next, n) * H, H) : hN.Slice(n * H, H);
            var yRow = y.Slice(row * v.Ldy, H);
            Span<float> cIn = default, cOut = default;
            if (lstm)
            {
                cIn = cPrev.Slice(row * H, H);
                cOut = next >= 0 ? cPrev.Slice(s.Row(next, n) * H, H) : cN.Slice(n * H, H);
            }
            if (!Active(lengths, t, n))
            {
                hIn.CopyTo(hOut);
                if (lstm) cIn.CopyTo(cOut);
                yRow.Clear();
                continue;
            }
            var g = gates.Slice(row * gw, gw);
            switch (s.Cell)
            {
                case RecurrentCellKind.RnnTanh:
                    TensorPrimitives.Tanh(g, g);
                    g.CopyTo(hOut);
                    break;
                case RecurrentCellKind.RnnRelu:
                    TensorPrimitives.Max(g, 0f, g);
                    g.CopyTo(hOut);
                    break;
                case RecurrentCellKind.Lstm:
                    LstmStep(g, cIn, cOut, aux.Slice(row * H, H), hOut, H);
                    break;
                default:
                    GruStep(g, stepBuf.Slice(n * gw, gw), biasHh, aux.Slice(row * H, H), hIn, hOut, H);
                    break;
            }
            hOut.CopyTo(yRow);
        }
    }

    /// <summary>i, f, o = σ(·), g = tanh(·); c = f⊙c_prev + i⊙g; h = o⊙tanh(c). Activations replace the pre-activations.</summary>
    private static void LstmStep(Span<float> gates, ReadOnlySpan<float> cIn, Span<float> cOut, Span<float> tanhC, Span<float> hOut, int H)
    {
        TensorPrimitives.Sigmoid(gates[..(2 * H)], gates[..(2 * H)]);
        var i = gates[..H];
        var f = gates.Slice(H, H);
        var g = gates.Slice(2 * H, H);
        var o = gates.Slice(3 * H, H);
        TensorPrimitives.Tanh(g, g);
        TensorPrimitives.Sigmoid(o, o);
        TensorPrimitives.Multiply(f, cIn, cOut);
        TensorPrimitives.FusedMultiplyAdd(i, g, cOut, cOut);
        TensorPrimitives.Tanh(cOut, tanhC);
        TensorPrimitives.Multiply(o, tanhC, hOut);
    }

    /// <summary>r, z = σ(x-part + h-part); n = tanh(x_n + r⊙(W_hn·h + b_hn)); h' = (1 − z)⊙n + z⊙h.</summary>
    private static void GruStep(Span<float> gates, Span<float> hProj, ReadOnlySpan<float> biasHh, Span<float> hn, ReadOnlySpan<float> hIn, Span<float> hOut, int H)
    {
        var rz = gates[..(2 * H)];
        TensorPrimitives.Add(rz, hProj[..(2 * H)], rz);
        TensorPrimitives.Sigmoid(rz, rz);
        var r = gates[..H];
        var z = gates.Slice(H, H);
        var n = gates.Slice(2 * H, H);
        if (biasHh.IsEmpty) hProj.Slice(2 * H, H).CopyTo(hn);
        else TensorPrimitives.Add(hProj.Slice(2 * H, H), biasHh.Slice(2 * H, H), hn);
        TensorPrimitives.FusedMultiplyAdd(r, hn, n, n);
        TensorPrimitives.Tanh(n, n);
        TensorPrimitives.Subtract(hIn, n, hOut);
        TensorPrimitives.FusedMultiplyAdd(z, hOut, n, hOut);
    }

    /// <summary>
    /// Backpropagation through time for one direction, after <see cref="Forward"/> filled
    /// <paramref name="workspace"/> with the same arguments. dy: output gradient rows (stride
    /// <paramref name="lddy"/>) or empty; dhN, dcN: gradients of the final states or empty. Adds into dx
    /// (stride <paramref name="lddx"/>), the weight gradients in <paramref name="grads"/>, dh0 and dc0;
    /// any of them may be empty when not wanted. <paramref name="scratch"/> holds <see cref="ScratchSize"/> floats.
    /// </summary>
    public static void Backward(in RecurrentShape s, ReadOnlySpan<float> x, int ldx, CellWeights w, ReadOnlySpan<int> lengths,
        ReadOnlySpan<float> workspace, ReadOnlySpan<float> dy, int lddy, ReadOnlySpan<float> dhN, ReadOnlySpan<float> dcN,
        Span<float> dx, int lddx, CellGradients grads, Span<float> dh0, Span<float> dc0, Span<float> scratch, bool parallel = true)
    {
        s.Validate();
        int T = s.Steps, N = s.Batch, H = s.HiddenSize, gw = s.GateWidth, rows = s.Rows, inSize = s.InputSize;
        if (workspace.Length < WorkspaceSize(s)) throw new ArgumentException($"Recurrent backward: workspace has {workspace.Length} floats, needs {WorkspaceSize(s)}.");
        if (scratch.Length < ScratchSize(s)) throw new ArgumentException($"Recurrent backward: scratch has {scratch.Length} floats, needs {ScratchSize(s)}.");
        bool lstm = s.Cell == RecurrentCellKind.Lstm, gru = s.Cell == RecurrentCellKind.Gru;
        var l = Layout.Of(s);
        var gates = workspace.Slice(l.Gates, l.RowsG);
        var hPrev = workspace.Slice(l.HPrev, l.RowsH);
        var cPrev = lstm ? workspace.Slice(l.CPrev, l.RowsH) : default;
        var aux = lstm || gru ? workspace.Slice(l.Aux, l.RowsH) : default;
        int o = 0;
        var dGates = scratch.Slice(o, rows * gw); o += rows * gw;
        var dGatesH = dGates; // gradient of the h-part of the gates; only GRU's differs (its n block is scaled by r)
        if (gru) { dGatesH = scratch.Slice(o, rows * gw); o += rows * gw; }
        var dh = scratch.Slice(o, N * H); o += N * H;
        var dc = scratch.Slice(o, N * H);

        if (dhN.IsEmpty) dh.Clear(); else dhN[..(N * H)].CopyTo(dh);
        if (lstm) { if (dcN.IsEmpty) dc.Clear(); else dcN[..(N * H)].CopyTo(dc); }

        int parts = BatchParts(s, parallel);
        ReadOnlySpan<float> packedWhh = PackWhh(s) ? PackedWhh(s, w.HiddenHidden, forward: false) : default;
        fixed (float* pGates = gates, pHPrev = hPrev, pCPrev = cPrev, pAux = aux, pDG = dGates, pDGH = dGatesH, pDh = dh, pDc = dc, pDy = dy,
               pWhh = w.HiddenHidden, pPacked = packedWhh)
        fixed (int* pLengths = lengths)
        {
            var v = new BackwardViews(new View(pGates, gates.Length), new View(pHPrev, hPrev.Length), new View(pCPrev, cPrev.Length),
                new View(pAux, aux.Length), new View(pDG, dGates.Length), new View(pDGH, dGatesH.Length), new View(pDh, dh.Length),
                new View(pDc, dc.Length), new View(pDy, dy.Length), lddy, new View(pLengths, lengths.Length),
                new View(pWhh, w.HiddenHidden.Length), new View(pPacked, packedWhh.Length));
            if (parts > 1) BackwardParallel(s, v, parts);
            else BackwardSteps(s, v, 0, N, parallel);
        }

        if (!dh0.IsEmpty) TensorPrimitives.Add(dh0[..(N * H)], dh, dh0[..(N * H)]);
        if (lstm && !dc0.IsEmpty) TensorPrimitives.Add(dc0[..(N * H)], dc, dc0[..(N * H)]);

        if (!grads.InputHidden.IsEmpty)
            Gemm.Multiply(true, false, gw, inSize, rows, dGates, gw, x, ldx, grads.InputHidden, inSize, 1f, parallel);
        if (!grads.HiddenHidden.IsEmpty)
            Gemm.Multiply(true, false, gw, H, rows, dGatesH, gw, hPrev, H, grads.HiddenHidden, H, 1f, parallel);
        if (!grads.BiasInputHidden.IsEmpty) SumRows(dGates, rows, gw, grads.BiasInputHidden);
        if (!grads.BiasHiddenHidden.IsEmpty) SumRows(dGatesH, rows, gw, grads.BiasHiddenHidden);
        if (!dx.IsEmpty)
            Gemm.Multiply(false, false, rows, inSize, gw, dGates, gw, w.InputHidden, inSize, dx, lddx, 1f, parallel);
    }

    /// <summary>Every step, last to first, for sequences n0..n1: gate gradients, then dh_prev through W_hh.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardSteps(in RecurrentShape s, in BackwardViews v, int n0, int n1, bool parallel)
    {
        int H = s.HiddenSize, gw = s.GateWidth, seq = s.SequenceStride;
        Span<float> dGatesH = v.DGatesH.Floats, dh = v.Dh.Floats;
        for (int step = s.Steps - 1; step >= 0; step--)
        {
            int t = s.StepAt(step);
            BackwardRows(s, v, t, n0, n1);
            // dh_prev (+)= dGates_h · W_hh: active rows were reset (RNN, LSTM) or scaled by z (GRU) above;
            // inactive rows have zero gate gradients and keep their dh untouched.
            int first = s.Row(t, n0);
            HiddenProjectionBackward(s, t, n0, n1, v.Lengths.Ints, dGatesH[(first * gw)..], seq * gw, v.Whh.Floats, v.PackedWhh.Floats, dh[(n0 * H)..], parallel);
        }
    }

    /// <summary>The fused backward pass of one step for sequences n0..n1: from dh (and dc) to the gate gradients.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardRows(in RecurrentShape s, in BackwardViews v, int t, int n0, int n1)
    {
        int H = s.HiddenSize, gw = s.GateWidth;
        bool gru = s.Cell == RecurrentCellKind.Gru;
        ReadOnlySpan<float> gates = v.Gates.Floats, hPrev = v.HPrev.Floats, cPrev = v.CPrev.Floats, aux = v.Aux.Floats, dy = v.Dy.Floats;
        Span<float> dGates = v.DGates.Floats, dGatesH = v.DGatesH.Floats, dh = v.Dh.Floats, dc = v.Dc.Floats;
        ReadOnlySpan<int> lengths = v.Lengths.Ints;
        for (int n = n0; n < n1; n++)
        {
            int row = s.Row(t, n);
            var dg = dGates.Slice(row * gw, gw);
            if (!Active(lengths, t, n))
            {
                dg.Clear();
                if (gru) dGatesH.Slice(row * gw, gw).Clear();
                continue;
            }
            var dhn = dh.Slice(n * H, H);
            if (!dy.IsEmpty) TensorPrimitives.Add(dhn, dy.Slice(row * v.Lddy, H), dhn);
            var g = gates.Slice(row * gw, gw);
            switch (s.Cell)
            {
                case RecurrentCellKind.RnnTanh:
                    TanhGrad(g, dhn, dg);
                    dhn.Clear();
                    break;
                case RecurrentCellKind.RnnRelu:
                    ReluGrad(g, dhn, dg);
                    dhn.Clear();
                    break;
                case RecurrentCellKind.Lstm:
                    LstmStepBackward(g, cPrev.Slice(row * H, H), aux.Slice(row * H, H), dhn, dc.Slice(n * H, H), dg, H);
                    break;
                default:
                    GruStepBackward(g, hPrev.Slice(row * H, H), aux.Slice(row * H, H), dhn, dg, dGatesH.Slice(row * gw, gw), H);
                    break;
            }
        }
    }

    /// <summary>
    /// c (rows n0..n1, GW each, stride ldc) = or += h (same rows, H each, stride ldh)·W_hhᵀ, where h and c start at
    /// row n0; rows inactive at step t are skipped on the small path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HiddenProjection(in RecurrentShape s, int t, int n0, int n1, ReadOnlySpan<int> lengths, ReadOnlySpan<float> h, int ldh,
        ReadOnlySpan<float> whh, ReadOnlySpan<float> packedWhh, Span<float> c, int ldc, bool accumulate, bool parallel)
    {
        int rows = n1 - n0, H = s.HiddenSize, gw = s.GateWidth;
        float beta = accumulate ? 1f : 0f;
        if (!packedWhh.IsEmpty) { Gemm.MultiplyPacked(rows, gw, H, h, ldh, packedWhh, c, ldc, beta); return; }
        if ((long)rows * gw * H > SmallStepWork) { Gemm.Multiply(false, true, rows, gw, H, h, ldh, whh, H, c, ldc, beta, parallel); return; }
        // One row at a time (inactive rows skipped): the GEMM's few-rows path, dot products against W_hh's rows in
        // place, which splits a large W_hh between the threads when the caller runs the batch on one thread (generation).
        for (int r = 0; r < rows; r++)
            if (Active(lengths, t, n0 + r))
                Gemm.Multiply(false, true, 1, gw, H, h.Slice(r * ldh, H), H, whh, H, c.Slice(r * ldc, gw), gw, beta, parallel);
    }

    /// <summary>dh (rows n0..n1, H each, from row n0) += dG (same rows, GW each, stride ldg)·W_hh; inactive rows (zero dG) are skipped on the small path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HiddenProjectionBackward(in RecurrentShape s, int t, int n0, int n1, ReadOnlySpan<int> lengths, ReadOnlySpan<float> dg, int ldg,
        ReadOnlySpan<float> whh, ReadOnlySpan<float> packedWhh, Span<float> dh, bool parallel)
    {
        int rows = n1 - n0, H = s.HiddenSize, gw = s.GateWidth;
        if (!packedWhh.IsEmpty) { Gemm.MultiplyPacked(rows, H, gw, dg, ldg, packedWhh, dh, H, 1f); return; }
        if ((long)rows * gw * H > SmallStepWork) { Gemm.Multiply(false, false, rows, H, gw, dg, ldg, whh, H, dh, H, 1f, parallel); return; }
        for (int r = 0; r < rows; r++)
        {
            if (!Active(lengths, t, n0 + r)) continue;
            var g = dg.Slice(r * ldg, gw);
            var d = dh.Slice(r * H, H);
            for (int j = 0; j < gw; j++) TensorPrimitives.MultiplyAdd(whh.Slice(j * H, H), g[j], d, d);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SumRows(ReadOnlySpan<float> m, int rows, int cols, Span<float> acc)
    {
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(acc[..cols], m.Slice(r * cols, cols), acc[..cols]);
    }

    /// <summary>dg = dh·(1 − h²), from h = tanh(a).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TanhGrad(ReadOnlySpan<float> h, ReadOnlySpan<float> dh, Span<float> dg)
    {
        int j = 0;
        var one = Vector<float>.One;
        for (; j <= h.Length - Vector<float>.Count; j += Vector<float>.Count)
        {
            var hv = new Vector<float>(h[j..]);
            (new Vector<float>(dh[j..]) * (one - hv * hv)).CopyTo(dg[j..]);
        }
        for (; j < h.Length; j++) dg[j] = dh[j] * (1f - h[j] * h[j]);
    }

    /// <summary>dg = dh where h &gt; 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ReluGrad(ReadOnlySpan<float> h, ReadOnlySpan<float> dh, Span<float> dg)
    {
        for (int j = 0; j < h.Length; j++) dg[j] = h[j] > 0f ? dh[j] : 0f;
    }

    /// <summary>
    /// From dh and dc (of the step's outputs) to the pre-activation gate gradients; leaves dc_prev in
    /// <paramref name="dc"/> and zero in <paramref name="dh"/> (the GEMM with W_hh adds dh_prev).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LstmStepBackward(ReadOnlySpan<float> gates, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> tanhC,
        Span<float> dh, Span<float> dc, Span<float> dg, int H)
    {
        var i = gates[..H];
        var f = gates.Slice(H, H);
        var g = gates.Slice(2 * H, H);
        var o = gates.Slice(3 * H, H);
        var di = dg[..H];
        var df = dg.Slice(H, H);
        var dgg = dg.Slice(2 * H, H);
        var dO = dg.Slice(3 * H, H);
        int j = 0;
        var one = Vector<float>.One;
        for (; j <= H - Vector<float>.Count; j += Vector<float>.Count)
        {
            var iv = new Vector<float>(i[j..]);
            var fv = new Vector<float>(f[j..]);
            var gv = new Vector<float>(g[j..]);
            var ov = new Vector<float>(o[j..]);
            var tc = new Vector<float>(tanhC[j..]);
            var dhv = new Vector<float>(dh[j..]);
            var dct = new Vector<float>(dc[j..]) + dhv * ov * (one - tc * tc);
            (dhv * tc * ov * (one - ov)).CopyTo(dO[j..]);
            (dct * gv * iv * (one - iv)).CopyTo(di[j..]);
            (dct * new Vector<float>(cPrev[j..]) * fv * (one - fv)).CopyTo(df[j..]);
            (dct * iv * (one - gv * gv)).CopyTo(dgg[j..]);
            (dct * fv).CopyTo(dc[j..]);
        }
        for (; j < H; j++)
        {
            float tc = tanhC[j], dhv = dh[j];
            float dct = dc[j] + dhv * o[j] * (1f - tc * tc);
            dO[j] = dhv * tc * o[j] * (1f - o[j]);
            di[j] = dct * g[j] * i[j] * (1f - i[j]);
            df[j] = dct * cPrev[j] * f[j] * (1f - f[j]);
            dgg[j] = dct * i[j] * (1f - g[j] * g[j]);
            dc[j] = dct * f[j];
        }
        dh.Clear();
    }

    /// <summary>
    /// From dh' to the gate gradients of the input part (dgx: r, z, n pre-activations) and of the hidden
    /// part (dgh: the same r, z, and dn⊙r for W_hn·h + b_hn); leaves z⊙dh' (the direct path) in dh.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GruStepBackward(ReadOnlySpan<float> gates, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> hn,
        Span<float> dh, Span<float> dgx, Span<float> dgh, int H)
    {
        var r = gates[..H];
        var z = gates.Slice(H, H);
        var n = gates.Slice(2 * H, H);
        int j = 0;
        var one = Vector<float>.One;
        for (; j <= H - Vector<float>.Count; j += Vector<float>.Count)
        {
            var rv = new Vector<float>(r[j..]);
            var zv = new Vector<float>(z[j..]);
            var nv = new Vector<float>(n[j..]);
            var dhv = new Vector<float>(dh[j..]);
            var dan = dhv * (one - zv) * (one - nv * nv);
            var dar = dan * new Vector<float>(hn[j..]) * rv * (one - rv);
            var daz = dhv * (new Vector<float>(hPrev[j..]) - nv) * zv * (one - zv);
            dar.CopyTo(dgx[j..]);
            dar.CopyTo(dgh[j..]);
            daz.CopyTo(dgx[(H + j)..]);
            daz.CopyTo(dgh[(H + j)..]);
            dan.CopyTo(dgx[(2 * H + j)..]);
            (dan * rv).CopyTo(dgh[(2 * H + j)..]);
            (dhv * zv).CopyTo(dh[j..]);
        }
        for (; j < H; j++)
        {
            float dhv = dh[j];
            float dan = dhv * (1f - z[j]) * (1f - n[j] * n[j]);
            float dar = dan * hn[j] * r[j] * (1f - r[j]);
            float daz = dhv * (hPrev[j] - n[j]) * z[j] * (1f - z[j]);
            dgx[j] = dgh[j] = dar;
            dgx[H + j] = dgh[H + j] = daz;
            dgx[2 * H + j] = dan;
            dgh[2 * H + j] = dan * r[j];
            dh[j] = dhv * z[j];
        }
    }

    private static void CheckArguments(in RecurrentShape s, CellWeights w, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0,
        ReadOnlySpan<int> lengths, Span<float> hN, Span<float> cN, Span<float> workspace)
    {
        int gw = s.GateWidth, H = s.HiddenSize, N = s.Batch;
        if (w.InputHidden.Length != gw * s.InputSize || w.HiddenHidden.Length != gw * H)
            throw new ArgumentException($"Recurrent kernel: W_ih needs {gw}×{s.InputSize} and W_hh {gw}×{H} floats, got {w.InputHidden.Length} and {w.HiddenHidden.Length}.");
        if ((!w.BiasInputHidden.IsEmpty && w.BiasInputHidden.Length != gw) || (!w.BiasHiddenHidden.IsEmpty && w.BiasHiddenHidden.Length != gw))
            throw new ArgumentException($"Recurrent kernel: biases need {gw} floats.");
        if ((!h0.IsEmpty && h0.Length < N * H) || hN.Length < N * H)
            throw new ArgumentException($"Recurrent kernel: hidden states need {N}×{H} floats.");
        if (s.Cell == RecurrentCellKind.Lstm && ((!c0.IsEmpty && c0.Length < N * H) || cN.Length < N * H))
            throw new ArgumentException($"Recurrent kernel: cell states need {N}×{H} floats.");
        if (!lengths.IsEmpty)
        {
            if (lengths.Length != N) throw new ArgumentException($"Recurrent kernel: {lengths.Length} lengths for a batch of {N}.");
            foreach (int len in lengths)
                if (len < 0 || len > s.Steps) throw new ArgumentException($"Recurrent kernel: length {len} is outside [0, {s.Steps}].");
        }
        if (workspace.Length < WorkspaceSize(s)) throw new ArgumentException($"Recurrent kernel: workspace has {workspace.Length} floats, needs {WorkspaceSize(s)}.");
    }
}
