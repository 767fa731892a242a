#!/usr/bin/env bash
# Builds the peer benchmarks of bench/compare.sh --peers (Release) and makes TorchSharp loadable here; safe to rerun.
#
#   bench/peers/build.sh        prints the two .dll paths to run, TorchSharp's first
#
# - bench/peers/torchsharp: TorchSharp-cpu 0.107.0 (libtorch). Its native libLibTorchSharp.so asks for GLIBCXX_3.4.32
#   (GCC 13's libstdc++) for one marker symbol it never calls, std::ios_base_library_init(); Debian 12 has GCC 12's
#   libstdc++ (up to 3.4.30), so the library would not load. The build-output copy (never the NuGet cache's) is
#   patched: patchelf drops the symbol's version, then torchsharp_glibcxx_patch.py (from $TORCHSHARP_PATCH, else
#   shared/tools/ beside the repository, as ../shared/DATA.md describes) rewrites the 3.4.32 requirement to 3.4.30. Needs patchelf (apt-get install patchelf) when the
#   library has not been patched yet; where the system libstdc++ already has 3.4.32 nothing is patched.
# - bench/peers/onnxruntime: Microsoft.ML.OnnxRuntime 1.31.1.
# Neither is part of Loom.slnx; CI never builds them. Progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

for project in torchsharp/TorchSharpBench.csproj onnxruntime/OnnxRuntimeBench.csproj; do
  echo "building bench/peers/$project" >&2
  dotnet build "$project" -c Release -v quiet -nologo >&2
done

lib=torchsharp/bin/Release/net10.0/runtimes/linux-x64/native/libLibTorchSharp.so
# (Whole outputs compared, not piped into grep -q: under pipefail a writer cut short by grep would read as a failure.)
needs_glibcxx() { [[ "$(objdump -p "$lib")" == *"GLIBCXX_$1"* ]]; }  # the library's version requirements
system_has_glibcxx() {
  local libstdcxx
  libstdcxx=$(/sbin/ldconfig -p | awk '/libstdc\+\+\.so\.6 .*x86-64/ { print $NF; exit }')
  [[ -n "$libstdcxx" && "$(strings "$libstdcxx")" == *"GLIBCXX_$1"* ]]
}
if [[ ! -f "$lib" ]]; then
  echo "warning: no $lib (not linux-x64?): TorchSharp is left as built" >&2
elif needs_glibcxx 3.4.32 && ! system_has_glibcxx 3.4.32; then
  command -v patchelf >/dev/null || { echo "error: $lib needs patching and patchelf is missing: apt-get install patchelf" >&2; exit 1; }
  patch_script="${TORCHSHARP_PATCH:-}"
  if [[ -z "$patch_script" ]]; then
    for candidate in "$(cd ../../.. && pwd)/shared" /work/shared; do  # beside the repository; the project's usual place
      [[ -f "$candidate/tools/torchsharp_glibcxx_patch.py" ]] && { patch_script="$candidate/tools/torchsharp_glibcxx_patch.py"; break; }
    done
  fi
  [[ -f "$patch_script" ]] || { echo "error: torchsharp_glibcxx_patch.py not found: set TORCHSHARP_PATCH to its path" >&2; exit 1; }
  echo "patching $lib: GLIBCXX_3.4.32 -> 3.4.30 (Debian 12's libstdc++ stops at 3.4.30)" >&2
  patchelf --clear-symbol-version _ZSt21ios_base_library_initv "$lib"
  /usr/bin/python3 "$patch_script" "$lib" >&2
  ! needs_glibcxx 3.4.32 || { echo "error: $lib still needs GLIBCXX_3.4.32 after patching" >&2; exit 1; }
fi

echo "$PWD/torchsharp/bin/Release/net10.0/TorchSharpBench.dll"
echo "$PWD/onnxruntime/bin/Release/net10.0/OnnxRuntimeBench.dll"
