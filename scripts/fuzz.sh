#!/usr/bin/env bash
# Builds the libFuzzer targets (ASan + UBSan) and runs each for FUZZ_SECONDS
# (default 300; `npm test` runs 20). Any finding fails the run and leaves its
# input as build/fuzz/<app>-crash-*; replay it with build/fuzz/fuzz_<app> <file>.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-300}
cmake -S . -B build/fuzz -DSB_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/fuzz -j2
failed=0
for target in build/fuzz/fuzz_*; do
  app=${target##*/fuzz_}
  corpus=build/fuzz/corpus-$app
  mkdir -p "$corpus"
  echo "fuzz: $app for ${seconds}s"
  status=0
  "$target" -max_total_time="$seconds" -max_len=4096 -artifact_prefix="build/fuzz/$app-" \
    "$corpus" "test/fuzz/corpus/$app" >"build/fuzz/$app.log" 2>&1 || status=$?
  grep -E "^Done" "build/fuzz/$app.log" || true
  if [ $status -ne 0 ]; then
    tail -n 40 "build/fuzz/$app.log" >&2
    failed=1
  fi
done
exit $failed
