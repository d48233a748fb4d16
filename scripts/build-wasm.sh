#!/usr/bin/env bash
# Builds the core with Emscripten and puts core.{js,wasm} into js-shim/, and
# the demo page into public/.
# --test-hooks: the test build (a frame that traps on purpose); never deploy it.
set -euo pipefail
cd "$(dirname "$0")/.."
# Emscripten's JS optimizer needs Debian's acorn, which Node does not look for there.
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
target=core
if [ "${1:-}" = "--test-hooks" ]; then target=core_test; fi
emcmake cmake -S . -B build/wasm >/dev/null
cmake --build build/wasm -j2 --target $target
cp "build/wasm/$target.js" js-shim/core.js
cp "build/wasm/$target.wasm" js-shim/core.wasm
node scripts/build-demo.mjs
