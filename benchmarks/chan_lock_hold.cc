// How long channel locks are held, under the loads of chan_bench.cc.
//
// The question: does an uncontended buffered send or receive take a
// lock that another P is likely holding for long? This program links the
// instrumented channel library (//chan:chan_lock_timing), runs each workload
// at 2 Ps, and reports the distribution of critical-section lengths as
// counters (hold_p50_ns, hold_p99_ns, hold_p999_ns, hold_max_ns,
// hold_mean_ns, locks = critical sections per op). The time stamps add a
// few ns to each critical section, so the figures are upper bounds; the
// tail includes sections the OS preempted.
//
// Run:  bazel run --config=opt //benchmarks:chan_lock_hold
#include <cstdint>

#include "benchmark/benchmark.h"
#include "benchmarks/chan_workloads.h"
#include "goro/chan/internal/lock_timing.h"
#include "goro/runtime/runtime.h"

namespace {

void report_hold(benchmark::State& state, std::int64_t ops) {
  const goro::internal::lock_hold_stats s =
      goro::internal::take_lock_hold_stats();
  state.counters["hold_p50_ns"] = s.p50_ns;
  state.counters["hold_p99_ns"] = s.p99_ns;
  state.counters["hold_p999_ns"] = s.p999_ns;
  state.counters["hold_max_ns"] = s.max_ns;
  state.counters["hold_mean_ns"] = s.mean_ns;
  state.counters["locks_per_op"] =
      static_cast<double>(s.count) /
      static_cast<double>(ops * static_cast<std::int64_t>(state.iterations()));
}

template <class Workload, class Arg>
void measure(benchmark::State& state, Workload workload, Arg arg,
             std::int64_t ops) {
  (void)goro::internal::take_lock_hold_stats();  // start from zero
  for (auto _ : state) {
    // A runtime per iteration: its Ms hand their histograms over when they
    // exit, at its destruction.
    goro::runtime rt{goro::options{.procs = 2}};
    rt.block_on(workload, arg);
  }
  report_hold(state, ops);
}

void BM_LockHoldPingPong(benchmark::State& state) {
  measure(state, goro_bench::ping_pong, 200000, 200000);
}
BENCHMARK(BM_LockHoldPingPong)->Iterations(3)->Unit(benchmark::kMillisecond);

void BM_LockHoldBuffered4x4(benchmark::State& state) {
  measure(state, goro_bench::buffered_4x4, std::int64_t{2000000}, 2000000);
}
BENCHMARK(BM_LockHoldBuffered4x4)->Iterations(3)->Unit(benchmark::kMillisecond);

void BM_LockHoldSelectFanIn8(benchmark::State& state) {
  measure(state, goro_bench::select_fan_in, 500000, 500000);
}
BENCHMARK(BM_LockHoldSelectFanIn8)
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
