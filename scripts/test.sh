#!/usr/bin/env bash
# Everything `npm test` runs, in order: doctest (plain, then ASan+UBSan), the
# WebAssembly build, and the integration suites against the real Worker in workerd.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== native unit tests"
cmake -S . -B build/native >/dev/null
cmake --build build/native -j2
ctest --test-dir build/native --output-on-failure

echo "== native unit tests under ASan + UBSan"
cmake -S . -B build/sanitize -DCMAKE_BUILD_TYPE=Debug -DSB_SANITIZE=ON -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build build/sanitize -j2
ctest --test-dir build/sanitize --output-on-failure

echo "== WebAssembly build"
bash scripts/build-wasm.sh

echo "== Worker integration tests (workerd via wrangler dev)"
node --test --test-concurrency=2 test/worker/
