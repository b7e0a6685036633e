#!/usr/bin/env bash
# Runs prime_sieve and checks that it printed exactly the first 100 primes,
# computed here by trial division.
set -euo pipefail
out="$("$1")" || { echo "prime_sieve exited with status $?" >&2; exit 1; }

want="$(awk 'BEGIN {
  for (n = 2; count < 100; n++) {
    prime = 1
    for (d = 2; d * d <= n; d++) if (n % d == 0) { prime = 0; break }
    if (prime) { print n; count++ }
  }
}')"

if [[ "$out" != "$want" ]]; then
  echo "prime_sieve: unexpected output" >&2
  diff <(echo "$want") <(echo "$out") >&2 || true
  exit 1
fi
echo "prime_sieve: ok"
