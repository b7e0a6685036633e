#!/usr/bin/env python3
"""Compare goro (C++20 coroutines) with Go on the same workloads.

Runs both benchmark suites, takes the median of each side and prints a table
of workload, unit, goro median, Go median and the ratio goro/Go (below 1 means
goro is faster, or uses less memory), followed by the fib speedup
procs:1 / procs:2.

goro side:
    bazel run --config=opt //benchmarks:goro_bench -- --benchmark_format=json \
        --benchmark_repetitions=N --benchmark_report_aggregates_only=true
  run from the repo root; the JSON is read from stdout (bazel logs to stderr).
  Or, with --goro-json FILE, an existing JSON file of that output is parsed.
Go side:
    go test -run xxx -bench . -count N     (in benchmarks/go,
  with GOFLAGS=-mod=mod GOPROXY=off, and GOCACHE under /tmp if HOME is not
  writable); the median is taken over the N ns/op values of each benchmark,
  and for a memory workload over the N values of its metric, which Go prints
  after ns/op on the same line, e.g.
    BenchmarkChanBlockedGMemory-2  1  3296184467 ns/op  2701 bytes/G

Contract with the goro benchmarks (Google Benchmark JSON):
  * benchmark names BM_SpawnJoin, BM_GoCountdown, BM_GoCountdown1M/procs:1,
    BM_GoCountdown1M/procs:2, BM_AwaitReadyTask,
    BM_YieldRoundTrip, BM_Skynet, BM_Fib30/procs:1, BM_Fib30/procs:2,
    BM_ChanPingPong/procs:1, BM_ChanPingPong/procs:2, BM_ChanBuffered4x4,
    BM_SelectFanIn8, BM_ChanBlockedGMemory, BM_MutexUncontended,
    BM_MutexTryLockThread, BM_MutexContended1000, BM_WaitGroupSpawn,
    BM_RWMutexReadMostly, BM_SleepLateness/gs:1000,
    BM_SleepLateness/gs:100000, BM_TimerStartStop, BM_TimerResetStop,
    BM_SelectTimeoutNotFired, BM_FiberContextSwitch, BM_FiberAwaitReadyTask,
    BM_FiberYieldRoundTrip,
    BM_FiberChanPingPong/procs:1, BM_FiberSpawnJoin, BM_DeepRecursion/fiber:1,
    BM_DeepRecursion/fiber:0, BM_FiberBlockedMemory;
  * each time workload (unit ns or ms in WORKLOADS) reports a user counter
    "per_op" whose value is SECONDS per op, where one op means the same as in
    the Go benchmark paired with it in WORKLOADS;
  * each memory workload (unit B) reports instead the user counter named in
    MEMORY_METRICS, in BYTES (BM_ChanBlockedGMemory: "bytes_per_g", resident
    bytes per G blocked on a channel), compared with the Go metric named
    there ("bytes/G");
  * a workload with its own metric (the 4th element of its WORKLOADS entry:
    row label, goro counter, Go unit) reads that goro counter, in SECONDS,
    and that Go metric, in ns (BM_SleepLateness: "late_mean" and "late_p99"
    against Go's "ns-late-mean" and "ns-late-p99"; the fiber rows pair
    goro's fiber workloads with Go's goroutine ones, whose goroutines have
    stacks too; BM_FiberBlockedMemory's "pte_bytes_per_g" is page-table
    bytes per fiber, with no Go counterpart, Go name "-");
  * the median rows have "aggregate_name": "median" and "run_name" equal to
    the benchmark name.  Google Benchmark appends the time type to run_name
    for UseRealTime()/UseManualTime()/MeasureProcessCPUTime() benchmarks
    (e.g. "BM_Fib30/procs:1/real_time"), and "/iterations:N",
    "/repetitions:N", "/min_time:T" for benchmarks that set those (e.g.
    "BM_ChanBlockedGMemory/iterations:1"); such suffixes are ignored.  If there
    are no median rows (e.g. --reps 1), the median of the per-iteration rows
    is used instead.  A row without the counter its workload needs (or with
    "error_occurred") is ignored, and that workload shows "-".
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GO_DIR = os.path.join(ROOT, "benchmarks", "go")

# (Go benchmark name without "Benchmark", goro benchmark name, unit
#  [, (row label, goro counter, Go metric unit)])
WORKLOADS = [
    ("SpawnJoin", "BM_SpawnJoin", "ns"),
    ("GoCountdown", "BM_GoCountdown", "ns"),
    ("GoCountdownProcs1", "BM_GoCountdown1M/procs:1", "ns"),
    ("GoCountdownProcs2", "BM_GoCountdown1M/procs:2", "ns"),
    ("CallReady", "BM_AwaitReadyTask", "ns"),
    ("YieldRoundTrip", "BM_YieldRoundTrip", "ns"),
    ("Skynet", "BM_Skynet", "ms"),
    ("Fib30Procs1", "BM_Fib30/procs:1", "ms"),
    ("Fib30Procs2", "BM_Fib30/procs:2", "ms"),
    ("ChanPingPongProcs1", "BM_ChanPingPong/procs:1", "ns"),
    ("ChanPingPongProcs2", "BM_ChanPingPong/procs:2", "ns"),
    ("ChanBuffered4x4", "BM_ChanBuffered4x4", "ns"),
    ("SelectFanIn8", "BM_SelectFanIn8", "ns"),
    ("ChanBlockedGMemory", "BM_ChanBlockedGMemory", "B"),
    ("MutexUncontended", "BM_MutexUncontended", "ns"),
    ("MutexTryLockThread", "BM_MutexTryLockThread", "ns"),
    ("MutexContended1000", "BM_MutexContended1000", "ns"),
    ("WaitGroupSpawn", "BM_WaitGroupSpawn", "ns"),
    ("RWMutexReadMostly", "BM_RWMutexReadMostly", "ns"),
    ("SleepLateness1000", "BM_SleepLateness/gs:1000", "ms"),
    ("SleepLateness1000", "BM_SleepLateness/gs:1000", "us",
     ("SleepLateMean1000", "late_mean", "ns-late-mean")),
    ("SleepLateness1000", "BM_SleepLateness/gs:1000", "us",
     ("SleepLateP99_1000", "late_p99", "ns-late-p99")),
    ("SleepLateness100000", "BM_SleepLateness/gs:100000", "ms"),
    ("SleepLateness100000", "BM_SleepLateness/gs:100000", "us",
     ("SleepLateMean100000", "late_mean", "ns-late-mean")),
    ("SleepLateness100000", "BM_SleepLateness/gs:100000", "us",
     ("SleepLateP99_100000", "late_p99", "ns-late-p99")),
    ("TimerStartStop", "BM_TimerStartStop", "ns"),
    ("TimerResetStop", "BM_TimerResetStop", "ns"),
    ("SelectTimeoutNotFired", "BM_SelectTimeoutNotFired", "ns"),
    # Fibers (stackful Gs). Go has no bare context switch: goro only.
    ("-", "BM_FiberContextSwitch", "ns",
     ("FiberContextSwitch", "per_op", "ns/op")),
    ("CallReady", "BM_FiberAwaitReadyTask", "ns",
     ("FiberAwaitReady", "per_op", "ns/op")),
    ("YieldRoundTrip", "BM_FiberYieldRoundTrip", "ns",
     ("FiberYieldRoundTrip", "per_op", "ns/op")),
    ("ChanPingPongProcs1", "BM_FiberChanPingPong/procs:1", "ns",
     ("FiberChanPingPongProcs1", "per_op", "ns/op")),
    ("SpawnJoin", "BM_FiberSpawnJoin", "ns",
     ("FiberSpawnJoin", "per_op", "ns/op")),
    ("DeepRecursion10k", "BM_DeepRecursion/fiber:1", "us",
     ("DeepRecursion10kFiber", "per_op", "ns/op")),
    ("DeepRecursion10k", "BM_DeepRecursion/fiber:0", "us",
     ("DeepRecursion10kTasks", "per_op", "ns/op")),
    ("ChanBlockedGMemory", "BM_FiberBlockedMemory", "B",
     ("FiberBlockedMemory", "bytes_per_g", "bytes/G")),
    # Page tables: Go's figure has no separate part to compare with.
    ("-", "BM_FiberBlockedMemory", "B",
     ("FiberBlockedPageTables", "pte_bytes_per_g", "bytes/G")),
]
NS_PER_UNIT = {"ns": 1.0, "us": 1e3, "ms": 1e6}
# Memory units: (goro user counter, Go metric unit), both in that unit.
MEMORY_METRICS = {"B": ("bytes_per_g", "bytes/G")}
# What time workloads read: goro's counter (seconds) and Go's ns/op.
TIME_METRIC = ("per_op", "ns/op")


def metric_of(unit):
    """(goro counter, Go metric unit) that a workload of this unit reads."""
    return MEMORY_METRICS.get(unit, TIME_METRIC)


def spec(workload):
    """(row label, Go name, goro name, unit, goro counter, Go metric unit)
    of a WORKLOADS entry."""
    go_name, goro_name, unit = workload[:3]
    if len(workload) > 3:
        label, counter, go_unit = workload[3]
    else:
        label, (counter, go_unit) = go_name, metric_of(unit)
    return label, go_name, goro_name, unit, counter, go_unit


# Suffixes Google Benchmark adds to run_name: time types, and settings fixed
# in the benchmark's registration (they do not change what one op is).
RUN_NAME_SUFFIX = re.compile(r"(/(process_time|real_time|manual_time"
                             r"|iterations:\d+|repetitions:\d+"
                             r"|min(_warmup)?_time:[0-9.]+s?))+$")
# e.g. "BenchmarkSkynet-2   	       2	 906810030 ns/op", possibly followed
# by more "value unit" pairs (ReportMetric, -benchmem).
GO_LINE = re.compile(r"^Benchmark(\w+?)(?:-\d+)?\s+\d+\s+(.*)$")
GO_VALUE = re.compile(r"([0-9.eE+-]+) (\S+)")


def run_streaming(cmd, cwd, env=None):
    """Run cmd echoing its stdout to our stderr; return (exit code, stdout)."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            text=True)
    lines = []
    for line in proc.stdout:
        sys.stderr.write(line)
        lines.append(line)
    return proc.wait(), "".join(lines)


def goro_medians_from_json(text):
    """Map (goro benchmark name, counter) -> median, for the counters the
    workloads read: seconds per op ("per_op"), bytes for a memory workload,
    or a workload's own counter."""
    start = text.find("{")
    if start < 0:
        sys.exit("compare.py: no JSON found in goro benchmark output")
    data, _ = json.JSONDecoder().raw_decode(text[start:])
    counters_of = {}
    for w in WORKLOADS:
        _, _, goro_name, _, counter, _ = spec(w)
        counters_of.setdefault(goro_name, set()).add(counter)
    medians, samples = {}, {}
    for row in data.get("benchmarks", []):
        name = RUN_NAME_SUFFIX.sub("", row.get("run_name", row.get("name")))
        if row.get("error_occurred"):
            continue
        for counter in counters_of.get(name, {TIME_METRIC[0]}):
            if counter not in row:
                continue
            key = (name, counter)
            if row.get("aggregate_name") == "median":
                medians[key] = float(row[counter])
            elif row.get("run_type", "iteration") == "iteration":
                samples.setdefault(key, []).append(float(row[counter]))
    for name, values in samples.items():
        medians.setdefault(name, statistics.median(values))
    return medians


def run_goro(reps, workloads):
    cmd = ["bazel", "run", "--config=opt", "//benchmarks:goro_bench", "--",
           "--benchmark_format=json", f"--benchmark_repetitions={reps}",
           "--benchmark_report_aggregates_only=true"]
    if workloads is not WORKLOADS:
        names = sorted({re.escape(spec(w)[2]) for w in workloads})
        cmd.append("--benchmark_filter=^(" + "|".join(names) + ")(/|$)")
    print("+", " ".join(cmd), file=sys.stderr)
    try:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    except FileNotFoundError:
        sys.exit("compare.py: bazel not found (use --goro-json or --go-only)")
    if proc.returncode != 0:
        sys.exit(f"compare.py: goro benchmarks failed "
                 f"(exit {proc.returncode})")
    return goro_medians_from_json(proc.stdout)


def go_env():
    env = dict(os.environ, GOFLAGS="-mod=mod", GOPROXY="off", GOWORK="off")
    home = os.environ.get("HOME")
    if not home or not os.access(home, os.W_OK):
        tmp = tempfile.gettempdir()
        env.setdefault("GOCACHE", os.path.join(tmp, "goro-bench-gocache"))
        env.setdefault("GOPATH", os.path.join(tmp, "goro-bench-gopath"))
    return env


def go_medians_from_output(text):
    """Map Go benchmark name (without "Benchmark") -> {unit: median}, over
    every "value unit" pair of its result lines ("ns/op", "bytes/G", ...)."""
    samples = {}
    for line in text.splitlines():
        m = GO_LINE.match(line)
        if m:
            for value, unit in GO_VALUE.findall(m.group(2)):
                samples.setdefault(m.group(1), {}).setdefault(
                    unit, []).append(float(value))
    return {name: {unit: statistics.median(v) for unit, v in units.items()}
            for name, units in samples.items()}


def run_go(reps, workloads):
    """Map Go benchmark name (without "Benchmark") -> {unit: median}."""
    bench = "."
    if workloads is not WORKLOADS:
        names = sorted({spec(w)[1] for w in workloads if spec(w)[1] != "-"})
        if not names:
            return {}
        bench = "^Benchmark(" + "|".join(names) + ")$"
    cmd = ["go", "test", "-run", "xxx", "-bench", bench, "-count", str(reps)]
    print("+ (cd benchmarks/go &&", " ".join(cmd) + ")", file=sys.stderr)
    try:
        code, out = run_streaming(cmd, GO_DIR, go_env())
    except FileNotFoundError:
        sys.exit("compare.py: go not found")
    if code != 0:
        sys.exit(f"compare.py: Go benchmarks failed (exit {code})")
    return go_medians_from_output(out)


def fmt(value):
    if value is None:
        return "-"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def print_table(goro, go, workloads=WORKLOADS):
    """goro: (name, counter) -> seconds (bytes for memory workloads);
    go: name -> {unit: median}, as go_medians_from_output returns."""
    rows = [("workload", "unit", "goro", "Go", "goro/Go")]
    for w in workloads:
        label, go_name, goro_name, unit, counter, go_unit = spec(w)
        g = goro.get((goro_name, counter))
        o = go.get(go_name, {}).get(go_unit)
        if unit in NS_PER_UNIT:
            g = None if g is None else g * 1e9 / NS_PER_UNIT[unit]
            o = None if o is None else o / NS_PER_UNIT[unit]
        ratio = f"{g / o:.2f}" if g is not None and o else "-"
        rows.append((label, unit, fmt(g), fmt(o), ratio))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [c.rjust(w) for c, w in zip(row[2:], widths[2:])]
        print("  ".join(cells))
        if i == 0:
            print("  ".join("-" * w for w in widths))

    def speedup(d, p1, p2):
        return f"{d[p1] / d[p2]:.2f}x" if d.get(p1) and d.get(p2) else "-"
    if workloads is not WORKLOADS:
        return
    print()
    go_ns = {name: units.get("ns/op") for name, units in go.items()}
    goro_s = {name: v for (name, counter), v in goro.items()
              if counter == TIME_METRIC[0]}
    print("fib(30) speedup procs:1 / procs:2:  goro",
          speedup(goro_s, "BM_Fib30/procs:1", "BM_Fib30/procs:2"),
          "  Go", speedup(go_ns, "Fib30Procs1", "Fib30Procs2"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5,
                    help="repetitions on each side (default 5)")
    ap.add_argument("--go-only", action="store_true",
                    help="run only the Go benchmarks")
    ap.add_argument("--goro-json", metavar="FILE",
                    help="parse this goro JSON instead of running bazel")
    ap.add_argument("--only", metavar="REGEX",
                    help="only the workloads whose row label matches REGEX "
                         "(e.g. 'Fiber|DeepRecursion'); both sides run just "
                         "those benchmarks")
    args = ap.parse_args()
    if args.reps < 1:
        ap.error("--reps must be at least 1")
    workloads = WORKLOADS
    if args.only:
        workloads = [w for w in WORKLOADS
                     if re.search(args.only, spec(w)[0])]
        if not workloads:
            ap.error("--only matches no workload")

    goro = {}
    if args.goro_json:
        with open(args.goro_json) as f:
            goro = goro_medians_from_json(f.read())
    elif not args.go_only:
        goro = run_goro(args.reps, workloads)
    if args.goro_json or not args.go_only:
        missing = [f"{s[2]} ({s[4]})" for s in map(spec, workloads)
                   if (s[2], s[4]) not in goro]
        if missing:
            print("compare.py: no goro median for", ", ".join(missing),
                  "; found:",
                  ", ".join(sorted(f"{n} ({c})" for n, c in goro))
                  or "nothing", file=sys.stderr)
    go = run_go(args.reps, workloads)
    print_table(goro, go, workloads)


if __name__ == "__main__":
    main()
