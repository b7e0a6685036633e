#!/usr/bin/env python3
"""Fork-join side by side: goro, the fastest C++ task schedulers, and Go.

Runs skynet (1M leaves: a complete 10-ary tree of 1,111,111 tasks, each
node spawning its 10 children and summing their results; goro twice: with
co_spawn + join of each child, and with goro::when_all over the 10, the
shape of TooManyCooks' spawn_many; the peers and Go run their one skynet
in both rows) and fib(30)
(fork fib(n-1), compute fib(n-2) inline, join; no serial cutoff) at 2
workers, interleaved over several rounds so that the machine's phases hit
every program alike, and prints each program's median in ms and its ratio
to goro's.

Programs:
  goro (g++)    bazel-bin of `bazel build --config=opt //benchmarks:goro_bench`
                (BM_Skynet, BM_SkynetWhenAll, BM_Fib30/procs:2; one
                repetition per round)
  goro (clang)  the same with --config=clang (--clang), since the C++ peers
                are built with clang
  TooManyCooks  $PEERS/bin/TooManyCooks_skynet6 2, TooManyCooks_fib 30 2
  libfork       $PEERS/bin/libfork_skynet6 2, libfork_fib 30 2
  Go            go test -bench '^Benchmark(Skynet|Fib30Procs2)$' (in
                benchmarks/go), one count per round

PEERS is a folder holding the peers' binaries: TooManyCooks
(github.com/tzcnt/TooManyCooks) and libfork (github.com/ConorWilliams/libfork)
built with the skynet and fib drivers of github.com/tzcnt/runtime-benchmarks,
with clang 19 -O3 -march=native, mimalloc and hwloc, as that project builds
them. Each peer binary prints "duration: N us" for one timed run after one
untimed warm-up run of the same size. A program whose binary is missing is
left out of the table.

Usage: benchmarks/forkjoin.py --peers DIR [--rounds N] [--clang] [--no-go]
                              [--chart FILE.png|FILE.svg]

--chart draws the medians as grouped bars, one group per workload, on a
logarithmic time axis (Go is 50x the fastest), with gnuplot (Debian:
gnuplot-nox).
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import compare  # noqa: E402  (the Go environment and output parsing)

WORKLOADS = ("skynet 1M", "skynet when_all", "fib(30)")
GORO_BENCH = {"skynet 1M": "BM_Skynet", "skynet when_all": "BM_SkynetWhenAll",
              "fib(30)": "BM_Fib30/procs:2"}
GO_BENCH = {"skynet 1M": "Skynet", "skynet when_all": "Skynet",
            "fib(30)": "Fib30Procs2"}
PEER_CMD = {
    "skynet 1M": ("{p}_skynet6", "2"),
    "skynet when_all": ("{p}_skynet6", "2"),
    "fib(30)": ("{p}_fib", "30", "2"),
}
DURATION = re.compile(r"duration:\s*([0-9.]+)\s*us")


def build_goro(clang):
    cmd = ["bazel", "build", "--config=opt", "//benchmarks:goro_bench"]
    if clang:
        cmd[2:2] = ["--config=clang", "--platform_suffix=-clang-opt"]
    print("+", " ".join(cmd), file=sys.stderr)
    if subprocess.run(cmd, cwd=ROOT).returncode != 0:
        sys.exit("forkjoin.py: building goro_bench failed")
    out = subprocess.run(["bazel", "info"] + cmd[2:-1] + ["bazel-bin"],
                         cwd=ROOT, stdout=subprocess.PIPE, text=True)
    path = os.path.join(out.stdout.strip(), "benchmarks", "goro_bench")
    # Copied: the next build (the other compiler) replaces bazel-bin's file.
    copy = f"/tmp/goro_bench.forkjoin.{'clang' if clang else 'gcc'}"
    subprocess.run(["cp", path, copy], check=True)
    return copy


def run_goro(binary, workload):
    flt = "^" + re.escape(GORO_BENCH[workload]) + "(/|$)"
    proc = subprocess.run([binary, f"--benchmark_filter={flt}",
                           "--benchmark_format=json"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True)
    medians = compare.goro_medians_from_json(proc.stdout)
    seconds = medians.get((GORO_BENCH[workload], "per_op"))
    return None if seconds is None else seconds * 1e3


def run_peer(peers, name, workload):
    exe, *args = PEER_CMD[workload]
    path = os.path.join(peers, "bin", exe.format(p=name))
    if not os.access(path, os.X_OK):
        return None
    proc = subprocess.run([path] + args, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    m = DURATION.search(proc.stdout)
    return None if m is None else float(m.group(1)) / 1e3


def run_go(workload):
    cmd = ["go", "test", "-run", "xxx", "-bench",
           f"^Benchmark{GO_BENCH[workload]}$", "-count", "1"]
    proc = subprocess.run(cmd, cwd=os.path.join(HERE, "go"),
                          env=compare.go_env(), stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True)
    ns = compare.go_medians_from_output(proc.stdout).get(
        GO_BENCH[workload], {}).get("ns/op")
    return None if ns is None else ns / 1e6


def draw_chart(path, labels, medians):
    """Grouped bars: x = workload, one bar per program, log-scale ms."""
    if shutil.which("gnuplot") is None:
        sys.exit("forkjoin.py: --chart needs gnuplot "
                 "(apt-get install gnuplot-nox)")
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".png", ".svg"):
        sys.exit("forkjoin.py: --chart FILE must end in .png or .svg")
    term = ("pngcairo size 900,500" if ext == ".png" and
            "pngcairo" in subprocess.run(["gnuplot", "-e", "set terminal"],
                                         stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT,
                                         text=True).stdout
            else "png size 900,500" if ext == ".png" else "svg size 900,500")
    with tempfile.NamedTemporaryFile("w", suffix=".dat", delete=False) as f:
        f.write("workload " + " ".join(f'"{l}"' for l in labels) + "\n")
        for w in WORKLOADS:
            f.write(f'"{w}" ' + " ".join(
                f"{medians[(l, w)]:.3f}" if (l, w) in medians else "NaN"
                for l in labels) + "\n")
        data = f.name
    script = f"""
set terminal {term}
set output "{path}"
set title "Fork-join at 2 workers: medians, ms (lower is better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel "ms (log scale)"
set key outside right top
set grid ytics
plot for [i=2:{len(labels) + 1}] "{data}" using i:xtic(1) title columnheader(i)
"""
    proc = subprocess.run(["gnuplot"], input=script, text=True)
    os.unlink(data)
    if proc.returncode != 0:
        sys.exit("forkjoin.py: gnuplot failed")
    print(f"chart: {path}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--peers", required=True,
                    help="folder with bin/TooManyCooks_* and bin/libfork_*")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--clang", action="store_true",
                    help="also goro built with clang-19 (--config=clang)")
    ap.add_argument("--no-go", action="store_true", help="leave Go out")
    ap.add_argument("--chart", metavar="FILE",
                    help="also draw the medians (FILE.png or FILE.svg)")
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")

    programs = [("goro (g++)", build_goro(False))]
    if args.clang:
        programs.append(("goro (clang)", build_goro(True)))
    runners = [(label, lambda w, b=binary: run_goro(b, w))
               for label, binary in programs]
    for peer in ("TooManyCooks", "libfork"):
        runners.append((peer, lambda w, p=peer: run_peer(args.peers, p, w)))
    if not args.no_go:
        runners.append(("Go", run_go))

    samples = {}  # (program, workload) -> [ms]
    for r in range(args.rounds):
        for workload in WORKLOADS:
            for label, run in runners:
                ms = run(workload)
                if ms is not None:
                    samples.setdefault((label, workload), []).append(ms)
                print(f"round {r + 1}: {label:<13} {workload:<10} "
                      f"{'-' if ms is None else f'{ms:.1f} ms'}",
                      file=sys.stderr)

    base = "goro (g++)"
    print(f"medians of {args.rounds} interleaved rounds, 2 workers, ms "
          f"(ratio: program / {base})")
    print(f"{'program':<14}" + "".join(f"{w:>22}" for w in WORKLOADS))
    for label, _ in runners:
        row = f"{label:<14}"
        for w in WORKLOADS:
            v = samples.get((label, w))
            b = samples.get((base, w))
            if not v:
                row += f"{'-':>22}"
                continue
            m = statistics.median(v)
            ratio = (f" ({m / statistics.median(b):.2f}x)" if b else "")
            row += f"{f'{m:.1f}{ratio}':>22}"
        print(row)
    if args.chart:
        medians = {k: statistics.median(v) for k, v in samples.items()}
        draw_chart(args.chart, [label for label, _ in runners], medians)


if __name__ == "__main__":
    main()
