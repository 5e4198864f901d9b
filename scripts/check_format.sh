#!/usr/bin/env bash
# Checks that the tree is formatted by its own .clang-format (clang-format 14, Debian 12's).
# Another major version formats some constructs differently: then it says so and skips.
set -euo pipefail
cd "$(dirname "$0")/.."
fmt=$(command -v clang-format-14 || command -v clang-format || true)
if [[ -z "${fmt}" ]]; then
  echo "check_format: clang-format not found (scripts/bootstrap.sh installs it)" >&2
  exit 1
fi
major=$("${fmt}" --version | sed -E 's/.*version ([0-9]+).*/\1/')
if [[ "${major}" != "14" ]]; then
  echo "check_format: skipped: ${fmt} is version ${major}, the tree is formatted with 14"
  exit 0
fi
mapfile -t files < <(git ls-files 'src/*.cpp' 'src/*.h' 'src/*.cu' 'tests/*.cpp' 'tests/*.h' 'bench/*.cpp' 'fuzz/*.cpp')
if ! "${fmt}" --dry-run --Werror "${files[@]}" 2>/tmp/tokcast-format.log; then
  grep -m 20 "error:" /tmp/tokcast-format.log >&2 || true
  echo "check_format: files differ from .clang-format; run: clang-format -i \$(git ls-files '*.cpp' '*.h' '*.cu')" >&2
  exit 1
fi
echo "check_format: ${#files[@]} files formatted"
