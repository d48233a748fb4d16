#!/usr/bin/env bash
# Everything `npm test` runs, in order: the repository's own checks (references,
# the deploy workflow, set-up), doctest under ASan+UBSan, the fuzz
# targets for a short fixed time, the production WebAssembly build and its
# bundle (kept in build/bundle/, what CI deploys), the type check of the
# suites' messages against clients/src/messages/*.d.ts and the client package's
# examples against its classes, then the Worker integration suites in
# workerd against the test build (the same plus a frame that traps).
set -euo pipefail
cd "$(dirname "$0")/.."
# Each phase says when it starts, so a slow one shows in the log.
phase() { echo "== $1 (at ${SECONDS} s)"; }

phase "the repository: references, the deploy workflow, set-up"
node --test test/repo/

# The doctests run once, in the sanitizer build the fuzzers share: a second,
# plain build of the same sources doubled the compile time and caught nothing
# more (`cmake -S . -B build/native` is the quick plain build while you work).
phase "native unit tests under ASan + UBSan"
cmake -S . -B build/sanitize -DSB_SANITIZE=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" >/dev/null
cmake --build build/sanitize -j2 --target unit_tests json_scalar_tests
ctest --test-dir build/sanitize --output-on-failure

phase "fuzzing every app, the JSON reader and the token verifier (9 s each, ASan + UBSan)"
FUZZ_SECONDS=${FUZZ_SECONDS:-9} bash scripts/fuzz.sh

phase "WebAssembly build and the deploy bundle"
bash scripts/build-wasm.sh
node --test test/worker/bundle.test.mjs

phase "typed messages: the integration suites' frames and the client examples (types/tsconfig.json)"
node_modules/.bin/tsc -p types/tsconfig.json

phase "Worker integration tests (workerd via wrangler dev)"
bash scripts/build-wasm.sh --test-hooks
status=0
# A test that waits on a socket forever fails after three minutes instead of holding the run.
node --test --test-concurrency=2 --test-timeout=180000 $(ls test/worker/*.test.mjs | grep -v bundle.test.mjs) || status=$?
# Leave the production module in place for `wrangler dev` / `wrangler deploy`.
bash scripts/build-wasm.sh >/dev/null
phase "done: exit $status"
exit $status
