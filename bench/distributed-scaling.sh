#!/usr/bin/env bash
# Data-parallel scaling on one machine: 1 rank × 2 threads against 2 ranks × 1 thread (Open MPI over shared memory,
# busy polling and yielding), alternated round by round so that load from elsewhere hits all alike; one epoch each.
# Prints samples/s per run, the all-reduce's share of training time and the median ratios. Usage:
#   bench/distributed-scaling.sh [rounds] [model:data ...]   (default: 3 lenet:fashion-mnist char-lstm:moby-dick-mini)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; shift || true
runs=("${@:-lenet:fashion-mnist char-lstm:moby-dick-mini}")
loom=src/Loom.Cli/bin/Release/net10.0/loom
out=$(mktemp -d)
mpi="mpirun -np 2 --oversubscribe --allow-run-as-root -q --mca btl self,vader"
for pair in ${runs[@]}; do
  model=${pair%%:*}; data=${pair#*:}
  for r in $(seq "$rounds"); do
    $loom train --model "$model" --data "$data" --epochs 1 --threads 2 --json > "$out/$model.single.$r.json" 2>/dev/null
    $mpi $loom train --model "$model" --data "$data" --epochs 1 --threads 1 --distributed --json > "$out/$model.busy.$r.json" 2>/dev/null
    $mpi --mca mpi_yield_when_idle 1 $loom train --model "$model" --data "$data" --epochs 1 --threads 1 --distributed --json > "$out/$model.yield.$r.json" 2>/dev/null
  done
done
python3 - "$out" <<'PY'
import json, sys, glob, os, statistics as st
out = sys.argv[1]
rows = {}
for f in sorted(glob.glob(os.path.join(out, "*.json"))):
    model, kind, r, _ = os.path.basename(f).split(".")
    text = open(f).read()
    j = json.loads(text[text.index("{"):])
    h = j["history"][0] if isinstance(j["history"], list) else j["history"]
    rate = j["history"][-1]["samples_per_second"] if isinstance(j["history"], list) else None
    share = (j.get("allreduce_seconds") or 0) / j["train_seconds"]
    rows.setdefault(model, {}).setdefault(kind, []).append((rate, share, j["accuracy"]))
for model, kinds in rows.items():
    single = st.median(x[0] for x in kinds["single"])
    for kind in ("single", "busy", "yield"):
        rates = [x[0] for x in kinds[kind]]
        shares = [x[1] for x in kinds[kind]]
        print(f"{model:10s} {kind:6s} samples/s {', '.join(f'{x:.0f}' for x in rates):30s} median {st.median(rates):8.0f}  ratio {st.median(rates)/single:.2f}  all-reduce share {st.median(shares):.1%}")
PY
