#!/usr/bin/env bash
# Wall time (ms) and peak memory of `tokcast compare` (the article's scenario), as a user runs it:
# the median of N runs of /usr/bin/time -v, and the largest RSS. Usage: bench/compare_time.sh [N] [BINARY]
set -euo pipefail
n=${1:-20}
bin=${2:-"$(dirname "$0")/../build/release/tokcast"}
[[ -x "${bin}" ]] || { echo "no tokcast binary at ${bin} (build the release preset first)" >&2; exit 1; }
walls=()
rss_max=0
for _ in $(seq "${n}"); do
  start=${EPOCHREALTIME}
  rss=$( { /usr/bin/time -f "%M" "${bin}" compare > /dev/null; } 2>&1 | tail -1)
  end=${EPOCHREALTIME}
  walls+=("$(awk -v a="${start}" -v b="${end}" 'BEGIN {printf "%.1f", (b - a) * 1000}')")
  ((rss > rss_max)) && rss_max=${rss}
done
median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
cuda=$(ldd "${bin}" | grep -c -i cuda || true)
echo "tokcast compare: median wall ${median} ms (with /usr/bin/time around it) over ${n} runs, peak RSS $((rss_max / 1024)) MiB; CUDA libraries linked into the binary: ${cuda}"
