#!/usr/bin/env bash
# Installs what tokcast needs to build and test, from Debian packages. Idempotent: does
# nothing when everything is already installed.
set -euo pipefail
packages=(build-essential cmake ninja-build git pkg-config
          nlohmann-json3-dev libtomlplusplus-dev libcli11-dev clang-format
          libgtest-dev libgmock-dev libbenchmark-dev libsqlite3-dev
          libcpp-httplib-dev libcurl4-openssl-dev chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
