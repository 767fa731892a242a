#!/usr/bin/env bash
# Loom against an earlier Loom on this machine, in one go: builds revision OLD (a commit, tag or branch) and
# the working tree side by side, then runs `loom bench --json` workload by workload, alternating old and new in
# processes of their own for --rounds rounds, and prints each figure's median per side and new/old, where a
# ratio > 1 always means the new build is better (new/old for throughputs, old/new for latencies and memory).
#
#   bench/compare-builds.sh OLD [--rounds N] [--quick] [--only NAME,...] [--threads N] [--out DIR]
#
# Alternating the two builds within each workload lets a slow spell of this shared machine fall on both sides
# of a ratio. Both run pinned to CPUs $BENCH_CPUS (default 0,1). The old revision is checked out with
# `git worktree` into the --out folder (removed again at the end) and built there; the JSON of every run and the table stay in --out
# (default: a new temporary folder).
set -euo pipefail
cd "$(dirname "$0")/.."

old="${1:?usage: bench/compare-builds.sh OLD [--rounds N] [--quick] [--only NAME,...] [--threads N] [--out DIR]}"
shift
out="" only="" rounds=2
args=()
while (($#)); do
  case "$1" in
    --out) out="${2:?--out needs a folder}"; shift 2 ;;
    --only) only="${2:?--only needs workload names}"; shift 2 ;;
    --rounds) rounds="${2:?--rounds needs a count}"; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done
out="$(realpath -m "${out:-$(mktemp -d -t loom-builds-XXXXXX)}")"
mkdir -p "$out"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

oldtree="$out/old-tree"
git worktree add --detach -q "$oldtree" "$old"
trap 'git worktree remove --force "$oldtree"' EXIT
echo "== building $old and the working tree ==" >&2
dotnet build "$oldtree/src/Loom.Cli/Loom.Cli.csproj" -c Release --artifacts-path "$out/old-build" -v quiet -nologo >&2
dotnet build src/Loom.Cli/Loom.Cli.csproj -c Release --artifacts-path "$out/new-build" -v quiet -nologo >&2
old_dll="$out/old-build/bin/Loom.Cli/release/Loom.Cli.dll"
new_dll="$out/new-build/bin/Loom.Cli/release/Loom.Cli.dll"
cpus="${BENCH_CPUS:-0,1}"

workloads="${only:-lenet-train,lenet-infer,char-lstm,char-gru,char-rnn,lstm-generate,sgemm}"
IFS=, read -ra names <<<"$workloads"
for ((r = 1; r <= rounds; r++)); do
  for name in "${names[@]}"; do
    for side in old new; do
      dll="${side}_dll"
      echo "== round $r, $name: $side ==" >&2
      taskset -c "$cpus" dotnet "${!dll}" bench --json --only "$name" "${args[@]}" >"$out/$side-$name-$r.json"
    done
  done
done

python3 - "$out" "$old" "$rounds" "${names[@]}" <<'PY' | tee "$out/compare-builds.txt"
import json, statistics, sys

out, old, rounds, names = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
higher_is_better = lambda key: key.endswith("_per_s") or key.endswith("_gflops") or "_pct_of_" in key
rows, cpu = [], ""
for name in names:
    runs = {side: [json.load(open(f"{out}/{side}-{name}-{r}.json")) for r in range(1, rounds + 1)] for side in ("old", "new")}
    cpu = runs["new"][0].get("settings", {}).get("cpu", cpu)
    for key, value in runs["new"][0].items():
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        olds = [run[key] for run in runs["old"] if key in run]
        if not olds:  # a figure the old build does not report (e.g. fma_peak_gflops before it existed)
            continue
        a = statistics.median(olds)
        b = statistics.median(run[key] for run in runs["new"])
        ratio = (b / a if higher_is_better(key) else a / b) if a > 0 and b > 0 else None
        rows.append((key, f"{a:,.1f}", f"{b:,.1f}", "—" if ratio is None else f"{ratio:.2f}"))
print(f"old: {old}; new: the working tree; {rounds} alternating rounds, medians; CPU {cpu}")
print("ratio > 1: the new build is better (new/old for throughputs, old/new for latency and memory)")
head = ("figure", "old", "new", "ratio")
w = [max(len(r[i]) for r in rows + [head]) for i in range(4)]
for r in [head] + rows:
    print(f"{r[0]:<{w[0]}}  {r[1]:>{w[1]}}  {r[2]:>{w[2]}}  {r[3]:>{w[3]}}")
PY
echo "results in $out (one JSON per side, workload and round; compare-builds.txt)" >&2
