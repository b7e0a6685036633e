// sync/ benchmarks (mutex, rwmutex, wait_group), each with a Go twin in
// benchmarks/go/sync_bench_test.go; same per_op contract as goro_bench.cc
// (the counter `per_op` is SECONDS per op, one op meaning the same as in the
// Go benchmark of the same workload).
#include <cstdint>

#include "benchmark/benchmark.h"
#include "benchmarks/bench_util.h"
#include "goro/goro.h"

namespace {

using goro::task;
using goro_bench::report_per_op;

// ---- uncontended mutex, one G: one op = co_await lock() + unlock() ----
task<void> lock_unlock_alone(goro::mutex* m, int n) {
  for (int i = 0; i < n; ++i) {
    co_await m->lock();
    m->unlock();
  }
}

void BM_MutexUncontended(benchmark::State& state) {
  constexpr int kOps = 10000000;
  goro::runtime rt{goro::options{.procs = 2}};
  goro::mutex m;
  for (auto _ : state) rt.block_on(lock_unlock_alone, &m, kOps);
  report_per_op(state, kOps);
}
BENCHMARK(BM_MutexUncontended)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- uncontended mutex, plain thread: one op = try_lock() + unlock() ----
// The raw cost of the state word's two atomic read-modify-writes, without a
// runtime or a coroutine around them.
void BM_MutexTryLockThread(benchmark::State& state) {
  constexpr int kOps = 10000000;
  goro::mutex m;
  for (auto _ : state) {
    for (int i = 0; i < kOps; ++i) {
      if (!m.try_lock()) {
        state.SkipWithError("try_lock failed on a free mutex");
        return;
      }
      m.unlock();
    }
  }
  report_per_op(state, kOps);
}
BENCHMARK(BM_MutexTryLockThread)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- contended mutex: 1000 Gs, procs 2: one op = one lock + unlock ----
// Each G adds 1 to a shared counter under the mutex kPerG times; the Gs are
// spawned with a wait_group, which the benchmark G then waits on.
constexpr int kContendedGs = 1000;

task<void> increment_under(goro::mutex* m, std::int64_t* counter, int n) {
  for (int i = 0; i < n; ++i) {
    co_await m->lock();
    ++*counter;
    m->unlock();
  }
}

task<std::int64_t> contended_run(int per_g) {
  goro::mutex m;
  std::int64_t counter = 0;
  goro::wait_group wg;
  for (int g = 0; g < kContendedGs; ++g) {
    wg.go(increment_under, &m, &counter, per_g);
  }
  co_await wg.wait();
  co_return counter;
}

void BM_MutexContended1000(benchmark::State& state) {
  constexpr int kPerG = 10000;
  goro::runtime rt{goro::options{}};  // default procs (GOMAXPROCS / CPUs)
  for (auto _ : state) {
    const std::int64_t got = rt.block_on(contended_run, kPerG);
    if (got != std::int64_t{kContendedGs} * kPerG) {
      state.SkipWithError("mutex contended: wrong count");
      return;
    }
  }
  report_per_op(state, std::int64_t{kContendedGs} * kPerG);
  state.counters["procs"] = rt.procs();
}
BENCHMARK(BM_MutexContended1000)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- wait_group: one op = one G spawned with wg.go and joined ----
// wg.go(f) for 1M Gs that do nothing, then co_await wg.wait().
void nothing() {}

task<void> wg_spawn_batch(int n) {
  goro::wait_group wg;
  for (int i = 0; i < n; ++i) wg.go(nothing);
  co_await wg.wait();
}

void BM_WaitGroupSpawn(benchmark::State& state) {
  constexpr int kGs = 1000000;
  goro::runtime rt{goro::options{.procs = 2}};
  for (auto _ : state) rt.block_on(wg_spawn_batch, kGs);
  report_per_op(state, kGs);
}
BENCHMARK(BM_WaitGroupSpawn)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- rwmutex, read-mostly: 100 Gs, procs 2: one op = one lock pair ----
// Each G does kPerG operations; every 100th (i % 100 == 99) is a write
// (lock, ++writes, unlock), the rest reads (lock_shared, read writes,
// unlock_shared). The count of writes is checked.
constexpr int kReadMostlyGs = 100;

struct read_mostly_state {
  goro::rwmutex rw;
  std::int64_t writes = 0;
};

task<void> read_mostly_worker(read_mostly_state* s, int n) {
  std::int64_t seen = 0;
  for (int i = 0; i < n; ++i) {
    if (i % 100 == 99) {
      co_await s->rw.lock();
      ++s->writes;
      s->rw.unlock();
    } else {
      co_await s->rw.lock_shared();
      seen += s->writes;
      s->rw.unlock_shared();
    }
  }
  benchmark::DoNotOptimize(seen);
}

task<std::int64_t> read_mostly_run(int per_g) {
  read_mostly_state s;
  goro::wait_group wg;
  for (int g = 0; g < kReadMostlyGs; ++g) wg.go(read_mostly_worker, &s, per_g);
  co_await wg.wait();
  co_return s.writes;
}

void BM_RWMutexReadMostly(benchmark::State& state) {
  constexpr int kPerG = 100000;  // 10M ops in all, 100k of them writes
  goro::runtime rt{goro::options{.procs = 2}};
  for (auto _ : state) {
    if (rt.block_on(read_mostly_run, kPerG) !=
        std::int64_t{kReadMostlyGs} * (kPerG / 100)) {
      state.SkipWithError("rwmutex read-mostly: wrong write count");
      return;
    }
  }
  report_per_op(state, std::int64_t{kReadMostlyGs} * kPerG);
}
BENCHMARK(BM_RWMutexReadMostly)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
