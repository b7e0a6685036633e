// timer/ benchmarks, each with a Go twin in benchmarks/go/timer_bench_test.go;
// same per_op contract as goro_bench.cc (seconds per op), plus the lateness
// counters of the sleep workloads (seconds, read by compare.py).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "benchmarks/bench_util.h"
#include "goro/goro.h"

namespace {

using goro::task;
using clk = std::chrono::steady_clock;

// ---- N Gs each sleeping a random 0-10 ms (procs 2) ----
// One op = the whole batch: spawn N Gs, each sleeps a uniformly random
// duration in [0, 10 ms) and records how late it woke (actual - asked);
// wait for all. Counters: per_op (wall seconds of the batch), late_mean
// and late_p99 (seconds, over every sleeper of every iteration).
task<void> sleepers(int n, std::uint32_t seed, std::vector<double>* late) {
  goro::wait_group wg;
  std::mt19937 rng(seed);
  late->assign(static_cast<std::size_t>(n), 0.0);
  for (int i = 0; i < n; ++i) {
    const auto d = std::chrono::nanoseconds(rng() % 10'000'000);
    wg.go([d, slot = &(*late)[static_cast<std::size_t>(i)]]() -> task<void> {
      const auto t0 = clk::now();
      co_await goro::sleep_for(d);
      *slot = std::chrono::duration<double>(clk::now() - t0 - d).count();
    });
  }
  co_await wg.wait();
}

void BM_SleepLateness(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  goro::runtime rt{goro::options{.procs = 2}};
  std::vector<double> all, late;
  std::uint32_t seed = 1;
  for (auto _ : state) {
    rt.block_on(sleepers, n, seed++, &late);
    all.insert(all.end(), late.begin(), late.end());
  }
  goro_bench::report_per_op(state, 1);
  double sum = 0;
  for (double v : all) sum += v;
  std::sort(all.begin(), all.end());
  state.counters["late_mean"] = sum / static_cast<double>(all.size());
  state.counters["late_p99"] = all[all.size() * 99 / 100];
}
BENCHMARK(BM_SleepLateness)
    ->ArgName("gs")
    ->Arg(1000)
    ->Arg(100000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Runs body(kOps) per iteration at 2 Ps; one op is one step of body.
constexpr int kOps = 1'000'000;
void run_ops(benchmark::State& state, task<void> (*body)(int)) {
  goro::runtime rt{goro::options{.procs = 2}};
  for (auto _ : state) rt.block_on(body, kOps);
  goro_bench::report_per_op(state, kOps);
}

// ---- timer start + stop: one op = goro::timer t(1h); t.stop(); ----
task<void> start_stop(int n) {
  for (int i = 0; i < n; ++i) {
    goro::timer t(std::chrono::hours(1));
    if (!t.stop()) std::abort();
  }
  co_return;
}

void BM_TimerStartStop(benchmark::State& state) { run_ops(state, start_stop); }
BENCHMARK(BM_TimerStartStop)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- the same on one timer: one op = t.reset(1h); t.stop(); ----
task<void> reset_stop(int n) {
  goro::timer t(std::chrono::hours(1));
  for (int i = 0; i < n; ++i) {
    t.reset(std::chrono::hours(1));
    if (!t.stop()) std::abort();
  }
  co_return;
}

void BM_TimerResetStop(benchmark::State& state) { run_ops(state, reset_stop); }
BENCHMARK(BM_TimerResetStop)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- select with a timeout that does not fire ----
// One op = a value sent on a buffered channel, then a select over that
// channel and a 1 s timer (which loses), then the timer stopped: Go's
//   t := time.NewTimer(time.Second); select { case <-ch: case <-t.C: };
//   t.Stop()
task<void> select_timeout(int n) {
  auto ch = goro::make_chan<int>(1);
  for (int i = 0; i < n; ++i) {
    (void)ch.try_send(i);
    goro::timer t(std::chrono::seconds(1));
    auto r = co_await goro::select(ch.recv_case(), t.c().recv_case());
    if (r.index() != 0) std::abort();
    t.stop();
  }
}

void BM_SelectTimeoutNotFired(benchmark::State& state) {
  run_ops(state, select_timeout);
}
BENCHMARK(BM_SelectTimeoutNotFired)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// ---- memory: 10^6 timers created and stopped, resident growth ----
// Not a Go pair: a check that stopped timers give their memory back.
// Reported: resident bytes after 10^6 more start+stop pairs, minus before.
void BM_TimerChurnMemory(benchmark::State& state) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on(start_stop, 100'000);  // warm the allocator
  const long before = goro_bench::resident_bytes();
  for (auto _ : state) rt.block_on(start_stop, 1'000'000);
  state.counters["rss_growth_bytes"] =
      static_cast<double>(goro_bench::resident_bytes() - before);
}
BENCHMARK(BM_TimerChurnMemory)
    ->Iterations(3)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
