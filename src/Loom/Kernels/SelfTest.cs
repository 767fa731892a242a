using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Loom.Kernels;

/// <summary>One kernel family's self-test: the ISA path it took, how many cases ran, and the first mismatch (null if none).</summary>
public sealed record SelfTestResult(string Family, string Path, int Cases, string? Failure, double Milliseconds)
{
    public bool Passed => Failure is null;
}

/// <summary>
/// Every fast kernel against its naive twin on random and odd shapes, on whatever instruction set this process
/// runs — so that a user on any machine (an ARM64 server, an AVX2-only laptop, a VM without AVX) can see that
/// Loom computes the right numbers there (<c>loom doctor</c>), and a bug report carries the answer. A few seconds
/// in all; no console output (the caller reports the results).
/// </summary>
public static class SelfTest
{
    /// <summary>The families checked, in the order <see cref="Run"/> reports them.</summary>
    public static IReadOnlyList<string> Families { get; } = ["gemm", "conv2d", "pooling", "activations", "softmax", "recurrent", "fft", "adam"];

    /// <summary>The widest vector width this process runs natively (JIT-time constants).</summary>
    public static string VectorWidth =>
        Vector512.IsHardwareAccelerated ? "Vector512" : Vector256.IsHardwareAccelerated ? "Vector256"
        : Vector128.IsHardwareAccelerated ? "Vector128" : "scalar";

    /// <summary>The instruction sets the runtime reports, for a report's header.</summary>
    public static string InstructionSets()
    {
        var isa = new List<string>();
        if (Sse42.IsSupported) isa.Add("SSE4.2");
        if (Avx.IsSupported) isa.Add("AVX");
        if (Avx2.IsSupported) isa.Add("AVX2");
        if (Fma.IsSupported) isa.Add("FMA");
        if (Avx512F.IsSupported) isa.Add("AVX-512F");
        if (AdvSimd.IsSupported) isa.Add("AdvSimd");
        if (AdvSimd.Arm64.IsSupported) isa.Add("AdvSimd.Arm64");
        isa.Add($"Vector128 {(Vector128.IsHardwareAccelerated ? "accelerated" : "emulated")}");
        isa.Add($"Vector256 {(Vector256.IsHardwareAccelerated ? "accelerated" : "emulated")}");
        isa.Add($"Vector512 {(Vector512.IsHardwareAccelerated ? "accelerated" : "emulated")}");
        return string.Join(", ", isa);
    }

    /// <summary>The code path each family takes in this process.</summary>
    public static string PathOf(string family) => family switch
    {
        "gemm" => Gemm.PathName,
        "conv2d" => $"im2col/col2im ({VectorWidth} row adds) + GEMM; the forward reads the padded input in place (strided: split into its stride phases) where that saves work, output positions or channels on the product's rows, whichever computes less, else unfolds rows straight into the packed panels; 3×3 stride-1 forwards by Winograd F(2×2, 3×3)",
        "pooling" => "max 2×2: " + (Sse2.IsSupported ? "SSE shuffles" : AdvSimd.Arm64.IsSupported ? "AdvSimd uzp" : "scalar")
            + "; avg 2×2: " + (Avx2.IsSupported ? "AVX2" : AdvSimd.Arm64.IsSupported ? "AdvSimd faddp/zip" : "scalar")
            + "; other windows: scalar",
        "activations" => $"TensorPrimitives; ReLU backward {VectorWidth}",
        "softmax" => $"TensorPrimitives ({VectorWidth})",
        "recurrent" => $"packed-W_hh GEMM ({Gemm.PathName}) + TensorPrimitives cell updates ({VectorWidth})",
        "adam" => $"element-wise update ({VectorWidth}), no fused multiply–add",
        "fft" => $"Stockham radix 4/2/3/≤13 ({(Vector256.IsHardwareAccelerated ? "Vector256" : "scalar")} radix-4/2 loops), Bluestein above; real input via half-length complex",
        _ => throw new ArgumentException($"Unknown kernel family '{family}'.", nameof(family)),
    };

    /// <summary>Runs every family's check (random shapes drawn from <paramref name="seed"/>) and returns one result per family.</summary>
    public static IReadOnlyList<SelfTestResult> Run(ulong seed = 1)
    {
        var results = new List<SelfTestResult>();
        foreach (var family in Families)
        {
            var rng = new Random32(seed * 7919 + (ulong)family.Length * 104729 + family[0]);
            int cases = 0;
            string? failure = null;
            var watch = Stopwatch.StartNew();
            try
            {
                switch (family)
                {
                    case "gemm": CheckGemm(rng, ref cases); break;
                    case "conv2d": CheckConvolution(rng, ref cases); break;
                    case "pooling": CheckPooling(rng, ref cases); break;
                    case "activations": CheckActivations(rng, ref cases); break;
                    case "softmax": CheckSoftmax(rng, ref cases); break;
                    case "recurrent": CheckRecurrent(rng, ref cases); break;
                    case "fft": CheckFft(rng, ref cases); break;
                    case "adam": CheckAdam(rng, ref cases); break;
                }
            }
            catch (Mismatch e) { failure = e.Message; }
            catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException or PlatformNotSupportedException)
            {
                failure = $"{e.GetType().Name}: {e.Message}";
            }
            results.Add(new SelfTestResult(family, PathOf(family), cases, failure, watch.Elapsed.TotalMilliseconds));
        }
        return results;
    }

    private sealed class Mismatch(string message) : Exception(message);

    /// <summary>|actual − expected| ≤ rel·bound + abs element by element, bound being a magnitude of the sum behind each element.</summary>
    private static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, ReadOnlySpan<float> bound, string what, double rel = 2e-5, double abs = 1e-5)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double tol = rel * Math.Abs(bound[i]) + abs;
            if (!(Math.Abs(expected[i] - actual[i]) <= tol))
                throw new Mismatch($"{what}: element {i} is {actual[i]:G9}, the naive twin gives {expected[i]:G9} (tolerance {tol:G3})");
        }
    }

    /// <summary><see cref="Close"/> with each element's bound its own magnitude plus a tenth of the largest.</summary>
    private static void Close(float[] expected, float[] actual, string what)
    {
        float scale = 0f;
        foreach (var v in expected) scale = Math.Max(scale, Math.Abs(v));
        var bound = new float[expected.Length];
        for (int i = 0; i < bound.Length; i++) bound[i] = Math.Abs(expected[i]) + 0.1f * scale;
        Close(expected, actual, bound, what);
    }

    private static void Exact(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            if (!(expected[i].Equals(actual[i])))
                throw new Mismatch($"{what}: element {i} is {actual[i]:G9}, the naive twin gives {expected[i]:G9} (must be equal)");
    }

    private static void CheckGemm(Random32 rng, ref int cases)
    {
        // Odd shapes around every tile size (4, 6, 8 rows; 4, 8, 16, 32 columns), few-row, narrow and threaded products,
        // and one with rows enough (eight MC blocks of every family) for two threads to share packed panels of B.
        int[][] shapes =
        [
            [1, 1, 1], [7, 9, 13], [5, 33, 70], [3, 300, 257], [2, 1025, 64], [9, 17, 40], [13, 47, 23], [40, 8, 100],
            [33, 5, 300], [67, 45, 300], [25, 31, 1029], [130, 160, 120], [64, 196, 288], [700, 37, 50],
        ];
        var all = shapes.Concat(Enumerable.Range(0, 8).Select(_ => new[] { 1 + rng.Next(150), 1 + rng.Next(150), 1 + rng.Next(300) }));
        int index = 0;
        foreach (var s in all)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                {
                    int m = s[0], n = s[1], k = s[2], pad = index % 3;
                    float beta = index % 2;
                    bool bias = index % 4 == 1;
                    index++;
                    int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
                    var a = rng.Floats((ta ? k : m) * lda);
                    var b = rng.Floats((tb ? n : k) * ldb);
                    var biasValues = bias ? rng.Floats(n) : [];
                    var c0 = rng.Floats(m * ldc);
                    var c = (float[])c0.Clone();
                    Gemm.Multiply(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, beta, columnBias: biasValues);
                    var expected = new float[m * ldc];
                    var bound = new float[m * ldc];
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < n; j++)
                        {
                            float start = (beta == 0f ? 0f : c0[i * ldc + j]) + (bias ? biasValues[j] : 0f);
                            expected[i * ldc + j] = start;
                            bound[i * ldc + j] = Math.Abs(start);
                        }
                    GemmReference.MultiplyAccumulate(ta, tb, m, n, k, a, lda, b, ldb, expected, ldc);
                    GemmReference.MultiplyAccumulate(ta, tb, m, n, k, Abs(a), lda, Abs(b), ldb, bound, ldc);
                    for (int i = 0; i < m; i++)
                        Close(expected.AsSpan(i * ldc, n), c.AsSpan(i * ldc, n), bound.AsSpan(i * ldc, n), $"GEMM {m}×{n}×{k} transA={ta} transB={tb} beta={beta} bias={bias}, row {i}");
                    cases++;
                }

        // B packed once (a recurrent layer's W_hh) against the plain product.
        foreach (var (m, n, k, tb) in new[] { (5, 33, 7, false), (9, 70, 900, true), (16, 100, 2057, false) })
        {
            var a = rng.Floats(m * k);
            var b = rng.Floats(n * k);
            var packed = new float[Gemm.PackedSize(k, n)];
            Gemm.Pack(tb, k, n, b, tb ? k : n, packed);
            var c = new float[m * n];
            Gemm.MultiplyPacked(m, n, k, a, k, packed, c, n);
            var expected = new float[m * n];
            var bound = new float[m * n];
            GemmReference.MultiplyAccumulate(false, tb, m, n, k, a, k, b, tb ? k : n, expected, n);
            GemmReference.MultiplyAccumulate(false, tb, m, n, k, Abs(a), k, Abs(b), tb ? k : n, bound, n);
            Close(expected, c, bound, $"packed GEMM {m}×{n}×{k} transB={tb}");
            cases++;
        }
    }

    private static void CheckConvolution(Random32 rng, ref int cases)
    {
        ConvGeometry[] geometries =
        [
            new(2, 3, 9, 8, 5, 3, 3, PadH: 1, PadW: 1),                       // "same" width: one copy per tap
            new(1, 2, 14, 14, 4, 5, 5, PadH: 2, PadW: 2),                     // batch 1: threaded GEMM
            new(3, 4, 11, 7, 6, 3, 2, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1), // strided, padded, odd
            new(2, 4, 8, 9, 6, 3, 3, DilationH: 2, DilationW: 2, Groups: 2),  // dilated, grouped
            new(2, 5, 6, 7, 3, 1, 1),                                         // pointwise
            new(4, 1, 12, 12, 8, 5, 5),                                       // one input channel: narrow A·Bᵀ
            new(1, 16, 14, 14, 24, 3, 3, PadH: 1, PadW: 1),                   // stride 1: the padded input read in place
            new(1, 32, 14, 14, 64, 3, 3, PadH: 1, PadW: 1),                   // LeNet's second: the same, output positions on the product's rows
            new(1, 4, 24, 13, 9, 3, 3, DilationH: 2, DilationW: 2),           // the same, dilated and unpadded
            new(2, 8, 15, 13, 12, 3, 3, StrideH: 2, PadH: 1, PadW: 1),        // strided in height: read in place on its stride phases
            new(2, 4, 20, 12, 8, 5, 5, StrideH: 2, StrideW: 2, PadH: 2, PadW: 2), // strided 5×5 as speech-crnn's: the same; unfolded by phases backward
            new(1, 16, 24, 9, 11, 5, 5, StrideH: 2, StrideW: 2),              // 3 of 5 grid columns kept: unfolded row by row into the packed panels
            new(3, 11, 9, 7, 13, 3, 3, PadH: 1, PadW: 1),                     // Winograd: odd sides and channel counts, a batch
        ];
        foreach (var g in geometries)
        {
            var x = rng.Floats(g.Batch * g.InChannels * g.InPlane);
            var w = rng.Floats(g.OutChannels * g.WeightsPerOutput);
            var bias = rng.Floats(g.OutChannels);
            int ySize = g.Batch * g.OutChannels * g.OutPlane;
            var y = new float[ySize];
            var yRef = new float[ySize];
            ConvolutionReference.Forward(x, w, bias, yRef, g);
            // The 3×3 stride-1 cases run both ways, forward and input gradient: by Winograd's F(2×2, 3×3), as they do by
            // default, and direct.
            bool winograd = Winograd.Applies(g);
            Convolution.Forward(x, w, bias, y, g);
            Close(yRef, y, $"conv2d forward {g}{(winograd ? " (Winograd)" : "")}");
            if (winograd)
            {
                Direct(() => Convolution.Forward(x, w, bias, y, g));
                Close(yRef, y, $"conv2d forward {g} (direct)");
            }
            if (g.Groups == 1) ExactAgainstUnfolding(x, w, bias, winograd ? null : y, g);

            var dy = rng.Floats(ySize);
            var dx = rng.Floats(x.Length);
            var dw = rng.Floats(w.Length);
            var db = rng.Floats(g.OutChannels);
            float[] dxRef = (float[])dx.Clone(), dwRef = (float[])dw.Clone(), dbRef = (float[])db.Clone(), dxDirect = (float[])dx.Clone();
            bool winogradBackward = Winograd.AppliesBackward(g);
            Convolution.BackwardInput(dy, w, dx, g);
            Convolution.BackwardWeight(x, dy, dw, db, g);
            ConvolutionReference.Backward(x, w, dy, dxRef, dwRef, dbRef, g);
            Close(dxRef, dx, $"conv2d input gradient {g}{(winogradBackward ? " (Winograd)" : "")}");
            if (winogradBackward)
            {
                Direct(() => Convolution.BackwardInput(dy, w, dxDirect, g));
                Close(dxRef, dxDirect, $"conv2d input gradient {g} (direct)");
            }
            Close(dwRef, dw, $"conv2d weight gradient {g}");
            Close(dbRef, db, $"conv2d bias gradient {g}");
            cases++;
        }
    }

    /// <summary>
    /// The direct forward (in place, or unfolded row by row; Winograd off) gives the very bits of unfolding the input
    /// whole, multiplying and adding the bias: the same sums in the same order, whichever write-out the CPU has.
    /// </summary>
    private static void ExactAgainstUnfolding(float[] x, float[] w, float[] bias, float[]? direct, ConvGeometry g)
    {
        int plane = g.OutPlane, o = g.OutChannels, k = g.WeightsPerOutput, inSize = g.InChannels * g.InPlane;
        if (direct is null)
        {
            var y = direct = new float[g.Batch * o * plane];
            Direct(() => Convolution.Forward(x, w, bias, y, g));
        }
        var expected = new float[direct.Length];
        var col = new float[g.ColumnRows * plane];
        for (int n = 0; n < g.Batch; n++)
        {
            Im2Col.Unfold(x.AsSpan(n * inSize, inSize), g, col);
            var yn = expected.AsSpan(n * o * plane, o * plane);
            Gemm.Multiply(false, false, o, plane, k, w, k, col, plane, yn, plane, 0f, parallel: false);
            for (int c = 0; c < o; c++) System.Numerics.Tensors.TensorPrimitives.Add(yn.Slice(c * plane, plane), bias[c], yn.Slice(c * plane, plane));
        }
        Exact(expected, direct, $"conv2d forward {g} (direct) against unfolding");
    }

    /// <summary>Runs <paramref name="forward"/> (or a backward) with Winograd off, so that 3×3 stride-1 convolutions run direct.</summary>
    private static void Direct(Action forward)
    {
        bool saved = Convolution.UseWinograd;
        Convolution.UseWinograd = false;
        try { forward(); }
        finally { Convolution.UseWinograd = saved; }
    }

    private static void CheckPooling(Random32 rng, ref int cases)
    {
        ConvGeometry[] geometries =
        [
            new(2, 3, 6, 37, 3, 2, 2, StrideH: 2, StrideW: 2),   // 2×2: vector steps and a tail
            new(3, 4, 33, 31, 4, 2, 2, StrideH: 2, StrideW: 2),  // odd sizes, many planes (threaded)
            new(1, 2, 8, 6, 2, 2, 2, StrideH: 2, StrideW: 2),    // rows of three outputs: scalar
            new(2, 3, 7, 5, 3, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1),
        ];
        foreach (var g in geometries)
        {
            int planes = g.Batch * g.InChannels, inSize = planes * g.InPlane, outSize = planes * g.OutPlane;
            // Coarse values, so that ties occur, and a NaN now and then: the first maximum wins, NaN propagates.
            var x = new float[inSize];
            for (int i = 0; i < inSize; i++) x[i] = rng.Next(97) == 0 ? float.NaN : rng.Next(7) - 3;
            var y = new float[outSize];
            var argmax = new int[outSize];
            Pooling.MaxForward(x, y, argmax, g);
            var yRef = new float[outSize];
            var argRef = new int[outSize];
            var avgRef = new float[outSize];
            for (int p = 0; p < planes; p++)
                for (int oy = 0; oy < g.OutHeight; oy++)
                    for (int ox = 0; ox < g.OutWidth; ox++)
                    {
                        float best = float.NegativeInfinity;
                        int at = -1;
                        for (int i = 0; i < g.KernelHeight; i++)
                            for (int j = 0; j < g.KernelWidth; j++)
                            {
                                int iy = oy * g.StrideH - g.PadH + i, ix = ox * g.StrideW - g.PadW + j;
                                if (iy < 0 || iy >= g.InHeight || ix < 0 || ix >= g.InWidth) continue;
                                float v = x[p * g.InPlane + iy * g.InWidth + ix];
                                if (at < 0 || (!float.IsNaN(best) && (v > best || float.IsNaN(v)))) { best = v; at = iy * g.InWidth + ix; }
                            }
                        int o = (p * g.OutHeight + oy) * g.OutWidth + ox;
                        yRef[o] = best;
                        argRef[o] = at;
                    }
            Exact(yRef, y, $"max pooling {g}");
            for (int i = 0; i < outSize; i++)
                if (argmax[i] != argRef[i]) throw new Mismatch($"max pooling {g}: argmax {i} is {argmax[i]}, the naive twin gives {argRef[i]}");
            // The values alone, as inference computes them (no argmax).
            var yValues = new float[outSize];
            Pooling.MaxForward(x, yValues, null, g);
            Exact(yRef, yValues, $"max pooling without argmax {g}");

            // Average pooling (every divisor counts the padding: PyTorch's default), forward and backward.
            var xa = rng.Floats(inSize);
            var ya = new float[outSize];
            Pooling.AvgForward(xa, ya, g, countIncludePad: true);
            var dy = rng.Floats(outSize);
            var dx = rng.Floats(inSize);
            var dxRef = (float[])dx.Clone();
            Pooling.AvgBackward(dy, dx, g, countIncludePad: true);
            float divisor = g.KernelHeight * g.KernelWidth;
            for (int p = 0; p < planes; p++)
                for (int oy = 0; oy < g.OutHeight; oy++)
                    for (int ox = 0; ox < g.OutWidth; ox++)
                    {
                        int o = (p * g.OutHeight + oy) * g.OutWidth + ox;
                        float s = 0f;
                        for (int i = 0; i < g.KernelHeight; i++)
                            for (int j = 0; j < g.KernelWidth; j++)
                            {
                                int iy = oy * g.StrideH - g.PadH + i, ix = ox * g.StrideW - g.PadW + j;
                                if (iy < 0 || iy >= g.InHeight || ix < 0 || ix >= g.InWidth) continue;
                                s += xa[p * g.InPlane + iy * g.InWidth + ix];
                                dxRef[p * g.InPlane + iy * g.InWidth + ix] += dy[o] / divisor;
                            }
                        avgRef[o] = s / divisor;
                    }
            Close(avgRef, ya, $"average pooling {g}");
            Close(dxRef, dx, $"average pooling gradient {g}");
            cases++;
        }
    }

    private static void CheckActivations(Random32 rng, ref int cases)
    {
        foreach (int n in new[] { 1, 3, 4, 7, 8, 15, 16, 17, 33, 100, 1031 })
        {
            var x = rng.Floats(n);
            for (int i = 0; i < n; i += 5) x[i] = 0f; // the boundary: x = 0 passes no gradient
            var dy = rng.Floats(n);
            foreach (bool accumulate in new[] { false, true })
            {
                var dx = rng.Floats(n);
                var expected = new float[n];
                for (int i = 0; i < n; i++) expected[i] = (accumulate ? dx[i] : 0f) + (x[i] > 0f ? dy[i] : 0f);
                Activations.ReluBackward(x, dy, dx, accumulate);
                Exact(expected, dx, $"ReLU backward n={n} accumulate={accumulate}");
            }
            var y = new float[n];
            Activations.Relu(x, y);
            Exact(x.Select(v => Math.Max(v, 0f)).ToArray(), y, $"ReLU n={n}");
            Activations.Tanh(x, y);
            Close(x.Select(v => (float)Math.Tanh(v)).ToArray(), y, $"tanh n={n}");
            Activations.Sigmoid(x, y);
            Close(x.Select(v => (float)(1 / (1 + Math.Exp(-v)))).ToArray(), y, $"sigmoid n={n}");
            cases++;
        }
    }

    private static void CheckSoftmax(Random32 rng, ref int cases)
    {
        foreach (var (outer, n, inner) in new[] { (1, 1, 1), (3, 10, 1), (5, 17, 1), (2, 7, 3), (4, 1031, 1) })
            foreach (bool log in new[] { false, true })
            {
                var x = rng.Floats(outer * n * inner, 8f);
                var y = new float[x.Length];
                SoftmaxKernel.Forward(x, y, outer, n, inner, log);
                var expected = new float[x.Length];
                for (int o = 0; o < outer; o++)
                    for (int i = 0; i < inner; i++)
                    {
                        double max = double.NegativeInfinity, sum = 0;
                        for (int k = 0; k < n; k++) max = Math.Max(max, x[(o * n + k) * inner + i]);
                        for (int k = 0; k < n; k++) sum += Math.Exp(x[(o * n + k) * inner + i] - max);
                        for (int k = 0; k < n; k++)
                        {
                            double v = x[(o * n + k) * inner + i] - max;
                            expected[(o * n + k) * inner + i] = (float)(log ? v - Math.Log(sum) : Math.Exp(v) / sum);
                        }
                    }
                Close(expected, y, $"{(log ? "log-" : "")}softmax {outer}×{n}×{inner}");
                cases++;
            }
    }

    private static void CheckRecurrent(Random32 rng, ref int cases)
    {
        foreach (var cell in Enum.GetValues<RecurrentCellKind>())
            foreach (var (T, N, inSize, H, batchFirst, reverse) in new[] { (5, 3, 7, 9, false, false), (4, 40, 33, 8, true, true), (3, 70, 5, 37, false, true) })
            {
                var s = new RecurrentShape(cell, T, N, inSize, H, batchFirst, reverse);
                int gw = s.GateWidth, rows = s.Rows;
                bool lstm = cell == RecurrentCellKind.Lstm;
                float scale = 1f / MathF.Sqrt(H);
                var x = rng.Floats(rows * inSize);
                var w = new CellWeights(rng.Floats(gw * inSize, scale), rng.Floats(gw * H, scale), rng.Floats(gw, scale), rng.Floats(gw, scale));
                var h0 = rng.Floats(N * H, 0.5f);
                var c0 = lstm ? rng.Floats(N * H, 0.5f) : [];
                int[] lengths = Enumerable.Range(0, N).Select(n => n == 0 ? T : rng.Next(T + 1)).ToArray();
                var y = new float[rows * H];
                var yRef = new float[rows * H];
                float[] hN = new float[N * H], cN = new float[N * H], hNRef = new float[N * H], cNRef = new float[N * H];
                var workspace = new float[RecurrentKernel.WorkspaceSize(s)];
                RecurrentKernel.Forward(s, x, inSize, w, h0, c0, lengths, y, H, hN, cN, workspace);
                RecurrentKernelReference.Forward(s, x, inSize, w, h0, c0, lengths, yRef, H, hNRef, cNRef);
                string what = $"{cell} T={T} N={N} in={inSize} H={H}";
                Close(yRef, y, $"{what} output");
                Close(hNRef, hN, $"{what} final state");
                if (lstm) Close(cNRef, cN, $"{what} final cell");

                var dy = rng.Floats(rows * H);
                var dhN = rng.Floats(N * H);
                var dcN = lstm ? rng.Floats(N * H) : [];
                float[] dx = new float[rows * inSize], dwih = new float[gw * inSize], dwhh = new float[gw * H], dbih = new float[gw], dbhh = new float[gw];
                float[] dh0 = new float[N * H], dc0 = lstm ? new float[N * H] : [];
                float[] rx = new float[rows * inSize], rwih = new float[gw * inSize], rwhh = new float[gw * H], rbih = new float[gw], rbhh = new float[gw];
                float[] rh0 = new float[N * H], rc0 = lstm ? new float[N * H] : [];
                RecurrentKernel.Backward(s, x, inSize, w, lengths, workspace, dy, H, dhN, dcN, dx, inSize,
                    new CellGradients(dwih, dwhh, dbih, dbhh), dh0, dc0, new float[RecurrentKernel.ScratchSize(s)]);
                RecurrentKernelReference.Backward(s, x, inSize, w, h0, c0, lengths, dy, H, dhN, dcN, rx, inSize,
                    new CellGradients(rwih, rwhh, rbih, rbhh), rh0, rc0);
                Close(rx, dx, $"{what} input gradient");
                Close(rwih, dwih, $"{what} W_ih gradient");
                Close(rwhh, dwhh, $"{what} W_hh gradient");
                Close(rbih, dbih, $"{what} b_ih gradient");
                Close(rbhh, dbhh, $"{what} b_hh gradient");
                Close(rh0, dh0, $"{what} h0 gradient");
                if (lstm) Close(rc0, dc0, $"{what} c0 gradient");
                cases++;
            }
    }

    private static void CheckFft(Random32 rng, ref int cases)
    {
        // The speech sizes (400 = 4·2·5·5 halved, 512), odd and prime ones (generic radix, Bluestein for 1009).
        foreach (int n in new[] { 1, 2, 3, 5, 7, 64, 100, 400, 512, 1000, 1009 })
        {
            var x = rng.Floats(n);
            var im = rng.Floats(n);
            // Budget: a few ulps of the input's 2-norm per pass (see FftTests).
            double norm = 0;
            for (int i = 0; i < n; i++) norm += (double)x[i] * x[i] + (double)im[i] * im[i];
            var bound = new float[n];
            Array.Fill(bound, (float)(0.1 * (Math.Log2(n) + 2) * Math.Sqrt(norm)));

            var real = Fft.RealPlan(n);
            float[] re = new float[real.Bins], reIm = new float[real.Bins], eRe = new float[real.Bins], eIm = new float[real.Bins];
            real.Forward(x, re, reIm, new float[real.ScratchLength]);
            FftReference.RealForward(x, eRe, eIm);
            Close(eRe, re, bound.AsSpan(0, real.Bins), $"real FFT n={n} ({real.Description}), real part");
            Close(eIm, reIm, bound.AsSpan(0, real.Bins), $"real FFT n={n} ({real.Description}), imaginary part");

            var plan = Fft.Plan(n);
            float[] oRe = new float[n], oIm = new float[n], cRe = new float[n], cIm = new float[n];
            plan.Forward(x, im, oRe, oIm, new float[plan.ScratchLength]);
            FftReference.Forward(x, im, cRe, cIm);
            Close(cRe, oRe, bound, $"complex FFT n={n} ({plan.Description}), real part");
            Close(cIm, oIm, bound, $"complex FFT n={n} ({plan.Description}), imaginary part");
            cases++;
        }
    }

    /// <summary>Adam's vector update against its formula written out element by element: bit for bit, at every width.</summary>
    private static void CheckAdam(Random32 rng, ref int cases)
    {
        foreach (int n in new[] { 1, 3, 4, 7, 8, 15, 16, 17, 33, 100, 1031 })
            foreach (bool decoupled in new[] { false, true })
            {
                var k = new AdamKernel.Constants(0.85f, 0.99f, 1e-8f, decoupled ? 0.999f : 1f, decoupled ? 0f : 0.1f, 0.05f, 0.3f);
                var p = rng.Floats(n); var g = rng.Floats(n); var m = rng.Floats(n, 0.1f); var v = Abs(rng.Floats(n, 0.1f));
                var (ep, em, ev) = ((float[])p.Clone(), (float[])m.Clone(), (float[])v.Clone());
                for (int i = 0; i < n; i++)
                {
                    float gi = g[i] + k.L2 * ep[i];
                    em[i] = k.Beta1 * em[i] + (1 - k.Beta1) * gi;
                    ev[i] = k.Beta2 * ev[i] + (1 - k.Beta2) * gi * gi;
                    ep[i] = ep[i] * k.Decay - k.StepSize * em[i] / (MathF.Sqrt(ev[i]) / k.SqrtBc2 + k.Eps);
                }
                AdamKernel.Step(p, g, m, v, k);
                Exact(em, m, $"Adam m n={n}"); Exact(ev, v, $"Adam v n={n}"); Exact(ep, p, $"Adam p n={n} decoupled={decoupled}");
                cases++;
            }
    }

    private static float[] Abs(float[] x) => x.Select(Math.Abs).ToArray();

    /// <summary>A small xorshift generator (the kernels room has no dependency on <c>Loom.Rng</c>).</summary>
    private sealed class Random32(ulong seed)
    {
        private ulong _state = seed * 0x9E3779B97F4A7C15UL | 1;

        private ulong NextRaw()
        {
            _state ^= _state << 13; _state ^= _state >> 7; _state ^= _state << 17;
            return _state;
        }

        public int Next(int bound) => (int)(NextRaw() % (ulong)bound);

        public float[] Floats(int n, float scale = 1f)
        {
            var r = new float[n];
            for (int i = 0; i < n; i++) r[i] = ((NextRaw() >> 40) / (float)(1 << 24) * 2f - 1f) * scale;
            return r;
        }
    }
}
