#!/usr/bin/env bash
# Quick start: install dependencies, build, and run tokcast's main job on the built-in catalog.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
cmake --preset release >/dev/null
cmake --build --preset release
./build/release/tokcast fit \
  --model llama-3.1-70b,llama-3.1-8b --quant q4_k_m --ctx 8192 \
  --hw apple-m4-max-40c,apple-m5-max-40c,nvidia-rtx-4090,nvidia-rtx-5090,nvidia-rtx-pro-6000,nvidia-h100-sxm,nvidia-dgx-spark
