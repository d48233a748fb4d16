#!/usr/bin/env bash
# workerd with V8 writing /tmp/perf-PID.map (its JIT code's names, WebAssembly
# included), for bench/process-profile.mjs: miniflare starts this in
# workerd's place (MINIFLARE_WORKERD_PATH). Only the workerd that runs the
# Worker (the one with an inspector) gets the flag; V8's own log, which the
# flag turns on, goes nowhere. Interpreted frames get a stub of their own, so
# that a function V8 has not optimised is named too.
case " $* " in
  *" --inspector-addr="*)
    exec "$SB_WORKERD" "$@" < <(node "$(dirname "$0")/v8-flags.mjs" --perf-basic-prof --interpreted-frames-native-stack --no-logfile-per-isolate --logfile=/dev/null) ;;
  *) exec "$SB_WORKERD" "$@" ;;
esac
