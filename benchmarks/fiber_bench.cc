// Stackful Gs (fiber/) benchmarks. Same per_op contract as goro_bench.cc
// (seconds per op). Go twins in go/fiber_bench_test.go where Go has the
// same thing; compare.py pairs them (the fiber rows reuse Go's goroutine
// benchmarks where the workload is the same: a goroutine is Go's only kind
// of G, and it has a stack).
//
// BM_FiberBlockedMemory measures resident memory in a fresh child process,
// like BM_ChanBlockedGMemory, and reports `bytes_per_g` (RSS) and
// `pte_bytes_per_g` (page-table memory, VmPTE, which RSS does not count and
// a fiber's separately mapped stack adds).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>

#include "benchmark/benchmark.h"
#include "benchmarks/bench_util.h"
#include "goro/fiber/internal/context_switch.h"
#include "goro/goro.h"

namespace {

using goro::task;
using goro_bench::report_per_op;

// ---- the bare context switch: two contexts switching to each other ----
// One op = one switch (save callee-saved registers and FP control words,
// swap stacks, restore). Goro only: Go has no user-visible equivalent.
struct switch_pair {
  void* main_sp = nullptr;
  void* other_sp = nullptr;
  std::int64_t n = 0;
};

void other_side(void* arg) {
  auto* p = static_cast<switch_pair*>(arg);
  for (;;) goro::internal::switch_context(&p->other_sp, p->main_sp);
}

void BM_FiberContextSwitch(benchmark::State& state) {
  constexpr std::size_t kStack = 64 * 1024;
  auto stack = std::make_unique<char[]>(kStack);
  switch_pair p;
  char* top = reinterpret_cast<char*>(
      (reinterpret_cast<std::uintptr_t>(stack.get()) + kStack) &
      ~std::uintptr_t{15});
  p.other_sp = goro::internal::make_context(top, &other_side, &p);
  constexpr int kRounds = 1000000;
  for (auto _ : state) {
    for (int i = 0; i < kRounds; ++i) {
      goro::internal::switch_context(&p.main_sp, p.other_sp);  // there and back
    }
  }
  report_per_op(state, 2 * kRounds);
}
BENCHMARK(BM_FiberContextSwitch)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- goro::await of a task that completes at once, in a fiber ----
// One op = one goro::await(ready_child(i)): the fixed cost of await (two
// stack switches, the request frame, the child frame), nothing parks.
// Twin of BM_AwaitReadyTask (co_await of the same task in a stackless G).
goro::task<int> ready_value(int x) { co_return x + 1; }

std::int64_t fiber_await_batch(int n) {
  std::int64_t sum = 0;
  for (int i = 0; i < n; ++i) sum += goro::await(ready_value(i));
  return sum;
}

void BM_FiberAwaitReadyTask(benchmark::State& state) {
  constexpr int kBatch = 1000000;
  goro::runtime rt{goro::options{.procs = 2}};
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        rt.block_on(goro::stackful(fiber_await_batch, kBatch)));
  }
  report_per_op(state, kBatch);
}
BENCHMARK(BM_FiberAwaitReadyTask)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- two fibers on one P, each goro::await(goro::yield()) in turn ----
// One op = one round trip (each fiber yields once): the twin of
// BM_YieldRoundTrip and Go's YieldRoundTrip, with every switch going
// through the scheduler as well as a fiber stack switch each way.
void fiber_yielder(int n) {
  for (int i = 0; i < n; ++i) goro::await(goro::yield());
}

task<void> fiber_yield_pair(int n) {
  auto a = goro::co_spawn_stackful(fiber_yielder, n);
  auto b = goro::co_spawn_stackful(fiber_yielder, n);
  co_await a;
  co_await b;
}

void BM_FiberYieldRoundTrip(benchmark::State& state) {
  constexpr int kRounds = 100000;
  goro::runtime rt{goro::options{.procs = 1}};
  for (auto _ : state) rt.block_on(fiber_yield_pair, kRounds);
  report_per_op(state, kRounds);
}
BENCHMARK(BM_FiberYieldRoundTrip)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- two fibers ping-ponging over unbuffered channels, blocking style ----
// One op = one round trip; twin of BM_ChanPingPong/procs:1.
void fiber_echo(goro::chan<int> ping, goro::chan<int> pong) {
  while (auto v = ping.recv_blocking()) pong.send_blocking(*v);
}

void fiber_pinger(goro::chan<int> ping, goro::chan<int> pong, int n) {
  for (int i = 0; i < n; ++i) {
    ping.send_blocking(i);
    (void)pong.recv_blocking();
  }
  ping.close();
}

task<void> fiber_ping_pong(int n) {
  auto ping = goro::make_chan<int>();
  auto pong = goro::make_chan<int>();
  auto echo = goro::co_spawn_stackful(fiber_echo, ping, pong);
  co_await goro::stackful(fiber_pinger, ping, pong, n);
  co_await echo;
}

void BM_FiberChanPingPong(benchmark::State& state) {
  constexpr int kRounds = 200000;
  goro::runtime rt{goro::options{.procs = static_cast<int>(state.range(0))}};
  for (auto _ : state) rt.block_on(fiber_ping_pong, kRounds);
  report_per_op(state, kRounds);
}
BENCHMARK(BM_FiberChanPingPong)
    ->ArgName("procs")
    ->Arg(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// ---- spawn + complete, joined through a handle ----
// One op = co_spawn_stackful(nothing) + co_await; twin of BM_SpawnJoin
// (stackless) and Go's SpawnJoin.
void nothing() {}

task<void> fiber_spawn_join_batch(int n) {
  for (int i = 0; i < n; ++i) {
    auto h = goro::co_spawn_stackful(nothing);
    co_await h;
  }
}

void BM_FiberSpawnJoin(benchmark::State& state) {
  constexpr int kBatch = 100000;
  goro::runtime rt{goro::options{.procs = 2}};
  for (auto _ : state) rt.block_on(fiber_spawn_join_batch, kBatch);
  report_per_op(state, kBatch);
}
BENCHMARK(BM_FiberSpawnJoin)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- deep recursion, depth 10^4, one suspension at the bottom ----
// One op = one whole descent and return. As plain calls on a fiber (the
// fiber is started once per op), and as the same recursion written as
// nested stackless tasks (one coroutine frame per level). Go twin:
// DeepRecursion10k (plain recursion in a goroutine, Gosched at the bottom).
constexpr int kDepth = 10000;

[[gnu::noinline]] std::int64_t recurse_plain(int n) {
  if (n == 0) {
    goro::await(goro::yield());
    return 0;
  }
  return recurse_plain(n - 1) + n;
}

task<std::int64_t> recurse_task(int n) {
  if (n == 0) {
    co_await goro::yield();
    co_return 0;
  }
  co_return co_await recurse_task(n - 1) + n;
}

void BM_DeepRecursion(benchmark::State& state) {
  const bool fiber = state.range(0) == 1;
  goro::runtime rt{goro::options{.procs = 1}};
  constexpr int kReps = 100;
  for (auto _ : state) {
    benchmark::DoNotOptimize(rt.block_on([fiber]() -> task<std::int64_t> {
      std::int64_t s = 0;
      for (int i = 0; i < kReps; ++i) {
        if (fiber) {
          s += co_await goro::stackful(recurse_plain, kDepth);
        } else {
          s += co_await recurse_task(kDepth);
        }
      }
      co_return s;
    }));
  }
  report_per_op(state, kReps);
}
BENCHMARK(BM_DeepRecursion)
    ->ArgName("fiber")
    ->Arg(1)
    ->Arg(0)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// ---- memory: resident bytes per fiber blocked in a receive ----
constexpr int kBlockedFibers = 10000;
std::atomic<int> fibers_blocked{0};

void fiber_block_in_recv(goro::chan<int> ch) {
  fibers_blocked.fetch_add(1, std::memory_order_relaxed);
  (void)ch.recv_blocking();
}

long vm_pte_bytes() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return -1;
  char line[256];
  long kb = -1;
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    if (std::strncmp(line, "VmPTE:", 6) == 0) kb = std::atol(line + 6);
  }
  std::fclose(f);
  return kb * 1024;
}

double measure(bool pte) {
  goro::runtime rt{goro::options{.procs = 2}};
  auto ch = goro::make_chan<int>();
  // Warm up the runtime's own structures and the first stack.
  rt.block_on(
      [](goro::chan<int> ch) -> task<> {
        goro::go_stackful(fiber_block_in_recv, ch);
        co_await ch.send(0);
      },
      ch);
  fibers_blocked.store(0);
  const long before = pte ? vm_pte_bytes() : goro_bench::resident_bytes();
  rt.block_on(
      [](goro::chan<int> ch) -> task<> {
        for (int i = 0; i < kBlockedFibers; ++i) {
          goro::go_stackful(fiber_block_in_recv, ch);
        }
        while (fibers_blocked.load(std::memory_order_relaxed) <
               kBlockedFibers) {
          co_await goro::yield();
        }
      },
      ch);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const long after = pte ? vm_pte_bytes() : goro_bench::resident_bytes();
  ch.close();
  return static_cast<double>(after - before) / kBlockedFibers;
}

double measure_rss() { return measure(false); }
double measure_pte() { return measure(true); }

void BM_FiberBlockedMemory(benchmark::State& state) {
  double bytes = 0, pte = 0;
  for (auto _ : state) {
    bytes = goro_bench::run_self_for_number("--goro_measure_blocked_fiber_rss");
    pte = goro_bench::run_self_for_number("--goro_measure_blocked_fiber_pte");
    if (bytes <= 0) state.SkipWithError("child measurement failed");
  }
  state.counters["bytes_per_g"] = bytes;
  state.counters["pte_bytes_per_g"] = pte;
}
BENCHMARK(BM_FiberBlockedMemory)->Iterations(1)->Unit(benchmark::kMillisecond);

const bool registered_rss = goro_bench::register_child_mode(
    "--goro_measure_blocked_fiber_rss", &measure_rss);
const bool registered_pte = goro_bench::register_child_mode(
    "--goro_measure_blocked_fiber_pte", &measure_pte);

}  // namespace
