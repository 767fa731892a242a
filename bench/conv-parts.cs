#:project ../src/Loom/Loom.csproj
#:property PublishAot=false
// speech-crnn's two convolutions (5×5, stride 2, 32 output channels) at batch 32, kernel by kernel: the forward, the
// weight gradient (unfolding + GEMM) and the input gradient (GEMM + folding), each part also timed alone, with the
// GFLOPS of its multiply–adds. Medians of 11 calls after 3 warm-ups:
//   DOTNET_TieredCompilation=0 taskset -c 0 dotnet run -c Release bench/conv-parts.cs
using System.Diagnostics;
using Loom;
using Loom.Kernels;

Threading.Threads = args.Length > 0 ? int.Parse(args[0]) : 1;

double Median(Action call)
{
    for (int i = 0; i < 3; i++) call();
    var times = new double[11];
    for (int i = 0; i < times.Length; i++)
    {
        long start = Stopwatch.GetTimestamp();
        call();
        times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }
    Array.Sort(times);
    return times[times.Length / 2];
}

Console.WriteLine($"speech-crnn's convolutions, batch 32, {Threading.Threads} thread(s), {Gemm.PathName}; medians (ms)");
foreach (var (c, h, w) in new[] { (1, 160, 40), (32, 80, 20) })
{
    var g = new ConvGeometry(32, c, h, w, 32, 5, 5, 2, 2, 2, 2, 1, 1, 1);
    var rng = new Rng(1);
    var x = new float[g.Batch * c * h * w];
    var weights = new float[32 * g.WeightsPerOutput];
    var dy = new float[g.Batch * 32 * g.OutPlane];
    rng.FillUniform(x, -1, 1);
    rng.FillUniform(weights, -1, 1);
    rng.FillUniform(dy, -1, 1);
    var y = new float[dy.Length];
    var (dw, db, dx) = (new float[weights.Length], new float[32], new float[x.Length]);
    var col = new float[g.ColumnRows * g.OutPlane];
    int inSize = c * h * w, outSize = 32 * g.OutPlane;
    double forward = Median(() => Convolution.Forward(x, weights, null, y, g));
    double weightGrad = Median(() => Convolution.BackwardWeight(x, dy, dw, db, g));
    double inputGrad = Median(() => Convolution.BackwardInput(dy, weights, dx, g));
    double unfold = Median(() => { for (int n = 0; n < g.Batch; n++) Im2Col.Unfold(x.AsSpan(n * inSize), g, col); });
    double weightGemm = Median(() =>
    {
        for (int n = 0; n < g.Batch; n++)
            Gemm.Multiply(false, true, 32, g.ColumnRows, g.OutPlane, dy.AsSpan(n * outSize), g.OutPlane, col, g.OutPlane, dw, g.ColumnRows, 1f, false);
    });
    double inputGemm = Median(() =>
    {
        for (int n = 0; n < g.Batch; n++)
            Gemm.Multiply(true, false, g.ColumnRows, g.OutPlane, 32, weights, g.ColumnRows, dy.AsSpan(n * outSize), g.OutPlane, col, g.OutPlane, 0f, false);
    });
    double fold = Median(() => { for (int n = 0; n < g.Batch; n++) Im2Col.Col2Im(col, g, dx.AsSpan(n * inSize)); });
    double gflop = 2.0 * g.Batch * 32 * g.ColumnRows * g.OutPlane / 1e6; // per ms: GFLOPS
    Console.WriteLine($"  {c}×{h}×{w}: forward {forward:F2} ({gflop / forward:F1} GFLOPS); weight gradient {weightGrad:F2} (unfold {unfold:F2}, GEMM {weightGemm:F2}: {gflop / weightGemm:F1} GFLOPS); input gradient {inputGrad:F2} (GEMM {inputGemm:F2}: {gflop / inputGemm:F1} GFLOPS, fold {fold:F2})");
}
