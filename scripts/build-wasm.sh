#!/usr/bin/env bash
# Builds the core with Emscripten into js-shim/core.{js,wasm}.
set -euo pipefail
cd "$(dirname "$0")/.."
# Emscripten's JS optimizer needs Debian's acorn, which Node does not look for there.
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
emcmake cmake -S . -B build/wasm -DSB_WASM_OUT="$PWD/js-shim" >/dev/null
cmake --build build/wasm -j2
