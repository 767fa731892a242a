#!/usr/bin/python3
"""PyTorch twin of `loom bench`: the workloads of issue 4, the same shapes, models and JSON keys.

Prints one JSON object on stdout (one key per figure, plus "settings"); progress goes to stderr. All data
is synthetic (fixed seed). Throughputs are medians over timed windows after warm-up steps; latencies are
medians of single calls; the window plan is that of Loom's (src/Loom.Cli/Bench/Measure.cs).

Workloads (in this order, so that the peak resident set read after lenet-train is that of a process that
has done nothing but LeNet training):
- lenet-train: Conv2d(1,32,3,p=1)-ReLU-MaxPool2-Conv2d(32,64,3,p=1)-ReLU-MaxPool2-Flatten-Linear(3136,128)-
  ReLU-Linear(128,10), Adam lr 1e-3, batch 64 of (1,28,28), cross-entropy, full step (zero grad, forward,
  loss, backward, step);
- lenet-infer: the same model, eval mode, no grad: batch 256 images/s and batch-1 latency;
- char-lstm / char-gru / char-rnn: Embedding(80,64) -> LSTM/GRU/RNN(tanh)(64,256, batch_first) ->
  Linear(256,80), seq 100, batch 32, Adam, cross-entropy at every step;
- lstm-generate: the char-LSTM at batch 1, one (1,1) token per call, state carried, no grad;
- sgemm: torch.mm on square float32 matrices of 1024 and 2048 (2n^3 flops per multiply).

Settings for a fair comparison (see ../shared/DATA.md; bench/compare.sh sets them, OPENBLAS_CORETYPE only on an
AVX-512 CPU that OpenBLAS 0.3.21 does not recognise):
  [OPENBLAS_CORETYPE=COOPERLAKE] OMP_WAIT_POLICY=passive taskset -c 0,1 /usr/bin/python3 bench/torch/bench.py [--quick]
Debian's python3-torch calls the system BLAS (libblas.so.3), which update-alternatives points at
libopenblas0-pthread when that is installed; "settings.blas" says which library was loaded and
"settings.openblas_core" which kernel family OpenBLAS chose (openblas_get_corename).
"""
import argparse, json, os, platform, resource, statistics, sys, time

import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 1234
FULL = dict(warmup_steps=3, windows=7, window_seconds=1.0, latency_warmup=50, latency_calls=500)
QUICK = dict(warmup_steps=2, windows=5, window_seconds=0.3, latency_warmup=10, latency_calls=100)
VOCAB, EMBED, HIDDEN, SEQ, CHAR_BATCH = 80, 64, 256, 100, 32

figures = {}


def log(line):
    print(line, file=sys.stderr, flush=True)


def add(key, label, value, unit):
    figures[key] = round(float(value), 1)
    log(f"  {label}: {value:,.1f} {unit}")


def throughput(step, work_per_step, plan):
    """Median over timed windows (each at least window_seconds and one step) of work per second."""
    for _ in range(plan["warmup_steps"]):
        step()
    rates = []
    for _ in range(plan["windows"]):
        start, steps = time.perf_counter(), 0
        while True:
            step()
            steps += 1
            elapsed = time.perf_counter() - start
            if elapsed >= plan["window_seconds"]:
                break
        rates.append(steps * work_per_step / elapsed)
    return statistics.median(rates)


def latency_us(call, plan):
    """Median time of one call in microseconds."""
    for _ in range(plan["latency_warmup"]):
        call()
    times = []
    for _ in range(plan["latency_calls"]):
        start = time.perf_counter_ns()
        call()
        times.append((time.perf_counter_ns() - start) / 1000.0)
    return statistics.median(times)


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def generator():
    return torch.Generator().manual_seed(SEED + 1)


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


class CharModel(nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, EMBED)
        self.rnn = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell](EMBED, HIDDEN, batch_first=True)
        self.linear = nn.Linear(HIDDEN, VOCAB)

    def forward(self, x, state=None):
        out, state = self.rnn(self.embedding(x), state)
        return self.linear(out), state


def lenet_train(plan):
    torch.manual_seed(SEED)
    model = lenet().train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = generator()
    x = torch.randn(64, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (64,), generator=g)

    def step():
        opt.zero_grad(set_to_none=True)  # as Loom's ZeroGrad (and PyTorch 2's default)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    add("lenet_train_images_per_s", "lenet training, batch 64", throughput(step, 64, plan), "images/s")
    add("lenet_train_peak_working_set_mib", "lenet training: peak working set of the process", peak_rss_mib(), "MiB")


def lenet_infer(plan):
    torch.manual_seed(SEED)
    model = lenet().eval()
    g = generator()
    batch = torch.randn(256, 1, 28, 28, generator=g)
    single = torch.randn(1, 1, 28, 28, generator=g)
    with torch.no_grad():
        add("lenet_infer_b256_images_per_s", "lenet inference, batch 256", throughput(lambda: model(batch), 256, plan), "images/s")
        add("lenet_latency_b1_us", "lenet latency, batch 1 (median)", latency_us(lambda: model(single), plan), "µs")


def char_train(cell, plan):
    torch.manual_seed(SEED)
    model = CharModel(cell).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = generator()
    x = torch.randint(0, VOCAB, (CHAR_BATCH, SEQ), generator=g)
    y = torch.randint(0, VOCAB, (CHAR_BATCH, SEQ), generator=g)

    def step():
        opt.zero_grad(set_to_none=True)
        logits, _ = model(x)
        F.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1)).backward()
        opt.step()

    add(f"char_{cell}_train_chars_per_s", f"char-{cell} training, seq 100, batch 32", throughput(step, CHAR_BATCH * SEQ, plan), "chars/s")


def lstm_generate(plan):
    torch.manual_seed(SEED)
    model = CharModel("lstm").eval()
    g = generator()
    tokens = [torch.randint(0, VOCAB, (1, 1), generator=g) for _ in range(64)]
    state, i = None, 0

    def step():
        nonlocal state, i
        logits, state = model(tokens[i % len(tokens)], state)
        i += 1
        return logits

    with torch.no_grad():
        add("lstm_generate_us_per_step", "LSTM generation, batch 1 (median step)", latency_us(step, plan), "µs")


def sgemm(plan):
    g = torch.Generator().manual_seed(SEED)
    for n in (1024, 2048):
        a = torch.rand(n, n, generator=g) * 2 - 1
        b = torch.rand(n, n, generator=g) * 2 - 1
        c = torch.empty(n, n)
        add(f"sgemm_{n}_gflops", f"sgemm {n}³", throughput(lambda: torch.mm(a, b, out=c), 2.0 * n ** 3 / 1e9, plan), "GFLOPS")


WORKLOADS = [
    ("lenet-train", lenet_train),
    ("lenet-infer", lenet_infer),
    ("char-lstm", lambda plan: char_train("lstm", plan)),
    ("char-gru", lambda plan: char_train("gru", plan)),
    ("char-rnn", lambda plan: char_train("rnn", plan)),
    ("lstm-generate", lstm_generate),
    ("sgemm", sgemm),
]


def loaded_blas():
    """The BLAS library this process has mapped (after a matmul has run), resolved through symlinks."""
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))
    found = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                if "blas" in os.path.basename(path).lower() and path.startswith("/"):
                    found.add(os.path.realpath(path))
    except OSError:
        pass
    return ", ".join(sorted(found)) or "unknown"


def openblas_core(blas_paths):
    """The kernel family ("core") OpenBLAS chose in this process, through openblas_get_corename; None if not OpenBLAS."""
    import ctypes
    for path in blas_paths.split(", "):
        if "openblas" not in os.path.basename(path).lower():
            continue
        try:
            lib = ctypes.CDLL(path)  # already mapped by torch: the same handle, the same core
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return lib.openblas_get_corename().decode()
        except (OSError, AttributeError):
            pass
    return None


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    names = [n for n, _ in WORKLOADS]
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer, shorter timed windows (under a minute)")
    p.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)), help="intra-op threads (default: the CPUs this process may use)")
    p.add_argument("--only", default=None, help="comma-separated workloads: " + ", ".join(names))
    p.add_argument("--json", action="store_true", help="accepted for symmetry with loom bench; the output is always JSON")
    p.add_argument("--list", action="store_true", help="print the workload names, one per line, and exit")
    args = p.parse_args()
    if args.list:
        print("\n".join(names))
        return
    if args.threads < 1:
        sys.exit("--threads must be at least 1")
    only = names if not args.only else [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [n for n in only if n not in names]
    if unknown:
        sys.exit(f"--only: unknown workload {unknown[0]!r}. Workloads: {', '.join(names)}.")

    torch.set_num_threads(args.threads)
    plan = QUICK if args.quick else FULL
    blas = loaded_blas()
    if "openblas" not in blas:
        log(f"warning: PyTorch is using {blas}, not OpenBLAS: install libopenblas0-pthread for a fair comparison")
    core = openblas_core(blas)
    settings = {
        "threads": torch.get_num_threads(),
        "quick": args.quick,
        "data": f"synthetic, seed {SEED}",
        "workloads": [n for n in names if n in only],
        "runtime": f"PyTorch {torch.__version__}, Python {platform.python_version()}",
        "blas": blas,
        "openblas_core": core,
        "cpu": cpu_name(),
        "processors": os.cpu_count(),
        "affinity": sorted(os.sched_getaffinity(0)),
        "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "ONEDNN_MAX_CPU_ISA", "OMP_WAIT_POLICY", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")},
    }
    log(f"torch bench: {settings['threads']} threads, {settings['data']}{', quick' if args.quick else ''}, BLAS {blas}, OpenBLAS core {core}")
    for name, run in WORKLOADS:
        if name not in only:
            continue
        log(f"{name}:")
        start = time.perf_counter()
        run(plan)
        log(f"  ({time.perf_counter() - start:.1f} s)")
    add("peak_working_set_mib", "peak working set of the whole run", peak_rss_mib(), "MiB")
    print(json.dumps({**figures, "settings": settings}, indent=2))


if __name__ == "__main__":
    main()
