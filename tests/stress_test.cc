// Stress: a million Gs at several procs settings, spawning from outside the
// runtime, wake-up ping-pong across Ps (a lost wake-up hangs: the Bazel test
// timeout reports it), and abandoning blocked and runnable Gs at shutdown.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "goro/goro.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace {

using goro_test::counted;
using goro_test::nested_forever;
using goro_test::scaled;
using goro_test::spin_work;
using goro_test::wait_until;

class Procs : public ::testing::TestWithParam<int> {};
INSTANTIATE_TEST_SUITE_P(Stress, Procs, ::testing::Values(1, 2, 4, 8),
                         [](const auto& info) {
                           return "procs" + std::to_string(info.param);
                         });

goro::task<std::int64_t> identity(std::int64_t x) { co_return x; }

// ------------------------------------------------------- a million Gs

TEST_P(Procs, MillionGsInBatches) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  const std::int64_t batches = scaled(1000, 4);
  constexpr std::int64_t kBatch = 1000;
  std::int64_t sum = rt.block_on([batches]() -> goro::task<std::int64_t> {
    std::int64_t s = 0;
    std::vector<goro::join_handle<std::int64_t>> hs;
    hs.reserve(kBatch);
    for (std::int64_t b = 0; b < batches; ++b) {
      for (std::int64_t i = 0; i < kBatch; ++i) {
        hs.push_back(goro::co_spawn(identity, b * kBatch + i));
      }
      for (auto& h : hs) s += co_await h;
      hs.clear();
    }
    co_return s;
  });
  const std::int64_t n = batches * kBatch;
  EXPECT_EQ(sum, n * (n - 1) / 2);
  EXPECT_GE(rt.stats().total().spawned, static_cast<std::uint64_t>(n));
}

goro::task<std::int64_t> tree(int depth, int fanout) {
  if (depth == 0) co_return 1;
  std::vector<goro::join_handle<std::int64_t>> hs;
  hs.reserve(fanout);
  for (int i = 0; i < fanout; ++i)
    hs.push_back(goro::co_spawn(tree, depth - 1, fanout));
  std::int64_t s = 0;
  for (auto& h : hs) s += co_await h;
  co_return s;
}

TEST_P(Procs, FanOutTree) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  const int depth = goro_test::kSanitizer ? 6 : 9;  // 4^9 = 262144 leaves
  std::int64_t leaves = rt.block_on(tree, depth, 4);
  EXPECT_EQ(leaves, std::int64_t{1} << (2 * depth));
}

TEST_P(Procs, DetachedGsFromInsideAndOutside) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  const std::int64_t per_thread = scaled(50'000, 4);
  constexpr int kThreads = 3;
  std::atomic<std::int64_t> done{0};
  std::atomic<std::int64_t> sum{0};
  auto body = [&done, &sum](std::int64_t v) -> goro::task<void> {
    sum.fetch_add(v, std::memory_order_relaxed);
    done.fetch_add(1, std::memory_order_release);
    co_return;
  };
  // Plain threads spawn detached Gs and joinable Gs concurrently, while a G
  // inside the runtime spawns too.
  std::vector<std::vector<goro::join_handle<std::int64_t>>> handles(kThreads);
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      handles[t].reserve(per_thread);
      for (std::int64_t i = 0; i < per_thread; ++i) {
        rt.go(body, i);
        handles[t].push_back(rt.co_spawn(identity, i));
      }
    });
  }
  std::int64_t inside = rt.block_on([&]() -> goro::task<std::int64_t> {
    std::vector<goro::join_handle<std::int64_t>> hs;
    for (std::int64_t i = 0; i < per_thread; ++i) {
      goro::go(body, i);
      hs.push_back(goro::co_spawn(identity, i));
      if (i % 1000 == 999) {
        for (auto& h : hs) co_await h;  // results checked below
        hs.clear();
      }
    }
    for (auto& h : hs) co_await h;
    co_return 0;
  });
  EXPECT_EQ(inside, 0);
  for (auto& t : ts) t.join();
  std::int64_t joined = rt.block_on([&]() -> goro::task<std::int64_t> {
    std::int64_t s = 0;
    for (auto& hs : handles) {
      for (auto& h : hs) s += co_await h;
    }
    co_return s;
  });
  const std::int64_t tri = per_thread * (per_thread - 1) / 2;
  EXPECT_EQ(joined, kThreads * tri);
  wait_until([&] {
    return done.load(std::memory_order_acquire) == (kThreads + 1) * per_thread;
  });
  EXPECT_EQ(sum.load(), (kThreads + 1) * tri);
}

// ------------------------------------------------ wake-up ping-pong

goro::task<std::int64_t> small_work(std::int64_t x) {
  spin_work(static_cast<std::uint64_t>(x % 64));
  if (x % 5 == 0) co_await goro::yield();
  co_return x;
}

// Each round spawns two children and joins both. The first child is pushed
// out of runnext into the ring, where an idle P steals it, so joins race
// with children finishing on another P.
TEST_P(Procs, JoinWakeUpPingPong) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  const std::int64_t rounds = scaled(100'000, 4);
  std::int64_t sum = rt.block_on([rounds]() -> goro::task<std::int64_t> {
    std::int64_t s = 0;
    for (std::int64_t r = 0; r < rounds; ++r) {
      auto a = goro::co_spawn(small_work, r);
      auto b = goro::co_spawn(small_work, r + 1);
      spin_work(static_cast<std::uint64_t>(r % 32));
      s += co_await a;
      s += co_await b;
    }
    co_return s;
  });
  EXPECT_EQ(sum, rounds * (rounds - 1) / 2 + rounds * (rounds + 1) / 2);
}

// Several independent ping-pong loops at once, so that every P is both a
// joiner and a finisher.
TEST_P(Procs, ConcurrentJoinLoops) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  const std::int64_t rounds = scaled(25'000, 4);
  constexpr int kLoops = 4;
  std::int64_t sum = rt.block_on([rounds]() -> goro::task<std::int64_t> {
    std::vector<goro::join_handle<std::int64_t>> loops;
    for (int l = 0; l < kLoops; ++l) {
      loops.push_back(goro::co_spawn(
          [](std::int64_t rounds) -> goro::task<std::int64_t> {
            std::int64_t s = 0;
            for (std::int64_t r = 0; r < rounds; ++r) {
              s += co_await goro::co_spawn(small_work, r);
            }
            co_return s;
          },
          rounds));
    }
    std::int64_t s = 0;
    for (auto& h : loops) s += co_await h;
    co_return s;
  });
  EXPECT_EQ(sum, kLoops * (rounds * (rounds - 1) / 2));
}

goro::task<std::int64_t> join_chain(std::int64_t n) {
  if (n == 0) {
    co_await goro::yield();
    co_return 0;
  }
  auto h = goro::co_spawn(join_chain, n - 1);
  if (n % 3 == 0) co_await goro::yield();
  std::int64_t below = co_await h;
  co_return below + 1;
}

// G_i joins G_{i+1}: 10^5 Gs alive at once, each woken by the next one's
// finish, possibly on another P.
TEST_P(Procs, LongJoinChain) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  const std::int64_t n = scaled(100'000, 4);
  EXPECT_EQ(rt.block_on(join_chain, n), n);
}

// Many plain threads block_on at once: each wake-up crosses from an M to a
// plain thread and back.
TEST_P(Procs, ManyConcurrentBlockOns) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  const int per_thread = static_cast<int>(scaled(2000, 4));
  std::atomic<std::int64_t> sum{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) sum += rt.block_on(small_work, i);
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(sum.load(), 4 * (std::int64_t{per_thread} * (per_thread - 1) / 2));
}

// ---------------------------------------------------------- abandonment

goro::task<void> yield_forever(std::atomic<int>* started) {
  counted c;
  started->fetch_add(1);
  for (;;) co_await goro::yield();
}

goro::task<void> join_down(int n, std::atomic<int>* started) {
  counted c;
  if (n == 0) {
    co_await yield_forever(started);
    co_return;
  }
  auto h = goro::co_spawn(join_down, n - 1, started);
  started->fetch_add(1);
  co_await h;
}

TEST(Abandon, RuntimeDestroyedWithAChainOfBlockedJoiners) {
  counted::reset();
  std::atomic<int> started{0};
  constexpr int kChain = 100;
  {
    goro::runtime rt{goro::options{.procs = 2}};
    rt.go(join_down, kChain, &started);
    wait_until([&] { return started.load() == kChain + 1; });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(counted::destroyed.load(), 0);
    // join_down(0) has two counted (its own and yield_forever's).
    EXPECT_EQ(counted::live.load(), kChain + 2);
  }
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), kChain + 2);
}

TEST(Abandon, RuntimeDestroyedWithAJoinCycle) {
  counted::reset();
  std::atomic<int> waiting{0};
  {
    goro::runtime rt{goro::options{.procs = 2}};
    struct slot {
      goro::join_handle<void> h;
      std::atomic<bool> ready{false};
    };
    rt.block_on([&waiting]() -> goro::task<void> {
      auto s = std::make_shared<slot>();
      // A waits for B's handle to appear, then joins B; B joins A.
      auto ha = goro::co_spawn([s, &waiting]() -> goro::task<void> {
        counted c;
        while (!s->ready.load(std::memory_order_acquire)) {
          co_await goro::yield();
        }
        waiting.fetch_add(1);
        co_await s->h;
      });
      auto hb = goro::co_spawn(
          [&waiting](goro::join_handle<void> ha) -> goro::task<void> {
            counted c;
            waiting.fetch_add(1);
            co_await ha;
          },
          std::move(ha));
      s->h = std::move(hb);
      s->ready.store(true, std::memory_order_release);
      co_return;
    });
    wait_until([&] { return waiting.load() == 2; });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(counted::live.load(), 2);
  }
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), 2);
}

TEST(Abandon, RuntimeDestroyedWhileManyGsAreRunnable) {
  counted::reset();
  const int n = static_cast<int>(scaled(10'000, 10));
  std::atomic<int> started{0};
  {
    goro::runtime rt{goro::options{.procs = 2}};
    rt.block_on([n, &started]() -> goro::task<void> {
      for (int i = 0; i < n; ++i) goro::go(yield_forever, &started);
      // And some that keep spawning and joining forever.
      for (int i = 0; i < 4; ++i) {
        goro::go([&started]() -> goro::task<void> {
          counted c;
          started.fetch_add(1);
          for (;;) co_await goro::co_spawn(identity, 1);
        });
      }
      co_return;
    });
    wait_until([&] { return started.load() == n + 4; });
    EXPECT_EQ(counted::destroyed.load(), 0);
  }
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), n + 4);
}

TEST(Abandon, BlockedInsideNestedTaskFrames) {
  counted::reset();
  constexpr int kDepth = 1000;
  constexpr int kGs = 20;
  std::atomic<int> started{0};
  {
    goro::runtime rt{goro::options{.procs = 2}};
    for (int i = 0; i < kGs; ++i) rt.go(nested_forever, kDepth, &started);
    wait_until([&] { return started.load() == kGs; });
    EXPECT_EQ(counted::live.load(), kGs * (kDepth + 1));
  }
  EXPECT_EQ(counted::live.load(), 0);
}

// Finished Gs whose handles are held by blocked Gs: the results stored in
// their frames are destroyed with the runtime.
TEST(Abandon, UnjoinedResultsHeldByBlockedGs) {
  counted::reset();
  std::atomic<int> ready{0};
  constexpr int kHolders = 10;
  {
    goro::runtime rt{goro::options{.procs = 2}};
    for (int i = 0; i < kHolders; ++i) {
      rt.go([&ready]() -> goro::task<void> {
        auto h = goro::co_spawn(
            []() -> goro::task<counted> { co_return counted(7); });
        while (!h.done()) co_await goro::yield();
        ready.fetch_add(1);
        for (;;) co_await goro::yield();  // never joins h
      });
    }
    wait_until([&] { return ready.load() == kHolders; });
    EXPECT_GE(counted::live.load(), kHolders);
  }
  EXPECT_EQ(counted::live.load(), 0);
}

// Handles of blocked-forever Gs dropped by Gs that finished: the handle is
// gone, the G is not, and the runtime still reclaims it.
TEST(Abandon, DetachedBlockedGs) {
  counted::reset();
  std::atomic<int> started{0};
  {
    goro::runtime rt{goro::options{.procs = 2}};
    rt.block_on([&started]() -> goro::task<void> {
      for (int i = 0; i < 100; ++i) {
        goro::co_spawn(yield_forever, &started).detach();
      }
      co_return;
    });
    wait_until([&] { return started.load() == 100; });
  }
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), 100);
}

TEST(Abandon, RunReturnsWhileGsAreStillBlocked) {
  counted::reset();
  std::atomic<int> started{0};
  int v = goro::run([&started]() -> goro::task<int> {
    for (int i = 0; i < 50; ++i) goro::go(yield_forever, &started);
    goro::go(join_down, 10, &started);
    while (started.load() < 50 + 11) co_await goro::yield();
    co_return 42;
  });
  EXPECT_EQ(v, 42);
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), 50 + 12);
}

TEST(Abandon, RepeatedCreateAndDestroyWithLiveGs) {
  counted::reset();
  const int reps = static_cast<int>(scaled(200, 5));
  for (int r = 0; r < reps; ++r) {
    std::atomic<int> started{0};
    goro::runtime rt{goro::options{.procs = 1 + r % 4}};
    for (int i = 0; i < 8; ++i) rt.go(yield_forever, &started);
    if (r % 2 == 0) wait_until([&] { return started.load() == 8; });
    // Odd reps: destroyed while some of the Gs may not have started at all.
  }
  EXPECT_EQ(counted::live.load(), 0);
}

}  // namespace
