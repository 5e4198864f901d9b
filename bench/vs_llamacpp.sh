#!/usr/bin/env bash
# tokcast's probe engine against llama.cpp on the same GGUF: `tokcast bench model` and
# `llama-bench` with the same threads and sizes, interleaved over rounds (the machine is shared
# and noisy: ratios within one round are what counts), for Q4_0 and Q8_0 of a synthetic model
# (QUANTS="q4_0" for one).
#   bench/vs_llamacpp.sh [MODEL=llama-3.2-1b] [ROUNDS=3] [THREADS=nproc]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-llama-3.2-1b}
rounds=${2:-3}
threads=${3:-$(nproc)}
tokcast=${TOKCAST:-./build/release/tokcast}
bin=$(scripts/llama_cpp.sh | tail -1)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf '%-6s %-5s %-4s %12s %12s %8s\n' quant round test tokcast llama.cpp ratio
for q in ${QUANTS:-q4_0 q8_0}; do
  "$tokcast" synth --model "$model" --quant "$q" -o "$dir/$q.gguf" > /dev/null
  for r in $(seq "$rounds"); do
    t=$("$tokcast" --no-store bench model --model "$dir/$q.gguf" -p 512 -n 128 -t "$threads" -r 3 --format json)
    l=$("$bin/llama-bench" -m "$dir/$q.gguf" -p 512 -n 128 -t "$threads" -r 3 -o json 2> /dev/null)
    for test in pp tg; do
      tv=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['summary']['${test}_tok_s'])" "$t")
      n=$([[ $test == pp ]] && echo "n_prompt" || echo "n_gen")
      lv=$(python3 -c "import json,sys; print(next(x['avg_ts'] for x in json.loads(sys.argv[1]) if x['$n'] > 0))" "$l")
      printf '%-6s %-5s %-4s %12.1f %12.1f %8.2f\n' "$q" "$r" "$test" "$tv" "$lv" "$(python3 -c "print($tv/$lv)")"
    done
  done
done
