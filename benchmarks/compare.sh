#!/usr/bin/env bash
# Compare goro with Go; see benchmarks/compare.py for options and the contract.
# `compare.sh forkjoin ...` compares fork-join with the C++ peers instead.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -f "$root/tools/install_deps.sh" ]]; then
  bash "$root/tools/install_deps.sh"
fi
# `compare.sh forkjoin --peers DIR [...]`: the fork-join table against the
# C++ peers and Go (benchmarks/forkjoin.py, which says how to get DIR).
if [[ "${1:-}" == forkjoin ]]; then
  shift
  exec python3 "$root/benchmarks/forkjoin.py" "$@"
fi
exec python3 "$root/benchmarks/compare.py" "$@"
