#!/usr/bin/env bash
# Runs ping_pong and checks its whole output: strict alternation ping/pong,
# ten hits, then the referee's line.
set -euo pipefail
out="$("$1")" || { echo "ping_pong exited with status $?" >&2; exit 1; }

want="$(for i in $(seq 1 10); do
  if ((i % 2)); then echo "ping $i"; else echo "pong $i"; fi
done; echo "game over after 10 hits")"

if [[ "$out" != "$want" ]]; then
  echo "ping_pong: unexpected output" >&2
  diff <(echo "$want") <(echo "$out") >&2 || true
  exit 1
fi
echo "ping_pong: ok"
