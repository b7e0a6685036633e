#!/usr/bin/env bash
# Fails if a C++ file of goro's (third_party/ aside) is not formatted as
# .clang-format says (Google style), printing the offending places.
# `tools/check_format.sh --fix` formats them in place instead.
set -euo pipefail
cd "$(dirname "$0")/.."
fmt=clang-format-19
command -v "$fmt" >/dev/null || { echo "check_format: $fmt not installed (tools/install_deps.sh)" >&2; exit 1; }
mapfile -d '' files < <(git ls-files -z -- '*.h' '*.cc' ':!:third_party/**')
if [[ "${1:-}" == "--fix" ]]; then
  "$fmt" -i "${files[@]}"
  exit 0
fi
if "$fmt" --dry-run --Werror "${files[@]}"; then
  echo "check_format: ${#files[@]} files formatted"
else
  echo "check_format: run tools/check_format.sh --fix" >&2
  exit 1
fi
