#!/usr/bin/env bash
# Installs what the build and tests need when it is missing: Emscripten,
# nlohmann/json, RapidJSON, doctest, OpenSSL headers, CMake, clang's fuzzer runtime,
# valgrind, Chromium, PyYAML (the workflow test reads YAML with it) (Debian
# packages) and the npm packages (lockfile).
# Installing needs apt (Debian, Ubuntu); elsewhere use the dev container
# (.devcontainer/devcontainer.json) or install the listed tools yourself.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v em++ >/dev/null || missing+=(emscripten)
command -v cmake >/dev/null || missing+=(cmake)
command -v clang++ >/dev/null || missing+=(clang)
[ -f /usr/include/nlohmann/json.hpp ] || missing+=(nlohmann-json3-dev)
[ -f /usr/include/rapidjson/reader.h ] || missing+=(rapidjson-dev)
[ -f /usr/include/doctest/doctest.h ] || missing+=(doctest-dev)
[ -f /usr/include/openssl/hmac.h ] || missing+=(libssl-dev)
ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || missing+=(libclang-rt-14-dev)
command -v valgrind >/dev/null || missing+=(valgrind)
[ -x /usr/bin/chromium ] || missing+=(chromium)
python3 -c 'import yaml' 2>/dev/null || missing+=(python3-yaml)
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "setup: missing ${missing[*]} (Debian package names), and there is no apt-get to install them." >&2
    echo "setup: install them with your system's package manager, or open the repository in its dev container (.devcontainer/devcontainer.json)." >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

command -v npm >/dev/null || { echo "setup: Node.js 20 or later (with npm) is needed" >&2; exit 1; }
# npm ci only when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.switchboard-lock; then
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.switchboard-lock
fi
