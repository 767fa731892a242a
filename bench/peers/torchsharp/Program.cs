// TorchSharp peer of `loom bench` and bench/torch/bench.py: the workloads TorchSharp can run, with bench.py's
// models, shapes, optimiser, window plan and JSON keys.
//
//   OMP_WAIT_POLICY=passive taskset -c 0,1 dotnet TorchSharpBench.dll [--quick] [--only NAME,...] [--threads N]
//
// - lenet-train: Conv2d(1,32,3,p=1)-ReLU-MaxPool2-Conv2d(32,64,3,p=1)-ReLU-MaxPool2-Flatten-Linear(3136,128)-ReLU-
//   Linear(128,10), Adam lr 1e-3, batch 64 of (1,28,28), cross-entropy, full step (zero grad, forward, loss,
//   backward, step);
// - lenet-infer: the same model, eval mode, no grad: batch 256 images/s and batch-1 latency;
// - char-lstm / char-gru / char-rnn: Embedding(80,64) -> LSTM/GRU/RNN(tanh)(64,256, batch first) -> Linear(256,80),
//   seq 100, batch 32, Adam, cross-entropy at every step;
// - lstm-generate: the char-LSTM at batch 1, one (1,1) token per call, state carried, no grad.
// bench.py's sgemm is left to it: TorchSharp's torch.mm is the same libtorch call on another BLAS build.
// --threads N is torch.set_num_threads(N). Every step runs in a dispose scope, so that the native tensors it makes
// are freed at once rather than when the .NET garbage collector gets to them.
using Loom.Cli.Bench;
using Loom.Peers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

const int Seed = 1234, Vocab = 80, Embed = 64, Hidden = 256, Seq = 100, CharBatch = 32;

string[] names = ["lenet-train", "lenet-infer", "char-lstm", "char-gru", "char-rnn", "lstm-generate"];
var options = Options.Parse(args, names);
if (options is null) return 0;

torch.set_num_threads(options.Threads);
Host.Log($"torchsharp bench: {torch.get_num_threads()} threads, synthetic, seed {Seed}{(options.Quick ? ", quick" : "")}");
var report = new Report();

Generator NewGenerator() => new Generator((ulong)(Seed + 1));

nn.Module<Tensor, Tensor> LeNet() => nn.Sequential(
    nn.Conv2d(1, 32, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10));

void LeNetTrain(BenchPlan plan)
{
    torch.manual_seed(Seed);
    var model = LeNet();
    model.train();
    var optimizer = torch.optim.Adam(model.parameters(), lr: 1e-3);
    var g = NewGenerator();
    var x = torch.randn([64, 1, 28, 28], generator: g);
    var y = torch.randint(0, 10, [64], generator: g);
    void Step()
    {
        using var scope = torch.NewDisposeScope();
        optimizer.zero_grad(); // zeroes the gradients in place: TorchSharp's has no set_to_none, bench.py's choice
        F.cross_entropy(model.call(x), y).backward();
        optimizer.step();
    }
    report.Add("lenet_train_images_per_s", "lenet training, batch 64", Measure.Throughput(Step, 64, plan), "images/s");
    report.Add("lenet_train_peak_working_set_mib", "lenet training: peak working set of the process", Measure.PeakWorkingSetMiB(), "MiB");
}

void LeNetInfer(BenchPlan plan)
{
    torch.manual_seed(Seed);
    var model = LeNet();
    model.eval();
    var g = NewGenerator();
    var batch = torch.randn([256, 1, 28, 28], generator: g);
    var single = torch.randn([1, 1, 28, 28], generator: g);
    void Infer(Tensor input) { using var scope = torch.NewDisposeScope(); model.call(input); }
    using (torch.no_grad())
    {
        report.Add("lenet_infer_b256_images_per_s", "lenet inference, batch 256", Measure.Throughput(() => Infer(batch), 256, plan), "images/s");
        report.Add("lenet_latency_b1_us", "lenet latency, batch 1 (median)", Measure.LatencyMicroseconds(() => Infer(single), plan), "µs");
    }
}

void CharTrain(string cell, BenchPlan plan)
{
    torch.manual_seed(Seed);
    var model = new CharModel(cell, Vocab, Embed, Hidden);
    model.train();
    var optimizer = torch.optim.Adam(model.parameters(), lr: 1e-3);
    var g = NewGenerator();
    var x = torch.randint(0, Vocab, [CharBatch, Seq], generator: g);
    var y = torch.randint(0, Vocab, [CharBatch, Seq], generator: g);
    void Step()
    {
        using var scope = torch.NewDisposeScope();
        optimizer.zero_grad();
        var (logits, _, _) = model.Forward(x, null, null);
        F.cross_entropy(logits.reshape(-1, Vocab), y.reshape(-1)).backward();
        optimizer.step();
    }
    report.Add($"char_{cell}_train_chars_per_s", $"char-{cell} training, seq 100, batch 32", Measure.Throughput(Step, CharBatch * Seq, plan), "chars/s");
}

void LstmGenerate(BenchPlan plan)
{
    torch.manual_seed(Seed);
    var model = new CharModel("lstm", Vocab, Embed, Hidden);
    model.eval();
    var g = NewGenerator();
    var tokens = Enumerable.Range(0, 64).Select(_ => torch.randint(0, Vocab, [1, 1], generator: g)).ToArray();
    Tensor? h = null, c = null;
    int i = 0;
    void Step()
    {
        using var scope = torch.NewDisposeScope();
        var (_, h1, c1) = model.Forward(tokens[i++ % tokens.Length], h, c);
        h?.Dispose(); c?.Dispose();
        (h, c) = (h1.MoveToOuterDisposeScope(), c1?.MoveToOuterDisposeScope()); // the state outlives the step
    }
    using (torch.no_grad())
        report.Add("lstm_generate_us_per_step", "LSTM generation, batch 1 (median step)", Measure.LatencyMicroseconds(Step, plan), "µs");
}

report.RunAll([
    ("lenet-train", LeNetTrain),
    ("lenet-infer", LeNetInfer),
    ("char-lstm", plan => CharTrain("lstm", plan)),
    ("char-gru", plan => CharTrain("gru", plan)),
    ("char-rnn", plan => CharTrain("rnn", plan)),
    ("lstm-generate", LstmGenerate),
], options);

report.Print(new()
{
    ["threads"] = torch.get_num_threads(),
    ["quick"] = options.Quick,
    ["data"] = $"synthetic, seed {Seed}",
    ["workloads"] = names.Where(options.Only.Contains).ToList(),
    ["runtime"] = $"TorchSharp {typeof(torch).Assembly.GetName().Version?.ToString(3)} (libtorch {torch.__version__}), .NET {Environment.Version}",
    ["cpu"] = Host.CpuName(),
    ["affinity"] = Host.Affinity(),
    ["env"] = new[] { "OMP_WAIT_POLICY", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS" }.ToDictionary(k => k, Environment.GetEnvironmentVariable),
});
return 0;

/// <summary>bench.py's CharModel: Embedding -> one recurrent layer (batch first) -> Linear over every step.
/// Forward returns the logits and the new state (h, and c for an LSTM).</summary>
sealed class CharModel : nn.Module
{
    private readonly Embedding _embedding;
    private readonly nn.Module? _rnn;
    private readonly LSTM? _lstm;
    private readonly GRU? _gru;
    private readonly RNN? _plain;
    private readonly Linear _linear;

    public CharModel(string cell, int vocab, int embed, int hidden) : base("CharModel")
    {
        _embedding = nn.Embedding(vocab, embed);
        _rnn = cell switch
        {
            "lstm" => _lstm = nn.LSTM(embed, hidden, batchFirst: true),
            "gru" => _gru = nn.GRU(embed, hidden, batchFirst: true),
            _ => _plain = nn.RNN(embed, hidden, nonLinearity: nn.NonLinearities.Tanh, batchFirst: true),
        };
        _linear = nn.Linear(hidden, vocab);
        RegisterComponents();
    }

    public (Tensor Logits, Tensor H, Tensor? C) Forward(Tensor x, Tensor? h, Tensor? c)
    {
        var e = _embedding.call(x);
        Tensor output, hOut;
        Tensor? cOut = null;
        if (_lstm is not null)
            (output, hOut, cOut) = _lstm.call(e, h is null ? null : (h, c!));
        else if (_gru is not null)
            (output, hOut) = _gru.call(e, h);
        else
            (output, hOut) = _plain!.call(e, h);
        return (_linear.call(output), hOut, cOut);
    }
}
