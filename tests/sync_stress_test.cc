// Stress for goro/sync at procs 1, 2, 4 and 8: mutual exclusion with exact
// counts (Gs and a plain thread), mutex starvation mode against a G that
// relocks in a tight loop, rwmutex readers against writers, wait_group as a
// reusable barrier, cond broadcast generations and a signal-driven
// producer/consumer queue, once races with fresh onces, and a weighted
// semaphore whose bound and FIFO order hold under load (ideas from Go's
// sync tests: HammerMutex, TestMutexFairness, HammerRWMutex, TestRace of
// Cond, x/sync/semaphore's TestWeighted*; none of their code). A lost
// wake-up or a deadlock hangs: the Bazel test timeout reports it.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "goro/goro.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace {

using goro::task;
using goro_test::kSanitizer;
using goro_test::scaled;
using goro_test::spin_work;

class Procs : public ::testing::TestWithParam<int> {};
INSTANTIATE_TEST_SUITE_P(Stress, Procs, ::testing::Values(1, 2, 4, 8),
                         [](const auto& info) {
                           return "procs" + std::to_string(info.param);
                         });

// ----------------------------------------------------------------- mutex

// Many Gs (lock, scoped_lock, try_lock) and a plain thread (lock_blocking)
// increment a plain counter; some yield inside the critical section so that
// waiters pile up. Exact count, and no holder ever finds another inside.
TEST_P(Procs, MutexHammer) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  constexpr int kGs = 16;
  const int per = static_cast<int>(scaled(40'000, 50));
  goro::mutex mu;
  std::int64_t counter = 0;  // plain: the mutex is the only protection
  std::atomic<bool> inside{false};
  std::atomic<int> overlaps{0};
  auto enter = [&] {
    if (inside.exchange(true, std::memory_order_relaxed)) overlaps.fetch_add(1);
    ++counter;
  };
  auto leave = [&] { inside.store(false, std::memory_order_relaxed); };
  std::thread plain([&] {
    for (int k = 0; k < per / 4; ++k) {
      mu.lock_blocking();
      enter();
      leave();
      mu.unlock();
    }
  });
  rt.block_on([&]() -> task<> {
    goro::wait_group wg;
    for (int g = 0; g < kGs; ++g) {
      wg.go([&, g]() -> task<> {
        for (int k = 0; k < per; ++k) {
          switch ((g + k) % 3) {
            case 0:
              co_await mu.lock();
              break;
            case 1:
              if (!mu.try_lock()) co_await mu.lock();
              break;
            default: {
              auto guard = co_await mu.scoped_lock();
              enter();
              if (k % 97 == 0) co_await goro::yield();
              leave();
              continue;  // the guard unlocks
            }
          }
          enter();
          if (k % 61 == 0) co_await goro::yield();
          leave();
          mu.unlock();
        }
      });
    }
    co_await wg.wait();
  });
  plain.join();
  EXPECT_EQ(counter, std::int64_t{kGs} * per + per / 4);
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_TRUE(mu.try_lock());
  mu.unlock();
}

class StarvationProcs : public ::testing::TestWithParam<int> {};
INSTANTIATE_TEST_SUITE_P(Stress, StarvationProcs, ::testing::Values(1, 2),
                         [](const auto& info) {
                           return "procs" + std::to_string(info.param);
                         });

// Go's TestMutexFairness, for Gs: a hog relocks in a tight loop (lock,
// a little work, unlock, never yielding) while another G waits in lock().
// After 1 ms the mutex is in starvation mode and unlock hands it to the
// waiter: the waiter gets it within 100 ms (the hog gives up after
// seconds, so a failure is a failure, not a hang).
TEST_P(StarvationProcs, MutexStarvationModeBoundsTheWait) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  using clock = std::chrono::steady_clock;
  const auto bound = std::chrono::milliseconds(kSanitizer ? 300 : 100);
  const auto give_up = std::chrono::seconds(2);
  struct result {
    bool got = false;
    clock::duration waited{};
    std::int64_t hog_iters_while_waiting = 0;
  };
  const result r = rt.block_on([give_up]() -> task<result> {
    goro::mutex mu;
    std::atomic<int> stage{0};
    std::atomic<std::int64_t> hog_iters{0};
    std::atomic<std::int64_t> iters_at_grant{-1};
    clock::time_point asked{}, got{};
    co_await mu.lock();  // the hog holds it while the waiter queues
    auto waiter = goro::co_spawn([&]() -> task<> {
      asked = clock::now();
      stage.store(1);
      co_await mu.lock();
      got = clock::now();
      iters_at_grant.store(hog_iters.load());
      stage.store(2);
      mu.unlock();
    });
    while (stage.load() == 0) co_await goro::yield();
    for (int i = 0; i < 10; ++i) co_await goro::yield();  // let it park
    // The tight loop: the only suspension points are lock() itself.
    const auto deadline = clock::now() + give_up;
    for (;;) {
      mu.unlock();
      spin_work(50);
      co_await mu.lock();
      hog_iters.fetch_add(1, std::memory_order_relaxed);
      spin_work(200);
      if (stage.load() == 2 || clock::now() > deadline) break;
    }
    mu.unlock();
    result res;
    if (stage.load() != 2) {
      // Let the waiter finish so that the runtime can shut down cleanly.
      co_await waiter;
      res.got = false;
      res.waited = got - asked;
      res.hog_iters_while_waiting = hog_iters.load();
      co_return res;
    }
    co_await waiter;
    res.got = true;
    res.waited = got - asked;
    res.hog_iters_while_waiting = iters_at_grant.load();
    co_return res;
  });
  EXPECT_TRUE(r.got) << "the hog kept the mutex for " << give_up.count()
                     << " s: no starvation mode";
  EXPECT_LT(r.waited, bound)
      << "waited "
      << std::chrono::duration_cast<std::chrono::milliseconds>(r.waited).count()
      << " ms behind " << r.hog_iters_while_waiting << " hog iterations";
}

// --------------------------------------------------------------- rwmutex

// Readers (lock_shared, scoped, try) check that no writer is inside and
// that the writers' two-part update is never half done; writers (lock,
// scoped, try) check they are alone. Exact write count.
TEST_P(Procs, RWMutexHammer) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  constexpr int kReaders = 8, kWriters = 3;
  const int per = static_cast<int>(scaled(20'000, 50));
  goro::rwmutex rw;
  std::int64_t a = 0, b = 0;  // plain: written only under the write lock
  std::atomic<int> readers_inside{0}, writers_inside{0};
  std::atomic<int> bad{0};
  std::atomic<int> max_readers{0};
  rt.block_on([&]() -> task<> {
    goro::wait_group wg;
    for (int i = 0; i < kReaders; ++i) {
      wg.go([&, i]() -> task<> {
        for (int k = 0; k < per; ++k) {
          goro::shared_lock<goro::rwmutex> guard;
          if ((i + k) % 3 == 0) {
            co_await rw.lock_shared();
            guard = goro::shared_lock<goro::rwmutex>(rw, std::adopt_lock);
          } else if ((i + k) % 3 == 1 && rw.try_lock_shared()) {
            guard = goro::shared_lock<goro::rwmutex>(rw, std::adopt_lock);
          } else {
            guard = co_await rw.scoped_lock_shared();
          }
          const int n = readers_inside.fetch_add(1) + 1;
          int m = max_readers.load();
          while (n > m && !max_readers.compare_exchange_weak(m, n)) {
          }
          if (writers_inside.load() != 0) bad.fetch_add(1);
          if (a != b) bad.fetch_add(1);
          if (k % 17 == 0) co_await goro::yield();
          if (a != b) bad.fetch_add(1);
          readers_inside.fetch_sub(1);
        }
      });
    }
    for (int i = 0; i < kWriters; ++i) {
      wg.go([&, i]() -> task<> {
        for (int k = 0; k < per / 2; ++k) {
          goro::unique_lock<goro::rwmutex> guard;
          if ((i + k) % 2 == 0 && rw.try_lock()) {
            guard = goro::unique_lock<goro::rwmutex>(rw, std::adopt_lock);
          } else {
            guard = co_await rw.scoped_lock();
          }
          if (writers_inside.fetch_add(1) != 0) bad.fetch_add(1);
          if (readers_inside.load() != 0) bad.fetch_add(1);
          ++a;
          if (k % 13 == 0) co_await goro::yield();
          ++b;
          writers_inside.fetch_sub(1);
        }
      });
    }
    co_await wg.wait();
  });
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(a, std::int64_t{kWriters} * (per / 2));
  EXPECT_EQ(b, a);
  EXPECT_GE(max_readers.load(), 1);
  EXPECT_TRUE(rw.try_lock());
  rw.unlock();
}

// ------------------------------------------------------------ wait_group

// A reusable barrier over many rounds: each round some workers (wg.go) and
// a second waiter G; neither wait may return before the round's last done.
TEST_P(Procs, WaitGroupBarrierNeverReturnsEarly) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  const int rounds = static_cast<int>(scaled(10'000, 20));
  const int early = rt.block_on([rounds]() -> task<int> {
    goro::wait_group wg;
    std::atomic<int> finished{0};
    int early = 0;
    constexpr int kWorkers = 3;
    for (int r = 0; r < rounds; ++r) {
      const int target = kWorkers * (r + 1);
      for (int i = 0; i < kWorkers; ++i) {
        wg.go([&finished, i, r]() -> task<> {
          if ((i + r) % 2 == 0) co_await goro::yield();
          finished.fetch_add(1);
        });
      }
      auto other = goro::co_spawn([&wg, &finished, target]() -> task<int> {
        co_await wg.wait();
        co_return finished.load() == target ? 0 : 1;
      });
      co_await wg.wait();
      if (finished.load() != target) ++early;
      early += co_await other;  // every wait of this round has returned
    }
    co_return early;
  });
  EXPECT_EQ(early, 0);
}

// ------------------------------------------------------------------ cond

// Broadcast generations: waiters each arrive, then wait for the next
// generation; the broadcaster bumps the generation only once all have
// arrived. Each waiter wakes exactly once per generation and sees exactly
// the generation that was broadcast (no spurious, no missed wake-ups).
TEST_P(Procs, CondBroadcastGenerations) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  const int gens = static_cast<int>(scaled(20'000, 100));
  constexpr int kWaiters = 6;
  rt.block_on([gens]() -> task<> {
    goro::mutex mu;
    goro::cond next_gen, all_arrived;
    int gen = 0, arrived = 0;  // plain: under mu
    std::atomic<int> wrong_gen{0}, extra_wakeups{0};
    goro::wait_group wg;
    for (int w = 0; w < kWaiters; ++w) {
      wg.go([&]() -> task<> {
        for (int g = 0; g < gens; ++g) {
          co_await mu.lock();
          const int mine = gen;
          if (++arrived == kWaiters) all_arrived.signal();
          int wakeups = 0;
          while (gen == mine) {
            co_await next_gen.wait(mu);
            ++wakeups;
          }
          if (gen != mine + 1) wrong_gen.fetch_add(1);
          if (wakeups != 1) extra_wakeups.fetch_add(1);
          mu.unlock();
        }
      });
    }
    for (int g = 0; g < gens; ++g) {
      co_await mu.lock();
      while (arrived < kWaiters) co_await all_arrived.wait(mu);
      arrived = 0;
      ++gen;
      if (g % 2 == 0) next_gen.broadcast();  // with or without mu held
      mu.unlock();
      if (g % 2 == 1) next_gen.broadcast();
    }
    co_await wg.wait();
    EXPECT_EQ(wrong_gen.load(), 0);
    EXPECT_EQ(extra_wakeups.load(), 0);
    EXPECT_EQ(gen, gens);
  });
}

// A bounded queue with two conds and signal(): producers wait while full,
// consumers while empty. Exact count and sum.
TEST_P(Procs, CondProducerConsumerWithSignal) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  constexpr int kProducers = 4, kConsumers = 4;
  constexpr std::size_t kCap = 8;
  const std::int64_t per = scaled(50'000, 50);
  struct totals {
    std::int64_t count = 0, sum = 0;
  };
  const totals t = rt.block_on([per]() -> task<totals> {
    goro::mutex mu;
    goro::cond not_full, not_empty;
    std::deque<std::int64_t> q;  // under mu
    bool closed = false;         // under mu
    totals t;                    // under mu
    goro::wait_group producers, consumers;
    for (int p = 0; p < kProducers; ++p) {
      producers.go([&, p]() -> task<> {
        for (std::int64_t i = 0; i < per; ++i) {
          co_await mu.lock();
          while (q.size() == kCap) co_await not_full.wait(mu);
          q.push_back(p * per + i);
          mu.unlock();
          not_empty.signal();
        }
      });
    }
    for (int c = 0; c < kConsumers; ++c) {
      consumers.go([&]() -> task<> {
        for (;;) {
          co_await mu.lock();
          while (q.empty() && !closed) co_await not_empty.wait(mu);
          if (q.empty()) {  // closed and drained
            mu.unlock();
            co_return;
          }
          t.count += 1;
          t.sum += q.front();
          q.pop_front();
          mu.unlock();
          not_full.signal();
        }
      });
    }
    co_await producers.wait();
    co_await mu.lock();
    closed = true;
    mu.unlock();
    not_empty.broadcast();
    co_await consumers.wait();
    co_return t;
  });
  const std::int64_t n = kProducers * per;
  EXPECT_EQ(t.count, n);
  EXPECT_EQ(t.sum, n * (n - 1) / 2);
}

// ------------------------------------------------------------------ once

// Fresh onces, each raced by several Gs: f runs exactly once per once, and
// every caller sees its (plain, unsynchronised) effect when call returns.
TEST_P(Procs, OnceRacesWithFreshOnces) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  const int rounds = static_cast<int>(scaled(10'000, 25));
  constexpr int kCallers = 6;
  rt.block_on([rounds]() -> task<> {
    std::atomic<int> wrong_runs{0}, unseen{0};
    for (int r = 0; r < rounds; ++r) {
      goro::once o;
      int value = 0;  // plain: written by f, read after call() returns
      std::atomic<int> runs{0};
      goro::wait_group wg;
      for (int c = 0; c < kCallers; ++c) {
        wg.go([&, c, r]() -> task<> {
          if ((c + r) % 3 == 0) co_await goro::yield();
          auto f = [&]() -> task<> {
            runs.fetch_add(1);
            if (r % 2 == 0) co_await goro::yield();
            value = r + 1;
          };
          co_await o.call(f);
          if (value != r + 1) unseen.fetch_add(1);
        });
      }
      co_await wg.wait();
      if (runs.load() != 1) wrong_runs.fetch_add(1);
    }
    EXPECT_EQ(wrong_runs.load(), 0);
    EXPECT_EQ(unseen.load(), 0);
  });
}

// ------------------------------------------------------------- semaphore

// Gs with mixed weights (and a plain thread) acquire, hold briefly and
// release: the units held never exceed the size, and everything is back at
// the end.
TEST_P(Procs, SemaphoreHammer) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  constexpr std::int64_t kSize = 10;
  constexpr int kGs = 12;
  const int per = static_cast<int>(scaled(20'000, 50));
  goro::semaphore sem(kSize);
  std::atomic<std::int64_t> held{0};
  std::atomic<int> over{0};
  std::atomic<std::int64_t> max_held{0};
  auto take = [&](std::int64_t w) {
    const std::int64_t now = held.fetch_add(w) + w;
    if (now > kSize) over.fetch_add(1);
    std::int64_t m = max_held.load();
    while (now > m && !max_held.compare_exchange_weak(m, now)) {
    }
  };
  std::thread plain([&] {
    for (int k = 0; k < per / 4; ++k) {
      const std::int64_t w = 1 + k % 5;
      sem.acquire_blocking(w);
      take(w);
      held.fetch_sub(w);
      sem.release(w);
    }
  });
  rt.block_on([&]() -> task<> {
    goro::wait_group wg;
    for (int g = 0; g < kGs; ++g) {
      wg.go([&, g]() -> task<> {
        for (int k = 0; k < per; ++k) {
          const std::int64_t w = 1 + (g * 7 + k) % 4;
          if (k % 5 == 0 && sem.try_acquire(w)) {
            // got it without waiting
          } else {
            co_await sem.acquire(w);
          }
          take(w);
          if (k % 7 == 0) co_await goro::yield();
          held.fetch_sub(w);
          sem.release(w);
        }
      });
    }
    co_await wg.wait();
  });
  plain.join();
  EXPECT_EQ(over.load(), 0) << "more than " << kSize << " units held";
  EXPECT_LE(max_held.load(), kSize);
  EXPECT_EQ(held.load(), 0);
  EXPECT_TRUE(sem.try_acquire(kSize)) << "units were lost";
  sem.release(kSize);
}

// Strict FIFO with mixed weights: 64 Gs queue in a known order (procs 1,
// each spawned and left to park before the next), holding what they are
// granted. Units come back a few at a time; after each release exactly the
// longest prefix of the queue that fits has been granted: no request is
// served past an earlier one that does not fit yet.
TEST(SemaphoreFifo, MixedWeightsGrantedAsAPrefixInArrivalOrder) {
  const int reps = static_cast<int>(scaled(100, 20));
  constexpr std::int64_t kSize = 16;
  constexpr int kN = 64;
  for (int rep = 0; rep < reps; ++rep) {
    // Declared before the runtime: on a failure the test returns with Gs
    // still parked in acquire, and the teardown withdraws their requests.
    goro::semaphore sem(kSize);
    std::vector<std::int64_t> weight(kN);
    std::vector<char> granted(kN, 0);
    std::uint32_t seed = 12345u + static_cast<std::uint32_t>(rep);
    auto rnd = [&seed]() -> std::int64_t {
      seed = seed * 1103515245u + 12345u;
      return (seed >> 16) & 0x7fff;
    };
    for (auto& w : weight) w = 1 + rnd() % 8;
    ASSERT_TRUE(sem.try_acquire(kSize));
    goro::runtime rt{goro::options{.procs = 1}};
    const bool ok = rt.block_on([&]() -> task<bool> {
      std::vector<char> started(kN, 0);
      for (int i = 0; i < kN; ++i) {
        goro::go([&sem, &granted, &weight, &started, i]() -> task<> {
          started[static_cast<std::size_t>(i)] = 1;
          co_await sem.acquire(weight[static_cast<std::size_t>(i)]);
          granted[static_cast<std::size_t>(i)] = 1;
        });
        // procs 1: once it has started, it has run on to park in acquire
        // (the only P was its until then); only then the next one.
        while (!started[static_cast<std::size_t>(i)]) co_await goro::yield();
      }
      auto count_granted = [&] {
        int n = 0;
        for (char g : granted) n += g;
        return n;
      };
      std::int64_t free_units = 0;  // released but not yet granted
      int k = 0;                    // the grant pointer
      while (k < kN) {
        const std::int64_t held = kSize - free_units;
        const std::int64_t x = 1 + rnd() % (held < 5 ? held : 5);
        sem.release(x);
        free_units += x;
        while (k < kN && weight[static_cast<std::size_t>(k)] <= free_units) {
          free_units -= weight[static_cast<std::size_t>(k)];
          ++k;
        }
        // Let every granted G run (and any wrongly granted one too).
        for (int y = 0; y < 10000 && count_granted() < k; ++y) {
          co_await goro::yield();
        }
        for (int y = 0; y < 5; ++y) co_await goro::yield();
        for (int i = 0; i < kN; ++i) {
          if (granted[static_cast<std::size_t>(i)] != (i < k ? 1 : 0)) {
            ADD_FAILURE() << "rep " << rep << ": request " << i
                          << (i < k ? " not granted" : " granted")
                          << " with the first " << k
                          << " requests expected granted";
            co_return false;
          }
        }
        if (k < kN) {
          EXPECT_FALSE(sem.try_acquire(1)) << "try_acquire barged past waiters";
        } else {
          // Nobody waits: the semaphore agrees on what is free.
          EXPECT_TRUE(sem.try_acquire(free_units));
          EXPECT_FALSE(sem.try_acquire(1));
        }
      }
      co_return true;
    });
    ASSERT_TRUE(ok);
  }
}

}  // namespace
