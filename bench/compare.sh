#!/usr/bin/env bash
# Loom against PyTorch on this machine, in one go: builds Loom (Release), runs `loom bench --json` and
# bench/torch/bench.py workload by workload with the same settings, and prints figure, Loom, PyTorch and
# ratio, where a ratio > 1 always means Loom is better: Loom/PyTorch for throughputs (…_per_s, …_gflops),
# PyTorch/Loom for latencies and memory (…_us, …_us_per_step, …_mib).
#
#   bench/compare.sh [--quick] [--only NAME,...] [--threads N] [--out DIR] [--peers] [--rounds N]
#
# The workloads are interleaved: each runs in Loom and then at once in PyTorch, in processes of its own, so
# that a slow spell of this shared machine falls on both sides of a ratio rather than on one side of all of
# them (the whole-run peak working set is then the largest over a side's processes).
#
# --rounds N (default 1) runs the whole interleaved sequence N times and reports, for every side and figure, the
# median over the rounds (the peak working set: the largest). On a shared host one process can land in a slow spell
# that its partner escaped: batch-1 LeNet latency, Loom then ONNX Runtime, three times in a row on a 2-core Zen 3
# guest gave 94 / 101, 147 / 131 and 95 / 138 µs. The raw rounds stay in --out as SIDE-WORKLOAD.roundI.json.
#
# --peers adds the two .NET peers, each in processes of its own right after PyTorch for every workload it can run,
# and a column and a ratio (Loom against that peer, same convention) for each: TorchSharp-cpu 0.107.0 (libtorch
# 2.10; bench/peers/torchsharp: every workload but sgemm) and ONNX Runtime 1.31.1 (bench/peers/onnxruntime:
# lenet-infer, on a fresh-weight LeNet that `loom export` writes into --out). bench/peers/build.sh builds both first
# and patches TorchSharp's native library to load on Debian 12 (it needs patchelf). A peer's peak working set is
# shown only where it ran every workload that Loom ran. With DOTNET_EnableAVX512=0, TorchSharp is restricted as
# PyTorch is (and MKL_ENABLE_INSTRUCTIONS=AVX2 for libtorch's MKL); ONNX Runtime has no such switch and is not.
#
# Arguments other than --out and --peers go to every benchmark. All run pinned to CPUs $BENCH_CPUS (default 0,1) with
# OMP_WAIT_POLICY=passive (otherwise OpenMP and OpenBLAS threads fight over the cores); PyTorch is Debian's
# python3-torch, whose BLAS is libopenblas0-pthread through update-alternatives (the JSON's settings.blas says
# which library it loaded, settings.openblas_core which OpenBLAS kernels). OPENBLAS_CORETYPE is forced only
# where OpenBLAS 0.3.21 would pick a slower kernel than the CPU runs: on an AVX-512 CPU it does not know (an
# AMD Zen 5 gets "Haswell", an unknown Intel one may get an SSE kernel), COOPERLAKE (with AVX512-BF16) or
# SKYLAKEX; elsewhere OpenBLAS's own choice stands (a Zen 3 gets "Zen"), and an explicit OPENBLAS_CORETYPE wins.
# With DOTNET_EnableAVX512=0 in the environment (Loom restricted to AVX2), PyTorch is restricted likewise:
# OPENBLAS_CORETYPE=HASWELL and ONEDNN_MAX_CPU_ISA=AVX2. The raw JSON and the table are kept in --out
# (default: a new temporary folder). LOOM_ARTIFACTS=DIR builds into DIR (dotnet --artifacts-path) instead of src/*/bin.
set -euo pipefail
cd "$(dirname "$0")/.."

out=""
only=""
peers=""
rounds=1
args=()
while (($#)); do
  case "$1" in
    --out) out="${2:?--out needs a folder}"; shift 2 ;;
    --out=*) out="${1#--out=}"; shift ;;
    --only) only="${2:?--only needs workload names}"; shift 2 ;;
    --only=*) only="${1#--only=}"; shift ;;
    --peers) peers=1; shift ;;
    --rounds) rounds="${2:?--rounds needs a count}"; shift 2 ;;
    --rounds=*) rounds="${1#--rounds=}"; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "error: --rounds needs a positive whole number, got '$rounds'" >&2; exit 1; }
out="${out:-$(mktemp -d -t loom-compare-XXXXXX)}"
mkdir -p "$out"

python=/usr/bin/python3
"$python" -c 'import torch' 2>/dev/null || { echo "error: $python cannot import torch: apt-get install python3-torch" >&2; exit 1; }
command -v dotnet >/dev/null || { echo "error: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if [[ -n "${LOOM_ARTIFACTS:-}" ]]; then
  dotnet build src/Loom.Cli/Loom.Cli.csproj -c Release --artifacts-path "$LOOM_ARTIFACTS" -v quiet -nologo >&2
  loom_dll="$LOOM_ARTIFACTS/bin/Loom.Cli/release/Loom.Cli.dll"
else
  dotnet build src/Loom.Cli/Loom.Cli.csproj -c Release -v quiet -nologo >&2
  loom_dll="src/Loom.Cli/bin/Release/net10.0/Loom.Cli.dll"
fi

export OMP_WAIT_POLICY=passive
cpus="${BENCH_CPUS:-0,1}"

# The OpenBLAS core that the library picks with the current environment (openblas_get_corename, in a process of its own).
openblas_core() {
  "$python" - <<'PY'
import ctypes, glob
for path in sorted(glob.glob("/usr/lib/*/openblas-pthread/libopenblas.so.0")) + ["libopenblas.so.0"]:
    try:
        lib = ctypes.CDLL(path)
    except OSError:
        continue
    lib.openblas_get_corename.restype = ctypes.c_char_p
    print(lib.openblas_get_corename().decode())
    break
else:
    print("none (no OpenBLAS found)")
PY
}
# Debian's python3-torch needs only some libblas.so.3; where the reference BLAS is what update-alternatives gives,
# PyTorch's matrix products run 10-50x slower than OpenBLAS's and every ratio would flatter Loom.
if [[ "$(openblas_core)" == none* ]]; then
  echo "error: PyTorch would run on the reference BLAS here: apt-get install libopenblas0-pthread" >&2
  exit 1
fi
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
has() { [[ " $flags " == *" $1 "* ]]; }
if [[ "${DOTNET_EnableAVX512:-1}" == 0 || "${DOTNET_EnableAVX512F:-1}" == 0 ]]; then
  export OPENBLAS_CORETYPE=HASWELL ONEDNN_MAX_CPU_ISA=AVX2
  echo "Loom runs with AVX-512 off: PyTorch restricted to AVX2 too (OPENBLAS_CORETYPE=HASWELL, ONEDNN_MAX_CPU_ISA=AVX2)" >&2
elif [[ -z "${OPENBLAS_CORETYPE:-}" ]] && has avx512f; then
  detected=$(openblas_core)
  case "${detected,,}" in
    skylakex|cooperlake|sapphirerapids) echo "OpenBLAS knows this AVX-512 CPU ($detected): left to its own choice" >&2 ;;
    *) if has avx512_bf16; then export OPENBLAS_CORETYPE=COOPERLAKE; else export OPENBLAS_CORETYPE=SKYLAKEX; fi
       echo "OpenBLAS 0.3.21 would run its $detected kernels on this AVX-512 CPU: OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE" >&2 ;;
  esac
fi
echo "OpenBLAS core in use: $(openblas_core)${OPENBLAS_CORETYPE:+ (OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE)}" >&2

workloads="${only:-$("$python" bench/torch/bench.py --list | paste -sd, -)}"
IFS=, read -ra names <<<"$workloads"
sides=("loom=$workloads" "torch=$workloads")  # side=the workloads it runs, for the merge below

if [[ -n "$peers" ]]; then
  dlls=$(bench/peers/build.sh)  # two lines: TorchSharp's .dll, ONNX Runtime's
  if [[ "${ONEDNN_MAX_CPU_ISA:-}" == AVX2 ]]; then export MKL_ENABLE_INSTRUCTIONS=AVX2; fi  # libtorch's MKL, as PyTorch above
  torchsharp_dll=$(sed -n 1p <<<"$dlls") onnxruntime_dll=$(sed -n 2p <<<"$dlls")
  dotnet "$loom_dll" export -m lenet -o "$out/lenet.onnx" >&2
  # The workloads of this run that a peer can run (those its --list names), comma-separated.
  can_run() {
    local all picked=() name
    all=$'\n'"$(dotnet "$1" --list)"$'\n'
    for name in "${names[@]}"; do [[ "$all" == *$'\n'"$name"$'\n'* ]] && picked+=("$name"); done
    (IFS=,; echo "${picked[*]}")
  }
  torchsharp_runs=$(can_run "$torchsharp_dll")
  onnxruntime_runs=$(can_run "$onnxruntime_dll")
  sides+=("torchsharp=$torchsharp_runs" "onnxruntime=$onnxruntime_runs")
fi

for ((round = 1; round <= rounds; round++)); do
  for name in "${names[@]}"; do
    file="$name"; ((rounds == 1)) || file="$name.round$round"  # SIDE-$file.json
    echo "== $name: Loom (${args[*]:-full run}), round $round of $rounds ==" >&2
    taskset -c "$cpus" dotnet "$loom_dll" bench --json --only "$name" "${args[@]}" >"$out/loom-$file.json"
    echo "== $name: PyTorch ==" >&2
    taskset -c "$cpus" "$python" bench/torch/bench.py --only "$name" "${args[@]}" >"$out/torch-$file.json"
    if [[ -n "$peers" && ",$torchsharp_runs," == *",$name,"* ]]; then
      echo "== $name: TorchSharp ==" >&2
      taskset -c "$cpus" dotnet "$torchsharp_dll" --only "$name" "${args[@]}" >"$out/torchsharp-$file.json"
    fi
    if [[ -n "$peers" && ",$onnxruntime_runs," == *",$name,"* ]]; then
      echo "== $name: ONNX Runtime ==" >&2
      taskset -c "$cpus" dotnet "$onnxruntime_dll" --model "$out/lenet.onnx" --only "$name" "${args[@]}" >"$out/onnxruntime-$file.json"
    fi
  done
done

# With rounds: one JSON per side and workload, each figure the median over the rounds (the peak: the largest).
if ((rounds > 1)); then
  "$python" - "$out" "$rounds" "${sides[@]}" <<'PY'
import json, statistics, sys

out, rounds = sys.argv[1], int(sys.argv[2])
for spec in sys.argv[3:]:
    side, _, runs = spec.partition("=")
    for name in filter(None, runs.split(",")):
        parts = [json.load(open(f"{out}/{side}-{name}.round{i}.json")) for i in range(1, rounds + 1)]
        merged = {"settings": {**parts[0].get("settings", {}), "rounds": rounds}}
        for key, value in parts[0].items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                values = [p[key] for p in parts if key in p]
                merged[key] = max(values) if key == "peak_working_set_mib" else statistics.median(values)
        json.dump(merged, open(f"{out}/{side}-{name}.json", "w"), indent=2)
PY
fi

# One JSON per side: every workload's figures, the settings of the first run, the largest whole-run peak.
"$python" - "$out" "${sides[@]}" <<'PY'
import json, sys

out = sys.argv[1]
for spec in sys.argv[2:]:
    side, _, runs = spec.partition("=")
    names = [n for n in runs.split(",") if n]
    if not names:
        continue
    merged, peak = {}, 0.0
    for name in names:
        part = json.load(open(f"{out}/{side}-{name}.json"))
        peak = max(peak, part.pop("peak_working_set_mib", 0.0))
        settings = part.pop("settings", {})
        merged.setdefault("settings", {**settings, "workloads": []})["workloads"].append(name)
        merged.update(part)
    merged["peak_working_set_mib"] = peak
    json.dump(merged, open(f"{out}/{side}.json", "w"), indent=2)
PY

"$python" - "$out" "${sides[@]}" <<'PY' | tee "$out/compare.txt"
import json, sys

out, specs = sys.argv[1], [spec.split("=", 1) for spec in sys.argv[2:]]
sides = {side: json.load(open(f"{out}/{side}.json")) for side, runs in specs if runs}
loom, torch = sides.pop("loom"), sides.pop("torch")
ls, ts = loom.get("settings", {}), torch.get("settings", {})
labels = {"torchsharp": "TorchSharp", "onnxruntime": "ONNX Runtime"}
others = [("PyTorch", torch)] + [(labels[side], data) for side, data in sides.items()]
# A peer's whole-run peak working set is comparable only when the peer ran all of Loom's workloads.
for _, data in others:
    if sorted(data.get("settings", {}).get("workloads", [])) != sorted(ls.get("workloads", [])):
        data.pop("peak_working_set_mib", None)
higher_is_better = lambda key: key.endswith("_per_s") or key.endswith("_gflops")
number = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
keys = [k for k, v in loom.items() if number(v)]
for _, data in others:
    keys += [k for k, v in data.items() if k not in keys and number(v)]

def fmt(v):
    return "—" if v is None else f"{v:,.1f}"

rows = []
for k in keys:
    a = loom.get(k)
    row = [k, fmt(a)]
    for _, data in others:
        b = data.get(k)
        ratio = None
        if number(a) and number(b) and a > 0 and b > 0:
            ratio = a / b if higher_is_better(k) else b / a
        row += [fmt(b), "—" if ratio is None else f"{ratio:.2f}"]
    rows.append(row)

print(f"Loom:    {ls.get('runtime')}, {ls.get('threads')} threads, {ls.get('cpu')}, GEMM {ls.get('gemm_path')}, peak of {ls.get('fma_peak_isa')}{', quick' if ls.get('quick') else ''}")
print(f"PyTorch: {ts.get('runtime')}, {ts.get('threads')} threads, BLAS {ts.get('blas')}, OpenBLAS core {ts.get('openblas_core')}")
if "torchsharp" in sides:
    print(f"TorchSharp: {sides['torchsharp']['settings'].get('runtime')}, {sides['torchsharp']['settings'].get('threads')} threads")
if "onnxruntime" in sides:
    s = sides["onnxruntime"]["settings"]
    print(f"ONNX Runtime: {s.get('runtime')}, {s.get('threads')} intra-op threads, model {s.get('model')} (loom export, fresh weights)")
print(f"data: {ls.get('data')}; env {ts.get('env')}; CPUs {ts.get('affinity')}; each figure the median of {ls.get('rounds', 1)} round(s)")
if sides:
    print("ratio > 1: Loom better, each ratio against the column to its left (Loom/other for throughputs, other/Loom for latency and memory)")
else:
    print("ratio > 1: Loom better (Loom/PyTorch for throughputs, PyTorch/Loom for latency and memory)")
head = ["figure", "Loom"] + [part for label, _ in others for part in (label, "ratio")]
w = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
for r in [head] + rows:
    print("  ".join(f"{cell:<{w[0]}}" if i == 0 else f"{cell:>{w[i]}}" for i, cell in enumerate(r)))
PY
echo "results in $out (loom.json, torch.json${peers:+, torchsharp.json, onnxruntime.json}, compare.txt; one JSON per workload and side)" >&2
