#!/usr/bin/env bash
# `npm run bench`: fan-out against switchboard, a plain-JS floor and y-webrtc's
# server, in CPU time and in workerd's instructions (callgrind); sockets per
# Durable Object; the core alone (callgrind, WASM in Node); size and start-up. Writes BENCHMARKS.md's results section and bench/fanout.svg.
# The measuring is bounded at 20 minutes (the builds before it are not: on a
# loaded machine they alone can take minutes); every server it starts is stopped.
# `scripts/bench.sh --quick` is a smaller smoke run.
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET=1200

# 10,000 sockets need as many descriptors in this process and in workerd.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "open files allowed: $(ulimit -n)"

# Last resort if the run is killed: the process groups it had started.
stop_servers() {
  [ -f bench/results/groups ] || return 0
  while read -r pgid; do
    [ -n "$pgid" ] && kill -KILL -- "-$pgid" 2>/dev/null || true
  done < bench/results/groups
  : > bench/results/groups
}
trap stop_servers EXIT

echo "== builds (WebAssembly module, native bench binary)"
bash scripts/build-wasm.sh
cmake -S . -B build/bench -DSB_BENCH=ON >/dev/null
cmake --build build/bench --target core_bench -j2

echo "== bench"
mkdir -p bench/results
# The budget counts from here: the builds above take what the machine gives them.
SECONDS=0
# --foreground: node stays in this process group, so Ctrl-C reaches it and it
# stops its servers; on time-out it gets TERM and does the same.
timeout --foreground --signal=TERM --kill-after=10 $((BUDGET - SECONDS)) node bench/run.mjs "$@"
