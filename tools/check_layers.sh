#!/usr/bin/env bash
# Fails if a source file includes a goro header from a higher layer.
#
# The layers, bottom up (README.md, "Layout"):
#   0 core     the G record, park, waiters, wake tokens, locks, parker, clock
#   1 task     goro::task<T>, its promise, the frame allocator
#   2 runtime  the scheduler and the public runtime API
#   3 chan, sync, timer   the primitives (timer may use chan: a timer's
#                         channel; Bazel refuses any cycle within the tier)
#   4 context, group   cancellation trees over timers and channels; Go's
#                      errgroup, over a context
#   5 fiber    stackful Gs, on top of everything: the primitives never name it
# A file may include headers of its own layer and of lower ones only.
#
# Usage: check_layers.sh [ROOT]   (ROOT defaults to the repository root; under
# `bazel test` the files come in as runfiles).
set -euo pipefail
root="${1:-}"
if [[ -z "$root" ]]; then
  if [[ -n "${TEST_SRCDIR:-}" ]]; then
    root="$TEST_SRCDIR/${TEST_WORKSPACE:-goro}"
  else
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  fi
fi

rank() {
  case "$1" in
    core) echo 0 ;;
    task) echo 1 ;;
    runtime) echo 2 ;;
    chan | sync | timer) echo 3 ;;
    context | group) echo 4 ;;
    fiber) echo 5 ;;
    *) echo "" ;;
  esac
}

bad=0
checked=0
for pkg in core task runtime chan sync timer context group fiber; do
  [[ -d "$root/$pkg" ]] || continue
  mine=$(rank "$pkg")
  while IFS= read -r -d '' f; do
    checked=$((checked + 1))
    while IFS= read -r line; do
      dep=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"goro\/([a-z_]+)\/.*/\1/' <<<"$line")
      theirs=$(rank "$dep")
      [[ -z "$theirs" ]] && continue
      if ((theirs > mine)); then
        echo "layer violation: ${f#"$root"/} ($pkg, layer $mine) includes $dep (layer $theirs): $line"
        bad=$((bad + 1))
      fi
    done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"goro/' "$f" || true)
  done < <(find -L "$root/$pkg" -type f \( -name '*.h' -o -name '*.cc' -o -name '*.S' \) -print0)
done

if ((checked == 0)); then
  echo "check_layers: no source files found under $root" >&2
  exit 1
fi
if ((bad != 0)); then
  echo "check_layers: $bad upward include(s) in $checked files" >&2
  exit 1
fi
echo "check_layers: $checked files, no upward include"
