#!/usr/bin/env bash
# Runs `loom doctor` as a self-contained linux-arm64 program under qemu user-mode emulation, so that the ARM64
# kernel paths (AdvSimd, Vector128; Vector256/512 not accelerated) are checked on an x86 machine. Emulated speed
# means nothing; correctness does.
#   tools/arm64-doctor.sh [extra loom doctor args, e.g. --json]
# Needs root for apt-get when qemu-user-static or the arm64 cross libraries are missing (Debian/Ubuntu).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

packages=(qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "installing ${missing[*]}" >&2
  apt_get=(apt-get); [ "$(id -u)" -ne 0 ] && apt_get=(sudo apt-get)
  "${apt_get[@]}" update -qq && DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -qq "${missing[@]}" >/dev/null
fi

out=${ARM64_OUT:-/tmp/loom-linux-arm64}
start=$(date +%s)
dotnet publish src/Loom.Cli -c Release -r linux-arm64 --self-contained -o "$out" -v quiet -nologo >&2
built=$(date +%s)
echo "published to $out in $((built - start)) s; running under qemu-aarch64-static" >&2
set +e
DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 qemu-aarch64-static -L /usr/aarch64-linux-gnu "$out/loom" doctor "$@"
rc=$?
set -e
echo "loom doctor under qemu: exit $rc after $(( $(date +%s) - built )) s (publish $((built - start)) s)" >&2
exit $rc
