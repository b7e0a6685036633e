#!/bin/bash
# A/B of goro_bench binaries in one run: each round runs every binary once
# (interleaved, so that this machine's drift hits all of them alike), and
# the medians over the rounds are printed side by side, in ns of real time
# per benchmark iteration.
#
#   bazel build --config=opt //benchmarks:goro_bench
#   cp bazel-bin/benchmarks/goro_bench /tmp/new   # and an older build as /tmp/old
#   benchmarks/ab.sh 'BM_Fib30|BM_Skynet/' 5 /tmp/old /tmp/new
#
# FILTER is a --benchmark_filter regex; each run uses --benchmark_min_time=0.3.
set -euo pipefail
if [[ $# -lt 3 ]]; then
  echo "usage: $0 FILTER ROUNDS BINARY..." >&2
  exit 2
fi
filter=$1
rounds=$2
shift 2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for ((r = 1; r <= rounds; ++r)); do
  i=0
  for b in "$@"; do
    "$b" --benchmark_filter="$filter" --benchmark_min_time=0.3 \
      --benchmark_format=csv 2>/dev/null | grep '^"BM' >>"$out/$i.csv"
    i=$((i + 1))
  done
done
python3 - "$out" "$@" <<'PY'
import collections, csv, os, statistics, sys
out, bins = sys.argv[1], sys.argv[2:]
scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}
names, res = [], []
for i in range(len(bins)):
    d = collections.defaultdict(list)
    for row in csv.reader(open(os.path.join(out, f"{i}.csv"))):
        d[row[0]].append(float(row[2]) * scale[row[4]])
        if row[0] not in names:
            names.append(row[0])
    res.append(d)
print("%-45s" % "benchmark (median real ns)", *("%16s" % os.path.basename(b)[:16] for b in bins))
for n in names:
    print("%-45s" % n[:45], *("%16.1f" % statistics.median(d[n]) if d[n] else "%16s" % "-" for d in res))
PY
