#!/usr/bin/env bash
# Quick start: install dependencies, build, and run tokcast's main job on the built-in catalog.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
cmake --preset release >/dev/null
cmake --build --preset release
# The seed article's scenario: 70B and 8B at 4-bit on seven platforms, fit + speed + cost,
# with the article's claims checked against the physical bound.
./build/release/tokcast compare
