// goro's microbenchmarks, one per workload in benchmarks/README.md, each
// with a Go twin in benchmarks/go/bench_test.go. benchmarks/compare.sh runs
// both sides and prints goro/Go ratios.
//
// Contract with compare.py: every benchmark reports a counter `per_op`
// whose value is SECONDS per op, where "op" means the same thing as in the
// Go benchmark of the same workload. Batched benchmarks run many ops per
// iteration (a G per op would otherwise measure block_on, not spawning).
//
// Run:  bazel run --config=opt //benchmarks:goro_bench
#include <sys/resource.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "benchmark/benchmark.h"
#include "benchmarks/bench_util.h"
#include "goro/goro.h"

namespace {

using goro_bench::report_per_op;

goro::task<void> empty() { co_return; }

// ---- spawn + complete, joined through a handle (co_spawn + co_await) ----
goro::task<void> spawn_join_batch(int n) {
  for (int i = 0; i < n; ++i) {
    auto h = goro::co_spawn(empty);
    co_await h;
  }
}

void BM_SpawnJoin(benchmark::State& state) {
  constexpr int kBatch = 100000;
  goro::runtime rt{goro::options{.procs = 2}};
  for (auto _ : state) rt.block_on(spawn_join_batch, kBatch);
  report_per_op(state, kBatch);
}
BENCHMARK(BM_SpawnJoin)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- spawn + complete, fire and forget (go + an atomic countdown) ----
std::atomic<std::int64_t> countdown{0};

goro::task<void> count_down() {
  countdown.fetch_sub(1, std::memory_order_acq_rel);
  co_return;
}

goro::task<void> go_batch(int n) {
  countdown.store(n, std::memory_order_relaxed);
  for (int i = 0; i < n; ++i) goro::go(count_down);
  while (countdown.load(std::memory_order_acquire) != 0) {
    co_await goro::yield();
  }
}

void BM_GoCountdown(benchmark::State& state) {
  constexpr int kBatch = 100000;
  goro::runtime rt{goro::options{.procs = 2}};
  for (auto _ : state) rt.block_on(go_batch, kBatch);
  report_per_op(state, kBatch);
}
BENCHMARK(BM_GoCountdown)->UseRealTime()->Unit(benchmark::kMillisecond);

// The same with 1M Gs per batch, at 1 and 2 Ps (issue 14's spawn target).
void BM_GoCountdown1M(benchmark::State& state) {
  constexpr int kBatch = 1000000;
  goro::runtime rt{goro::options{.procs = static_cast<int>(state.range(0))}};
  for (auto _ : state) rt.block_on(go_batch, kBatch);
  report_per_op(state, kBatch);
}
BENCHMARK(BM_GoCountdown1M)
    ->ArgName("procs")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// ---- co_await of a child task that completes synchronously ----
goro::task<int> ready_child(int x) { co_return x + 1; }

goro::task<std::int64_t> await_batch(int n) {
  std::int64_t sum = 0;
  for (int i = 0; i < n; ++i) sum += co_await ready_child(i);
  co_return sum;
}

void BM_AwaitReadyTask(benchmark::State& state) {
  constexpr int kBatch = 1000000;
  goro::runtime rt{goro::options{.procs = 2}};
  for (auto _ : state) {
    benchmark::DoNotOptimize(rt.block_on(await_batch, kBatch));
  }
  report_per_op(state, kBatch);
}
BENCHMARK(BM_AwaitReadyTask)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- yield round trip of two Gs on one P ----
goro::task<void> yielder(int n) {
  for (int i = 0; i < n; ++i) co_await goro::yield();
}

goro::task<void> yield_pair(int n) {
  auto partner = goro::co_spawn(yielder, n);
  co_await yielder(n);
  co_await partner;
}

void BM_YieldRoundTrip(benchmark::State& state) {
  constexpr int kRounds = 100000;
  goro::runtime rt{goro::options{.procs = 1}};
  for (auto _ : state) rt.block_on(yield_pair, kRounds);
  report_per_op(state, kRounds);
}
BENCHMARK(BM_YieldRoundTrip)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- skynet: 1M leaf Gs, branching 10 ----
goro::task<std::int64_t> skynet(std::int64_t num, std::int64_t size) {
  if (size == 1) co_return num;
  const std::int64_t child = size / 10;
  goro::join_handle<std::int64_t> kids[10];
  for (int i = 0; i < 10; ++i)
    kids[i] = goro::co_spawn(skynet, num + i * child, child);
  std::int64_t sum = 0;
  for (auto& k : kids) sum += co_await k;
  co_return sum;
}

void BM_Skynet(benchmark::State& state) {
  goro::runtime rt{goro::options{.procs = 2}};
  for (auto _ : state) {
    std::int64_t sum = rt.block_on(skynet, 0, 1000000);
    if (sum != 499999500000) state.SkipWithError("skynet: wrong sum");
  }
  report_per_op(state, 1);
}
BENCHMARK(BM_Skynet)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- skynet at 1M and 10M leaves: peak RSS ----
// Depth-first fork-join keeps the live set at the tree's depth times its
// width (10 pending children per level), not at its breadth, so 10x the
// leaves should cost about the same memory. getrusage's peak is per
// process and only grows: run one size per process
// (--benchmark_filter='SkynetPeakRss/leaves:10000000/procs:2').
void BM_SkynetPeakRss(benchmark::State& state) {
  const std::int64_t leaves = state.range(0);
  goro::runtime rt{goro::options{.procs = static_cast<int>(state.range(1))}};
  for (auto _ : state) {
    std::int64_t sum = rt.block_on(skynet, 0, leaves);
    if (sum != leaves * (leaves - 1) / 2) state.SkipWithError("wrong sum");
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  state.counters["peak_rss_mib"] = static_cast<double>(ru.ru_maxrss) / 1024;
  report_per_op(state, 1);
}
BENCHMARK(BM_SkynetPeakRss)
    ->ArgNames({"leaves", "procs"})
    ->Args({1000000, 1})
    ->Args({10000000, 1})
    ->Args({1000000, 2})
    ->Args({10000000, 2})
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// ---- skynet with goro::when_all over the 10 children ----
goro::task<std::int64_t> skynet_when_all(std::int64_t num, std::int64_t size) {
  if (size == 1) co_return num;
  const std::int64_t child = size / 10;
  std::vector<goro::task<std::int64_t>> kids;
  kids.reserve(10);
  for (int i = 0; i < 10; ++i) {
    kids.push_back(skynet_when_all(num + i * child, child));
  }
  std::int64_t sum = 0;
  for (std::int64_t v : co_await goro::when_all(std::move(kids))) sum += v;
  co_return sum;
}

void BM_SkynetWhenAll(benchmark::State& state) {
  goro::runtime rt{goro::options{.procs = 2}};
  for (auto _ : state) {
    std::int64_t sum = rt.block_on(skynet_when_all, 0, 1000000);
    if (sum != 499999500000) state.SkipWithError("skynet: wrong sum");
  }
  report_per_op(state, 1);
}
BENCHMARK(BM_SkynetWhenAll)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- fib(30), a G per call ----
goro::task<std::int64_t> fib(int n) {
  if (n < 2) co_return n;
  auto a = goro::co_spawn(fib, n - 1);
  std::int64_t b = co_await fib(n - 2);
  co_return co_await a + b;
}

void BM_Fib30(benchmark::State& state) {
  goro::runtime rt{goro::options{.procs = static_cast<int>(state.range(0))}};
  for (auto _ : state) {
    if (rt.block_on(fib, 30) != 832040) state.SkipWithError("fib: wrong");
  }
  report_per_op(state, 1);
}
BENCHMARK(BM_Fib30)->ArgName("procs")->Arg(1)->Arg(2)->UseRealTime()->Unit(
    benchmark::kMillisecond);

}  // namespace
