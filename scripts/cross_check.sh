#!/usr/bin/env bash
# Builds tests/cross/kernels_check.cpp (the cases of tests/kernel_cases.h) with the aarch64 cross compiler for NEON with and
# without the dot-product extension and runs each under qemu-aarch64, so the Arm kernel paths
# are checked on an x86-64 machine. Installs the cross tools with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v aarch64-linux-gnu-g++ > /dev/null || ! command -v qemu-aarch64 > /dev/null; then
  ${SUDO:-$( [ "$(id -u)" -eq 0 ] || echo sudo )} apt-get install -y g++-aarch64-linux-gnu qemu-user
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for arch in armv8.2-a+dotprod+fp16 armv8-a; do
  aarch64-linux-gnu-g++ -std=c++20 -O2 -march="$arch" -Wall -Wextra -Isrc -Itests -static -pthread \
    tests/cross/kernels_check.cpp src/measure/kernels.cpp src/measure/thread_pool.cpp src/measure/fp_mode.cpp src/core/ggml_type.cpp \
    -o "$out/kernels_check"
  echo "== -march=$arch"
  qemu-aarch64 "$out/kernels_check"
done
