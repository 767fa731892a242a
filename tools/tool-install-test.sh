#!/usr/bin/env bash
# Packs Loom (library) and Loom.Cli (the .NET tool, command `loom`) into a local folder feed, installs the tool from it
# into a clean temporary tool path, and runs `loom --version` and a one-epoch `loom train` with it.
#   tools/tool-install-test.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
feed="$work/feed"
dotnet pack "$root/src/Loom/Loom.csproj" -c Release -o "$feed" --nologo -v q
dotnet pack "$root/src/Loom.Cli/Loom.Cli.csproj" -c Release -o "$feed" --nologo -v q
ls -l "$feed"
dotnet tool install Loom.Cli --tool-path "$work/tools" --add-source "$feed" --version 0.1.0
"$work/tools/loom" --version
( cd "$work" && "$work/tools/loom" train --model lenet --data fashion-mnist-mini --epochs 1 --out "$work/lenet.safetensors" )
"$work/tools/loom" export --model "$work/lenet.safetensors" --out "$work/lenet.onnx"
echo "tool-install-test: ok"
