using Loom.Kernels;
using Xunit;

namespace Loom.Tests.Recurrent;

/// <summary>
/// The fused recurrent kernels against their naive twin (<see cref="RecurrentKernelReference"/>) on random,
/// odd shapes: every cell, both directions, both row orders, with and without biases, initial states and
/// variable lengths, outputs written into a strided slice of a wider buffer (as a bidirectional layer
/// does). Workspaces and scratch start full of NaN, so a value read before it is written shows.
/// </summary>
public class RecurrentKernelTests
{
    public static TheoryData<RecurrentCellKind, int, int, int, int, bool, bool, bool, bool> Shapes()
    {
        var data = new TheoryData<RecurrentCellKind, int, int, int, int, bool, bool, bool, bool>();
        foreach (var cell in Enum.GetValues<RecurrentCellKind>())
        {
            // cell, T, N, in, H, batchFirst, reverse, lengths, biases and states
            data.Add(cell, 1, 1, 1, 1, false, false, false, false);
            data.Add(cell, 7, 5, 11, 13, false, false, true, true);
            data.Add(cell, 6, 3, 5, 9, true, true, true, true);
            data.Add(cell, 5, 4, 3, 37, false, true, false, true);
            data.Add(cell, 9, 2, 17, 19, true, false, true, false);
            data.Add(cell, 4, 40, 33, 8, false, false, true, true); // input GEMMs past the naive-size cut-off
            data.Add(cell, 3, 70, 5, 128, true, true, true, true);  // per-step products on the blocked GEMM
            data.Add(cell, 2, 260, 3, 128, false, true, true, true); // fused passes split across threads
        }
        return data;
    }

    [Theory, MemberData(nameof(Shapes))]
    public void FastMatchesNaive(RecurrentCellKind cell, int T, int N, int inSize, int H, bool batchFirst, bool reverse, bool withLengths, bool full)
    {
        var rng = new Rng((ulong)(T * 1000 + N * 100 + H + (int)cell * 7 + (batchFirst ? 3 : 0) + (reverse ? 5 : 0)));
        var s = new RecurrentShape(cell, T, N, inSize, H, batchFirst, reverse);
        int gw = s.GateWidth, rows = s.Rows;
        bool lstm = cell == RecurrentCellKind.Lstm;
        float scale = 1f / MathF.Sqrt(H);
        var x = Random(rng, rows * inSize, 1f);
        var wih = Random(rng, gw * inSize, scale);
        var whh = Random(rng, gw * H, scale);
        var bih = full ? Random(rng, gw, scale) : [];
        var bhh = full ? Random(rng, gw, scale) : [];
        var h0 = full ? Random(rng, N * H, 0.5f) : [];
        var c0 = full && lstm ? Random(rng, N * H, 0.5f) : [];
        int[] lengths = withLengths ? Enumerable.Range(0, N).Select(n => n == 0 ? T : rng.NextInt(T + 1)).ToArray() : [];
        var w = new CellWeights(wih, whh, bih, bhh);

        // Output into columns [offset, offset + H) of rows of width ldy, as a bidirectional layer writes.
        int ldy = H + 3, offset = 2;
        var y = Filled(rows * ldy, 7f);
        var yRef = Filled(rows * ldy, 7f);
        var hN = new float[N * H];
        var cN = new float[N * H];
        var hNRef = new float[N * H];
        var cNRef = new float[N * H];
        var ws = Filled(RecurrentKernel.WorkspaceSize(s), float.NaN);
        RecurrentKernel.Forward(s, x, inSize, w, h0, c0, lengths, y.AsSpan(offset), ldy, hN, cN, ws);
        RecurrentKernelReference.Forward(s, x, inSize, w, h0, c0, lengths, yRef.AsSpan(offset), ldy, hNRef, cNRef);
        Close(yRef, y, "y");
        Close(hNRef, hN, "h_n");
        if (lstm) Close(cNRef, cN, "c_n");
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < ldy; j++)
                if (j < offset || j >= offset + H) Assert.Equal(7f, y[r * ldy + j]); // untouched columns

        var dy = Random(rng, rows * ldy, 1f);
        var dhN = Random(rng, N * H, 1f);
        var dcN = lstm ? Random(rng, N * H, 1f) : [];
        // Gradients accumulate: start both from the same non-zero values.
        var start = new Dictionary<string, float[]>
        {
            ["dx"] = Random(rng, rows * inSize, 1f), ["dwih"] = Random(rng, gw * inSize, 1f), ["dwhh"] = Random(rng, gw * H, 1f),
            ["dbih"] = full ? Random(rng, gw, 1f) : [], ["dbhh"] = full ? Random(rng, gw, 1f) : [],
            ["dh0"] = full ? Random(rng, N * H, 1f) : [], ["dc0"] = full && lstm ? Random(rng, N * H, 1f) : [],
        };
        var fast = start.ToDictionary(kv => kv.Key, kv => (float[])kv.Value.Clone());
        var slow = start.ToDictionary(kv => kv.Key, kv => (float[])kv.Value.Clone());
        var scratch = Filled(RecurrentKernel.ScratchSize(s), float.NaN);
        RecurrentKernel.Backward(s, x, inSize, w, lengths, ws, dy.AsSpan(offset), ldy, dhN, dcN,
            fast["dx"], inSize, new CellGradients(fast["dwih"], fast["dwhh"], fast["dbih"], fast["dbhh"]), fast["dh0"], fast["dc0"], scratch);
        RecurrentKernelReference.Backward(s, x, inSize, w, h0, c0, lengths, dy.AsSpan(offset), ldy, dhN, dcN,
            slow["dx"], inSize, new CellGradients(slow["dwih"], slow["dwhh"], slow["dbih"], slow["dbhh"]), slow["dh0"], slow["dc0"]);
        foreach (var key in start.Keys) Close(slow[key], fast[key], key);
    }

    [Fact]
    public void PaddedStepsAreSkipped()
    {
        // A sequence of length 0 keeps its initial state and outputs zeros, in both directions.
        foreach (bool reverse in new[] { false, true })
        {
            var s = new RecurrentShape(RecurrentCellKind.Lstm, 3, 2, 2, 2, false, reverse);
            var rng = new Rng(5);
            var w = new CellWeights(Random(rng, 16, 0.5f), Random(rng, 16, 0.5f), Random(rng, 8, 0.5f), Random(rng, 8, 0.5f));
            float[] h0 = [1, 2, 3, 4], c0 = [5, 6, 7, 8];
            var y = new float[12];
            var hN = new float[4];
            var cN = new float[4];
            RecurrentKernel.Forward(s, Random(rng, 12, 1f), 2, w, h0, c0, [3, 0], y, 2, hN, cN, new float[RecurrentKernel.WorkspaceSize(s)]);
            Assert.Equal([3f, 4f], hN[2..]);
            Assert.Equal([7f, 8f], cN[2..]);
            for (int t = 0; t < 3; t++) Assert.Equal([0f, 0f], y[(t * 4 + 2)..(t * 4 + 4)]);
            Assert.NotEqual(h0[..2], hN[..2]);
        }
    }

    [Theory]
    [InlineData(RecurrentCellKind.Lstm)]
    [InlineData(RecurrentCellKind.Gru)]
    [InlineData(RecurrentCellKind.RnnTanh)]
    public void StepsAllocateNothing(RecurrentCellKind cell)
    {
        // What forward and backward allocate (in the GEMMs before and after the loop) does not grow with
        // the number of steps: the step loops run in the caller's buffers.
        // Sizes where every GEMM outside the loop takes the blocked path for both T (so they allocate alike).
        const int N = 8, In = 16, H = 16;
        long Allocated(int T)
        {
            var s = new RecurrentShape(cell, T, N, In, H, false, true);
            int gw = s.GateWidth;
            var rng = new Rng(1);
            var w = new CellWeights(Random(rng, gw * In, 0.3f), Random(rng, gw * H, 0.3f), Random(rng, gw, 0.3f), Random(rng, gw, 0.3f));
            var x = Random(rng, s.Rows * In, 1f);
            var y = new float[s.Rows * H];
            var hN = new float[N * H];
            var cN = new float[N * H];
            var ws = new float[RecurrentKernel.WorkspaceSize(s)];
            var scratch = new float[RecurrentKernel.ScratchSize(s)];
            var dx = new float[x.Length];
            var dw = new float[gw * (In + H + 2)];
            int[] lengths = [T, 1, 2, T, 0, 3, T - 1, 5];
            var grads = new CellGradients(dw.AsSpan(0, gw * In), dw.AsSpan(gw * In, gw * H), dw.AsSpan(gw * (In + H), gw), dw.AsSpan(gw * (In + H + 1), gw));
            long before = GC.GetAllocatedBytesForCurrentThread();
            RecurrentKernel.Forward(s, x, In, w, default, default, lengths, y, H, hN, cN, ws, parallel: false);
            RecurrentKernel.Backward(s, x, In, w, lengths, ws, y, H, hN, cN, dx, In, grads, default, default, scratch, parallel: false);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        // The blocked GEMM allocates a little per KC-deep block of its sum, and the weight gradients sum
        // over T·N rows: 60 and 63 steps give the same number of blocks, so only the step loops differ.
        // Both sizes run once first: the JIT, and the GEMM's per-thread packing buffers, which grow to the
        // larger sum's block depth (in a full test run an earlier test has usually grown them already).
        // A GEMM that finds the worker team busy with another test's loop runs on this thread and grows this
        // thread's packing buffers once, which can land inside a measured call: three tries, and the steps must
        // allocate nothing in at least one (an allocation per step would show in all three).
        Allocated(60);
        Allocated(63);
        long extra = long.MaxValue;
        for (int attempt = 0; attempt < 3 && extra != 0; attempt++) extra = Math.Min(extra, Math.Abs(Allocated(63) - Allocated(60)));
        Assert.Equal(0, extra);
    }

    [Fact]
    public void RejectsBadArguments()
    {
        var s = new RecurrentShape(RecurrentCellKind.Gru, 3, 2, 4, 5, false, false);
        var ws = new float[RecurrentKernel.WorkspaceSize(s)];
        var ex = Assert.Throws<ArgumentException>(() => RecurrentKernel.Forward(s, new float[24], 4,
            new CellWeights(new float[15 * 4], new float[15 * 5], default, default), default, default, [1, 4],
            new float[30], 5, new float[10], default, ws));
        Assert.Contains("length 4", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => RecurrentKernel.Forward(s, new float[24], 4,
            new CellWeights(new float[14 * 4], new float[15 * 5], default, default), default, default, default,
            new float[30], 5, new float[10], default, ws));
        Assert.Contains("W_ih", ex.Message);
    }

    private static float[] Random(Rng rng, int n, float scale)
    {
        var a = new float[n];
        rng.FillUniform(a, -scale, scale);
        return a;
    }

    private static float[] Filled(int n, float v)
    {
        var a = new float[n];
        Array.Fill(a, v);
        return a;
    }

    /// <summary>Same sums in another order: a few float32 ulps of the largest value involved.</summary>
    private static void Close(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        float scale = expected.Length == 0 ? 0f : expected.Max(MathF.Abs);
        for (int i = 0; i < expected.Length; i++)
        {
            double tol = 1e-5 * (Math.Abs(expected[i]) + 0.1 * scale) + 1e-6;
            if (!(Math.Abs(expected[i] - actual[i]) <= tol))
                Assert.Fail($"{what}: element {i} is {actual[i]:G9}, the naive kernel gives {expected[i]:G9} (tolerance {tol:G3}).");
        }
    }
}
