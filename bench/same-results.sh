#!/usr/bin/env bash
# Does a change keep every result? Builds revision OLD and the working tree side by side, trains eleven built-in
# models one epoch each on the embedded data (seed 1, 2 threads) with both, runs `loom demo` with both, and
# prints, per run, whether accuracy and losses are identical.
#
#   bench/same-results.sh OLD [--out DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
old="${1:?usage: bench/same-results.sh OLD [--out DIR]}"; shift
out=""
while (($#)); do case "$1" in --out) out="${2:?}"; shift 2 ;; *) echo "unknown argument $1" >&2; exit 2 ;; esac; done
out="$(realpath -m "${out:-$(mktemp -d -t loom-same-XXXXXX)}")"
mkdir -p "$out"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
git worktree add --detach -q "$out/old-tree" "$old"
trap 'git worktree remove --force "$out/old-tree"' EXIT
dotnet build "$out/old-tree/src/Loom.Cli/Loom.Cli.csproj" -c Release --artifacts-path "$out/old-build" -v quiet -nologo >&2
dotnet build src/Loom.Cli/Loom.Cli.csproj -c Release --artifacts-path "$out/new-build" -v quiet -nologo >&2

runs=(
  "lenet fashion-mnist-mini" "fashion-cnn fashion-mnist-mini" "row-gru fashion-mnist-mini" "hybrid-cnn-lstm fashion-mnist-mini"
  "char-lstm moby-dick-mini" "dilated-cnn-lm moby-dick-mini" "bilstm-tagger brown-mini" "cnn-tagger brown-mini"
  "gru-classifier spam-assassin-mini" "text-cnn spam-assassin-mini" "bigru-classifier spam-assassin-mini --validation-split 0.2"
)
for side in old new; do
  dll="$out/$side-build/bin/Loom.Cli/release/Loom.Cli.dll"
  for run in "${runs[@]}"; do
    read -r model data extra <<<"$run"
    echo "== $side: $model on $data ==" >&2
    dotnet "$dll" train --model "$model" --data "$data" --epochs 1 --seed 1 --threads 2 --json $extra >"$out/$side-$model-$data.json" 2>/dev/null
  done
  echo "== $side: demo ==" >&2
  # The demo's table rows without their timing columns (model, family, metric, parameters, epochs), and the baselines.
  dotnet "$dll" demo --threads 2 | awk '/^(lenet|row-gru|hybrid-cnn-lstm|text-cnn|gru-classifier) / { print $1, $2, $3, $4, $5, $6 } /^baseline:/' >"$out/$side-demo.txt"
done

status=0
for run in "${runs[@]}"; do
  read -r model data _ <<<"$run"
  python3 - "$out/old-$model-$data.json" "$out/new-$model-$data.json" "$model on $data" <<'PY' || status=1
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
keys = ("accuracy", "loss", "train_accuracy", "train_loss")
same = all(a[k] == b[k] for k in keys)
print(f"{'same' if same else 'DIFFERENT'}  {sys.argv[3]}: accuracy {a['accuracy']} / {b['accuracy']}, loss {a['loss']} / {b['loss']}")
sys.exit(0 if same else 1)
PY
done
if diff -q "$out/old-demo.txt" "$out/new-demo.txt" >/dev/null; then echo "same  loom demo tables ($(wc -l <"$out/new-demo.txt") rows)"; else echo "DIFFERENT  loom demo tables:"; diff "$out/old-demo.txt" "$out/new-demo.txt" || true; status=1; fi
exit $status
