#!/usr/bin/env bash
# Builds the libFuzzer targets (ASan + UBSan) and runs each for FUZZ_SECONDS
# (default 300; `npm test` runs 15). Any finding fails the run and leaves its
# input as build/sanitize/<app>-crash-*; replay it with build/sanitize/fuzz_<app> <file>.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-300}
# The same instrumented build as the sanitized unit tests (scripts/test.sh).
cmake -S . -B build/sanitize -DSB_SANITIZE=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" >/dev/null
cmake --build build/sanitize -j2 --target fuzzers
failed=0
for target in build/sanitize/fuzz_*; do
  app=${target##*/fuzz_}
  corpus=build/sanitize/corpus-$app
  mkdir -p "$corpus"
  seeds=test/fuzz/corpus/$app
  [ -d "$seeds" ] || seeds=$corpus  # an app without seeds starts from nothing
  echo "fuzz: $app for ${seconds}s"
  status=0
  "$target" -max_total_time="$seconds" -max_len=4096 -artifact_prefix="build/sanitize/$app-" \
    "$corpus" "$seeds" >"build/sanitize/$app.log" 2>&1 || status=$?
  grep -E "^Done" "build/sanitize/$app.log" || true
  if [ $status -ne 0 ]; then
    tail -n 40 "build/sanitize/$app.log" >&2
    failed=1
  fi
done
exit $failed
