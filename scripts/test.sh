#!/usr/bin/env bash
# Runs the whole test suite: a release build and an ASan+UBSan build, each through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
./scripts/check_format.sh
jobs=$(nproc 2>/dev/null || echo 2)
for preset in release asan; do
  echo "== ${preset} build =="
  cmake --preset "${preset}" >/dev/null
  cmake --build --preset "${preset}" -j "${jobs}"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --preset "${preset}" -j "${jobs}"
done
