#!/usr/bin/env bash
# The long fuzz run: every reader of hostile files (safetensors, model files and checkpoints, spec JSON, IDX raw and
# gzip, Brown, mail, Moby-Dick, language-id word lists, vocabulary, PNG, WAV, spoken-phrases manifest, tar.gz, ONNX as
# bytes and as graph edits) gets an equal share of N minutes of CsCheck-generated mutants, from a
# fresh seed unless --seed is given. Figures go to fuzz-report.md (or --report FILE); every input that broke the
# contract is kept in tests/Loom.Tests/Fixtures/fuzz/found/ (or --found DIR) to be committed as a regression fixture.
#   tools/fuzz.sh --minutes 30 [--seed 12345] [--report FILE] [--found DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=10; seed=""; report="$PWD/fuzz-report.md"; found="$PWD/tests/Loom.Tests/Fixtures/fuzz/found"
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --report) report="$2"; shift 2 ;;
    --found) found="$2"; shift 2 ;;
    *) echo "usage: tools/fuzz.sh --minutes N [--seed S] [--report FILE] [--found DIR]" >&2; exit 2 ;;
  esac
done
dotnet build tests/Loom.Tests -c Release -nodeReuse:false -v quiet -nologo
{ echo "# Fuzz run: $minutes minutes, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"; echo;
  echo "| reader | inputs | accepted | InvalidData | IO | failures | slowest (ms) | largest allocation |";
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"; } > "$report"
status=0
LOOM_FUZZ_MINUTES="$minutes" LOOM_FUZZ_SEED="$seed" LOOM_FUZZ_REPORT="$report" LOOM_FUZZ_FOUND="$found" \
  dotnet test tests/Loom.Tests -c Release --no-build --filter "FullyQualifiedName~FuzzTests.MutantsKeepTheErrorContract" \
  -- xUnit.ParallelizeTestCollections=false || status=$?
cat "$report"
[ -d "$found" ] && [ -n "$(ls -A "$found" 2>/dev/null)" ] && echo "inputs that broke the contract: $found"
exit $status
