#!/usr/bin/env bash
# Runs every libFuzzer target (fuzz/README.md) for a given time, in parallel on the machine's
# cores, and prints one line per target: executions, executions per second, corpus growth and
# what it found. Exits 1 when any target crashed, hung, leaked or ran out of memory.
#   [FUZZ_JOBS=N] scripts/fuzz.sh [SECONDS_PER_TARGET=60] [TARGET...]
# The committed seeds (fuzz/corpus/<target>/) are copied into build/fuzz/corpus/, which keeps
# what the fuzzer finds between runs; crashes go to build/fuzz/artifacts/. Installs clang and its
# fuzzer runtime from Debian packages when missing (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || { echo "fuzz.sh: seconds must be a positive whole number" >&2; exit 2; }

./scripts/bootstrap.sh
need=()
command -v clang++ >/dev/null || need+=(clang)
dpkg -s libclang-rt-14-dev >/dev/null 2>&1 || ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a \
  >/dev/null 2>&1 || need+=(libclang-rt-14-dev)
if ((${#need[@]})); then
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

targets=("$@")
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(sed -n '/set(TOKCAST_FUZZ_TARGETS/,/)/p' fuzz/CMakeLists.txt | grep -o '[a-z_]*_fuzzer')
fi
out=build/fuzz/runs
mkdir -p "$out" build/fuzz/artifacts
jobs=${FUZZ_JOBS:-$(nproc)}

run_one() {
  local target=$1 name=${1%_fuzzer}
  local corpus=build/fuzz/corpus/$name
  mkdir -p "$corpus"
  cp -n fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null || true
  local max_len=65536
  [[ $name == gguf_probe ]] && max_len=131072
  local before
  before=$(find "$corpus" -type f | wc -l)
  set +e
  ./build/fuzz/fuzz/"$target" "$corpus" -max_total_time="$seconds" -max_len=$max_len -timeout=20 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=build/fuzz/artifacts/"$name"- \
    >"$out/$name.log" 2>&1
  local rc=$?
  set -e
  local execs rate after
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$name.log" | grep -o '[0-9]*$' || echo 0)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$out/$name.log" | grep -o '[0-9]*$' || echo 0)
  after=$(find "$corpus" -type f | wc -l)
  local verdict=ok
  if ((rc != 0)); then
    verdict="FAILED (exit $rc): $(grep -m1 -E 'ERROR|SUMMARY|deadly signal|timeout' "$out/$name.log" || echo see log)"
  fi
  printf '%-20s %12s execs %8s/s  corpus %4s -> %-5s %s\n' "$name" "$execs" "$rate" "$before" "$after" "$verdict"
  [[ $verdict == ok ]]
}
export -f run_one
export seconds out

echo "fuzzing ${#targets[@]} targets for ${seconds} s each, $jobs at a time (logs in $out/)"
status=0
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}' || status=1
exit $status
