// Channel and select benchmarks (issue 3), each with a Go twin in
// benchmarks/go/chan_bench_test.go; same per_op contract as goro_bench.cc.
//
// BM_ChanBlockedGMemory measures resident memory, which only means something
// in a fresh process (a heap already grown by earlier benchmarks absorbs the
// allocation without new pages). So it runs itself again as a child
// process (`goro_bench --goro_measure_blocked_g_memory`), which prints the
// figure, and reports it as the counter `bytes_per_g`.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "benchmark/benchmark.h"
#include "benchmarks/bench_util.h"
#include "benchmarks/chan_workloads.h"
#include "goro/goro.h"

namespace {

using goro::chan;
using goro::task;

// ---- unbuffered ping-pong: one op = one round trip ----
void BM_ChanPingPong(benchmark::State& state) {
  constexpr int kRounds = 200000;
  goro::runtime rt{goro::options{.procs = static_cast<int>(state.range(0))}};
  for (auto _ : state) rt.block_on(goro_bench::ping_pong, kRounds);
  goro_bench::report_per_op(state, kRounds);
}
BENCHMARK(BM_ChanPingPong)
    ->ArgName("procs")
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// ---- buffered (cap 1024), 4 producers, 4 consumers: one op = one item ----
void BM_ChanBuffered4x4(benchmark::State& state) {
  constexpr std::int64_t kItems = 10000000;
  goro::runtime rt{goro::options{.procs = 2}};
  for (auto _ : state) {
    if (rt.block_on(goro_bench::buffered_4x4, kItems) !=
        kItems * (kItems - 1) / 2) {
      state.SkipWithError("buffered 4x4: wrong sum");
    }
  }
  goro_bench::report_per_op(state, kItems);
}
BENCHMARK(BM_ChanBuffered4x4)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- select fan-in over 8 unbuffered channels: one op = one item ----
void BM_SelectFanIn8(benchmark::State& state) {
  constexpr int kItems = 1000000;
  goro::runtime rt{goro::options{.procs = 2}};
  for (auto _ : state) {
    if (rt.block_on(goro_bench::select_fan_in, kItems) != kItems) {
      state.SkipWithError("fan-in: wrong count");
    }
  }
  goro_bench::report_per_op(state, kItems);
}
BENCHMARK(BM_SelectFanIn8)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- uncontended buffered send + receive by one G (goro only) ----
task<std::int64_t> send_recv_alone(int n) {
  auto ch = goro::make_chan<int>(1);
  std::int64_t sum = 0;
  for (int i = 0; i < n; ++i) {
    co_await ch.send(i);
    sum += *co_await ch.recv();
  }
  co_return sum;
}

void BM_ChanSendRecvUncontended(benchmark::State& state) {
  constexpr int kOps = 1000000;
  goro::runtime rt{goro::options{.procs = 1}};
  for (auto _ : state)
    benchmark::DoNotOptimize(rt.block_on(send_recv_alone, kOps));
  goro_bench::report_per_op(state, kOps);
}
BENCHMARK(BM_ChanSendRecvUncontended)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// ---- memory: resident bytes per G blocked in a receive ----
constexpr int kBlockedGs = 100000;
std::atomic<int> blocked_count{0};

task<void> block_in_recv(chan<int> ch) {
  blocked_count.fetch_add(1, std::memory_order_relaxed);
  (void)co_await ch.recv();
}

double measure_blocked_g_memory() {
  goro::runtime rt{goro::options{.procs = 2}};
  auto ch = goro::make_chan<int>();
  // Warm up the runtime's own structures (Ms, Ps, g blocks) first.
  rt.block_on(
      [](chan<int> ch) -> task<> {
        goro::go(block_in_recv, ch);
        co_await ch.send(0);
      },
      ch);
  blocked_count.store(0);
  const long before = goro_bench::resident_bytes();
  rt.block_on(
      [](chan<int> ch) -> task<> {
        for (int i = 0; i < kBlockedGs; ++i) goro::go(block_in_recv, ch);
        while (blocked_count.load(std::memory_order_relaxed) < kBlockedGs) {
          co_await goro::yield();
        }
      },
      ch);
  // Every G has counted itself; give the last ones time to park.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const long after = goro_bench::resident_bytes();
  ch.close();
  return static_cast<double>(after - before) / kBlockedGs;
}

void BM_ChanBlockedGMemory(benchmark::State& state) {
  double bytes = 0;
  for (auto _ : state) {
    bytes = goro_bench::run_self_for_number("--goro_measure_blocked_g_memory");
    if (bytes <= 0) state.SkipWithError("child measurement failed");
  }
  state.counters["bytes_per_g"] = bytes;
}
BENCHMARK(BM_ChanBlockedGMemory)->Iterations(1)->Unit(benchmark::kMillisecond);

const bool registered = goro_bench::register_child_mode(
    "--goro_measure_blocked_g_memory", &measure_blocked_g_memory);

}  // namespace
