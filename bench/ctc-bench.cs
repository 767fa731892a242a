#:project ../src/Loom/Loom.csproj
#:property PublishAot=false
using System.Diagnostics;
using Loom;
using Loom.Speech;
using Loom.Serialization;

// Parity: largest |Loom - PyTorch| over the finite elements of the ctc fixture.
var fx = Safetensors.Load("tests/Loom.Tests/Fixtures/parity/ctc.safetensors").ToDictionary();
var meta = Safetensors.Load("tests/Loom.Tests/Fixtures/parity/ctc.safetensors").Metadata;
double maxLoss = 0, maxGrad = 0, maxRelLoss = 0;
foreach (var c in meta["cases"].Split(','))
{
    var lp = fx[c + "/log_probs"].Clone(); lp.RequiresGrad = true;
    int[] Ints(Tensor t) => t.Data.Select(v => (int)v).ToArray();
    var red = meta[c + ".reduction"] switch { "mean" => Reduction.Mean, "sum" => Reduction.Sum, _ => Reduction.None };
    var loss = Functional.CtcLoss(lp, fx[c + "/targets"], Ints(fx[c + "/input_lengths"]), Ints(fx[c + "/target_lengths"]),
        int.Parse(meta[c + ".blank"]), red, meta[c + ".zero_infinity"] == "true");
    if (red == Reduction.None) loss.Backward(fx[c + "/gy"]); else loss.Backward();
    var el = fx[c + "/loss"].Data; var eg = fx[c + "/grad"].Data;
    for (int i = 0; i < el.Length; i++) if (float.IsFinite(el[i])) { maxLoss = Math.Max(maxLoss, Math.Abs(el[i] - loss.Data[i])); maxRelLoss = Math.Max(maxRelLoss, Math.Abs(el[i] - loss.Data[i]) / Math.Abs(el[i])); }
    for (int i = 0; i < eg.Length; i++) if (float.IsFinite(eg[i])) maxGrad = Math.Max(maxGrad, Math.Abs(eg[i] - lp.Grad!.Data[i]));
}
Console.WriteLine($"parity: max |loss err| {maxLoss:G3} (rel {maxRelLoss:G3}), max |grad err| {maxGrad:G3}");

int T = 200, N = 32, C = 30, L = 40;
var rng = new Rng(1);
var logits = Tensor.Normal(0f, 1f, [T, N, C], rng);
var logProbs = Functional.LogSoftmax(logits, 2); logProbs.RequiresGrad = true;
var r = new Random(2);
var targets = new float[N * L];
for (int i = 0; i < targets.Length; i++) targets[i] = r.Next(1, C);
var tg = new Tensor(targets, N, L);
int[] inl = Enumerable.Repeat(T, N).ToArray(), tl = Enumerable.Range(0, N).Select(i => 20 + i % 21).ToArray();
foreach (int threads in new[] { 1, 2 })
{
    Loom.Kernels.Threading.Threads = threads;
    var times = new List<double>(); var fwd = new List<double>();
    for (int k = 0; k < 12; k++)
    {
        logProbs.ZeroGrad();
        var sw = Stopwatch.StartNew();
        var loss = Functional.CtcLoss(logProbs, tg, inl, tl);
        double f = sw.Elapsed.TotalMilliseconds;
        loss.Backward();
        if (k >= 2) { times.Add(sw.Elapsed.TotalMilliseconds); fwd.Add(f); }
    }
    times.Sort(); fwd.Sort();
    Console.WriteLine($"CtcLoss T={T} N={N} C={C} L=20..40, {threads} thread(s): forward {fwd[fwd.Count / 2]:F1} ms, forward+backward {times[times.Count / 2]:F1} ms (median of 10)");
}
foreach (int width in new[] { 1, 8, 32 })
{
    var search = new PrefixBeamSearch(width);
    var ts = new List<double>();
    for (int k = 0; k < 12; k++)
    {
        var sw = Stopwatch.StartNew();
        for (int n = 0; n < N; n++) search.Decode(logProbs.Data.AsSpan(n * C), T, C, N * C);
        if (k >= 2) ts.Add(sw.Elapsed.TotalMilliseconds / N);
    }
    ts.Sort();
    Console.WriteLine($"PrefixBeamSearch width {width}: {ts[ts.Count / 2]:F2} ms per utterance of T={T}, C={C} (median of 10)");
}
{
    var sw = Stopwatch.StartNew();
    for (int k = 0; k < 100; k++) for (int n = 0; n < N; n++) GreedyDecoder.Decode(logProbs.Data.AsSpan(n * C), T, C, stride: N * C);
    Console.WriteLine($"GreedyDecoder: {sw.Elapsed.TotalMilliseconds / 100 / N * 1000:F1} µs per utterance");
}
