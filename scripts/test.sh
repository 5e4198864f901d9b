#!/usr/bin/env bash
# Runs the whole test suite: a release build and an ASan+UBSan build, each through CTest, with real
# llama.cpp (scripts/llama_cpp.sh) for the integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
./scripts/check_format.sh
# Real llama.cpp for the integration tests (built once per machine into ~/.cache/tokcast).
if llama_bin=$(./scripts/llama_cpp.sh | tail -1); then
  export TOKCAST_LLAMA_BIN=$llama_bin
else
  echo "test.sh: WARNING: llama.cpp could not be built; the llama-server integration tests are skipped" >&2
fi
jobs=$(nproc 2>/dev/null || echo 2)
for preset in release asan; do
  echo "== ${preset} build =="
  cmake --preset "${preset}" >/dev/null
  cmake --build --preset "${preset}" -j "${jobs}"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --preset "${preset}" -j "${jobs}"
done
