// Shared pieces of goro's benchmark programs: the per_op counter that
// compare.py reads, resident-memory readings, and "child modes", in which
// the benchmark binary re-runs itself to measure something in a fresh
// process (see bench_main.cc).
#ifndef GORO_BENCHMARKS_BENCH_UTIL_H_
#define GORO_BENCHMARKS_BENCH_UTIL_H_

#include <cstdint>

#include "benchmark/benchmark.h"

namespace goro_bench {

// Reports `per_op`: seconds per op, `ops_per_iteration` ops per iteration.
inline void report_per_op(benchmark::State& state,
                          std::int64_t ops_per_iteration) {
  state.counters["per_op"] = benchmark::Counter(
      static_cast<double>(state.iterations() * ops_per_iteration),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// The process's resident set size in bytes (/proc/self/statm).
long resident_bytes();

// Registers `measure` to run, instead of the benchmarks, when the binary is
// started with `flag` as its only argument; it prints the number measure()
// returns. Call from a namespace-scope initializer.
bool register_child_mode(const char* flag, double (*measure)());

// Runs this binary with `flag` and returns the number it printed (-1 on
// failure).
double run_self_for_number(const char* flag);

}  // namespace goro_bench

#endif  // GORO_BENCHMARKS_BENCH_UTIL_H_
