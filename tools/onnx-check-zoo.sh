#!/usr/bin/env bash
# Exports every built-in model with `loom export` (fresh weights; text models with a stand-in vocabulary) and runs
# the reference ONNX checker (tools/onnx_check.py, needs `apt-get install python3-onnx`) on the files.
#   tools/onnx-check-zoo.sh [OUTDIR]   (build first: dotnet build Loom.slnx -c Release)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
loom="$root/src/Loom.Cli/bin/Release/net10.0/loom"
out="${1:-$(mktemp -d)}"
mkdir -p "$out"
files=()
for name in $("$loom" summary --model nope 2>&1 | sed -n 's/.*Built-in models: \([^;]*\);.*/\1/p' | tr -d ','); do
  "$loom" export --model "$name" --out "$out/$name.onnx" > /dev/null
  files+=("$out/$name.onnx")
done
/usr/bin/python3 "$root/tools/onnx_check.py" "${files[@]}"
