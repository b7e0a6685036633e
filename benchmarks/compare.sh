#!/usr/bin/env bash
# Compare goro with Go; see benchmarks/compare.py for options and the contract.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -f "$root/tools/install_deps.sh" ]]; then
  bash "$root/tools/install_deps.sh"
fi
exec python3 "$root/benchmarks/compare.py" "$@"
