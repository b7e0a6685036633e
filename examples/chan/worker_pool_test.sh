#!/usr/bin/env bash
# Runs worker_pool and checks that every job was started and finished exactly
# once, by the same worker, by one of the three workers, and that the results
# add up. Which worker takes which job varies, as in Go.
set -euo pipefail
out="$("$1")" || { echo "worker_pool exited with status $?" >&2; exit 1; }
fail() { echo "worker_pool: $*" >&2; echo "--- output:" >&2; echo "$out" >&2; exit 1; }

jobs=5
[[ "$(tail -n 1 <<<"$out")" == "5 jobs done, results add up to 30" ]] ||
  fail "bad last line"
for ((j = 1; j <= jobs; j++)); do
  started="$(grep -E "^worker [1-3] started  job $j\$" <<<"$out" || true)"
  finished="$(grep -E "^worker [1-3] finished job $j\$" <<<"$out" || true)"
  [[ -n "$started" && "$(wc -l <<<"$started")" -eq 1 ]] ||
    fail "job $j not started exactly once"
  [[ -n "$finished" && "$(wc -l <<<"$finished")" -eq 1 ]] ||
    fail "job $j not finished exactly once"
  [[ "${started%% started*}" == "${finished%% finished*}" ]] ||
    fail "job $j finished by another worker than started it"
done
n="$(wc -l <<<"$out")"
((n == 2 * jobs + 1)) || fail "expected $((2 * jobs + 1)) lines, got $n"
echo "worker_pool: ok"
