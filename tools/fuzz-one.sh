#!/usr/bin/env bash
# tools/fuzz-one.sh EXE SECONDS [SEED]: runs the libFuzzer target EXE (.../fuzz_<name>) for
# SECONDS, its random choices from SEED (libFuzzer's -seed; absent or 0: a new seed each run),
# seeded from tests/fuzz/corpus/<name>/ (read only: new inputs go to a temporary directory) and
# with tests/fuzz/dict/<name>.dict when there is one. Exits 1 when it finds a crash, leak or
# timeout, printing the end of its log and the input, kept in <EXE's directory>/artifacts/<name>/.
# Used by tools/dev.sh fuzz and by ctest (the Fuzz.<name> tests of the test build).
set -euo pipefail
exe=$(realpath "$1")
seconds=$2
seed=${3:-0}
cd "$(dirname "$0")/.."
name=${exe##*/fuzz_}
artifacts=$(dirname "$exe")/artifacts/$name
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$artifacts" "$scratch/new"
args=(-max_total_time="$seconds" -seed="$seed" -timeout=10 -rss_limit_mb=2048
      -print_final_stats=1 -artifact_prefix="$artifacts/")
[ -f "tests/fuzz/dict/$name.dict" ] && args+=(-dict="tests/fuzz/dict/$name.dict")
# The first corpus directory is the writable one: the repository's seeds stay untouched.
if "$exe" "${args[@]}" "$scratch/new" "tests/fuzz/corpus/$name" >"$scratch/log" 2>&1; then
  echo "fuzz $name: ok ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$scratch/log" |
    grep -o '[0-9]*$') runs in ${seconds}s)"
else
  tail -n 60 "$scratch/log" >&2
  echo "fuzz $name: FAILED; input: $(grep -o "Test unit written to .*" "$scratch/log" |
    sed 's/Test unit written to //')" >&2
  echo "  reproduce: $exe <that file>" >&2
  exit 1
fi
