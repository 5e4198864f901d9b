#!/usr/bin/env bash
# Reproduces the measurement issue's acceptance figures on this machine: decode bandwidth and
# prefill matmul fractions of the probe engine for Llama-3.2-1B (synthetic weights) at Q4_0 and
# Q8_0, next to tokcast's own prediction for this machine. Each model run also prints decode
# against the read bandwidth of its own weight pages, measured around each repetition, which
# stays meaningful when the machine's bandwidth moves between commands.
#   bench/probe_ratios.sh [extra `tokcast bench model` options, e.g. -p 512 -n 128 -r 5]
set -euo pipefail
cd "$(dirname "$0")/.."
tokcast=${TOKCAST:-./build/release/tokcast}
"$tokcast" bench machine -r 7 --rounds 7
for q in q4_0 q8_0; do
  "$tokcast" bench model --model llama-3.2-1b --quant "$q" "$@"
done
