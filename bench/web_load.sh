#!/usr/bin/env bash
# Starts `tokcast web --port 0`, runs the load test against it (32 clients, 20,000 mixed
# requests by default), stops the server. Build first: cmake --preset bench && cmake --build --preset bench
#   bench/web_load.sh [CLIENTS] [REQUESTS]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bench/tokcast
load=build/bench/bench/tokcast_web_load
out=$(mktemp)
"$bin" --db "$(mktemp -d)/r.db" web --port 0 --threads "${WEB_THREADS:-32}" > "$out" &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 50); do [[ -s $out ]] && break; sleep 0.1; done
port=$(sed -n 's|^http://127.0.0.1:\([0-9]*\)/$|\1|p' "$out")
"$load" "$port" "${1:-32}" "${2:-20000}"
