#!/usr/bin/env bash
# Builds llama.cpp's llama-server, llama-bench and llama-batched-bench (CPU, Release, no network features) once per
# machine (static, so the cache can move), from the source the npm package node-llama-cpp ships as a git bundle (Debian 12 has no
# llama.cpp package), into a cache outside the clone. Prints the bin directory on its last line.
#   scripts/llama_cpp.sh            # build if missing, print the directory
# Cache: $TOKCAST_CACHE, else $XDG_CACHE_HOME/tokcast, else ~/.cache/tokcast.
#
# Compiler: clang when present, else GCC with AMX kept off. On CPUs with AMX, GCC 12 with
# -march=native builds an AMX path that crashes (its _tile_loadconfig intrinsic lets the stores
# that fill the tile configuration be optimized away); clang does not have the problem, but
# clang 14 names its AMX macros __AMXINT8__ (not ggml's __AMX_INT8__), so with -march=native
# ggml leaves its AMX kernels out without a word: on a CPU with AMX they are defined here (on
# one Xeon that took llama-bench's 1B Q4_0 pp512 from 136 to 241 t/s and tg from 17.5 to 42).
# LLAMA_COMPILER=gcc forces the GCC path.
set -euo pipefail
version=3.22.1
cache=${TOKCAST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tokcast}
dir=$cache/llama.cpp-node-llama-cpp-$version-b2  # -b2: the build recipe (AMX defines)
bin=$dir/build/bin
if [[ -x $bin/llama-server && -x $bin/llama-bench && -x $bin/llama-batched-bench ]]; then
  echo "$bin"
  exit 0
fi
mkdir -p "$cache"
work=$(mktemp -d "$cache/.build-XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "llama_cpp.sh: fetching node-llama-cpp@$version from the npm registry" >&2
(cd "$work" && npm pack --silent "node-llama-cpp@$version" > /dev/null)
tar -xzf "$work/node-llama-cpp-$version.tgz" -C "$work" package/llama/gitRelease.bundle
rm -rf "$dir.tmp"
git -c advice.detachedHead=false clone --quiet "$work/package/llama/gitRelease.bundle" "$dir.tmp"
flags=(-DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF -DGGML_NATIVE=ON
       -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON)
if [[ ${LLAMA_COMPILER:-} != gcc ]] && command -v clang++ > /dev/null; then
  flags+=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++)
  if grep -qw amx_int8 /proc/cpuinfo 2> /dev/null; then
    amx="-D__AMX_TILE__ -D__AMX_INT8__ -D__AMX_BF16__"
    flags+=("-DCMAKE_C_FLAGS=$amx" "-DCMAKE_CXX_FLAGS=$amx")
    echo "llama_cpp.sh: building with clang, AMX kernels on" >&2
  else
    echo "llama_cpp.sh: building with clang" >&2
  fi
else
  flags+=(-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF)
  echo "llama_cpp.sh: building with GCC, AMX off" >&2
fi
cmake -S "$dir.tmp" -B "$dir.tmp/build" -G Ninja "${flags[@]}" > "$work/configure.log" 2>&1 ||
  { tail -20 "$work/configure.log" >&2; exit 1; }
cmake --build "$dir.tmp/build" --target llama-server llama-bench llama-batched-bench -j "$(nproc)" > "$work/build.log" 2>&1 ||
  { tail -30 "$work/build.log" >&2; exit 1; }
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "$bin"
