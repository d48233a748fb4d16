#!/usr/bin/env bash
# workerd under callgrind, for bench/instructions.mjs: miniflare starts this in
# workerd's place (MINIFLARE_WORKERD_PATH). Only the workerd that runs the
# Worker (the one with an inspector) is instrumented; wrangler's proxy runs as
# it is. Instrumentation starts off (bench/instructions.mjs turns it on once
# the sockets are open); V8's JIT writes code at run time, hence --smc-check.
# Under valgrind, V8's background compile jobs can stay queued for good, and
# the shim's hot functions with them (workerd alone compiles them within the
# first few thousand publishes): V8 compiles on the isolate's thread instead
# (the same code; compilation is left out of the counts), for every server.
case " $* " in
  *" --inspector-addr="*)
    exec valgrind --tool=callgrind --smc-check=all-non-file --instr-atstart=no --separate-threads=yes \
      --callgrind-out-file="$SB_CALLGRIND_DIR/workerd.%p" --log-file="$SB_CALLGRIND_DIR/valgrind.%p.log" \
      "$SB_WORKERD" "$@" < <(node "$(dirname "$0")/v8-flags.mjs" --no-concurrent-recompilation) ;;
  *) exec "$SB_WORKERD" "$@" ;;
esac
