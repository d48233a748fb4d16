#!/usr/bin/env bash
# Builds the core with Emscripten and puts core.{js,wasm} into js-shim/, and
# the demo page into public/.
# --test-hooks: the test build (a frame that traps on purpose); never deploy it.
set -euo pipefail
cd "$(dirname "$0")/.."
# Emscripten's JS optimizer needs Debian's acorn, which Node does not look for there.
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
build=build/wasm hooks=OFF
if [ "${1:-}" = "--test-hooks" ]; then build=build/wasm-test hooks=ON; fi
emcmake cmake -S . -B "$build" -DSB_TEST_HOOKS=$hooks >/dev/null
cmake --build "$build" -j2
cp "$build/core.js" "$build/core.wasm" js-shim/
node scripts/build-demo.mjs
