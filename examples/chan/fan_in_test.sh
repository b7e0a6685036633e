#!/usr/bin/env bash
# Runs fan_in and checks that every line of both talkers arrived exactly
# once, each talker's lines in order, followed by the closing line. The
# interleaving of the two talkers is not checked: it varies, as in Go.
set -euo pipefail
out="$("$1")" || { echo "fan_in exited with status $?" >&2; exit 1; }
fail() { echo "fan_in: $*" >&2; echo "--- output:" >&2; echo "$out" >&2; exit 1; }

lines=5
last="$(tail -n 1 <<<"$out")"
[[ "$last" == "You're both boring; I'm leaving." ]] || fail "bad last line: $last"
body="$(head -n -1 <<<"$out")"
for who in Joe Ann; do
  got="$(grep "^$who " <<<"$body" || true)"
  want="$(for ((i = 0; i < lines; i++)); do echo "$who $i"; done)"
  # Exactly these lines, in this order: nothing lost, duplicated or reordered.
  [[ "$got" == "$want" ]] || fail "$who's lines are wrong"
done
n="$(wc -l <<<"$body")"
((n == 2 * lines)) || fail "expected $((2 * lines)) message lines, got $n"
echo "fan_in: ok"
