#!/usr/bin/env bash
# Builds the libFuzzer targets (ASan + UBSan) and runs each for FUZZ_SECONDS
# (default 300; `npm test` runs 9), FUZZ_JOBS at a time (default 2: a
# fuzzer keeps one core busy). Any finding fails the run and leaves its
# input as build/sanitize/<app>-crash-*; replay it with build/sanitize/fuzz_<app> <file>.
set -euo pipefail
cd "$(dirname "$0")/.."
export FUZZ_SECONDS=${FUZZ_SECONDS:-300}
# The same instrumented build as the sanitized unit tests (scripts/test.sh).
cmake -S . -B build/sanitize -DSB_SANITIZE=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" >/dev/null
cmake --build build/sanitize -j2 --target fuzzers

fuzz_one() {
  local target=$1 app=${1##*/fuzz_}
  local corpus=build/sanitize/corpus-$app status=0
  mkdir -p "$corpus"
  local seeds=test/fuzz/corpus/$app
  [ -d "$seeds" ] || seeds=$corpus  # an app without seeds starts from nothing
  "$target" -max_total_time="$FUZZ_SECONDS" -max_len=4096 -artifact_prefix="build/sanitize/$app-" \
    "$corpus" "$seeds" >"build/sanitize/$app.log" 2>&1 || status=$?
  echo "fuzz: $app: $(grep -E "^Done" "build/sanitize/$app.log" || echo "no summary")"
  if [ $status -ne 0 ]; then
    tail -n 40 "build/sanitize/$app.log" >&2
    return 1
  fi
}
export -f fuzz_one
echo "fuzz: each target for ${FUZZ_SECONDS}s, ${FUZZ_JOBS:-2} at a time"
ls build/sanitize/fuzz_* | xargs -P "${FUZZ_JOBS:-2}" -I{} bash -c 'fuzz_one "$1"' _ {}
