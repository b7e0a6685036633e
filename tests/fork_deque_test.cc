// White-box tests of the per-P fork deque (runtime/internal/fork_deque.h):
// owner LIFO, thieves oldest-first, the claim of the newest G, and the race
// for the last G. Every test runs at the scheduler's capacity and at 4,
// where the deque wraps and fills every few operations.
#include "goro/runtime/internal/fork_deque.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "goro/core/internal/g.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace {

using goro::internal::basic_fork_deque;
using goro::internal::fork_deque;
using goro::internal::g;

TEST(ForkDeque, SchedulerCapacityIs256) {
  EXPECT_EQ(fork_deque::kCapacity, 256u);
}

template <typename D>
class ForkDequeTest : public ::testing::Test {
 protected:
  using deque = D;
  static constexpr std::uint32_t kCap = D::kCapacity;
};

using Capacities = ::testing::Types<fork_deque, basic_fork_deque<4>>;
TYPED_TEST_SUITE(ForkDequeTest, Capacities, goro_test::CapacityName);

TYPED_TEST(ForkDequeTest, EmptyDequeGivesNothing) {
  for (bool stealable : {true, false}) {
    typename TestFixture::deque d(stealable);
    g x;
    EXPECT_TRUE(d.empty());
    EXPECT_EQ(d.pop(), nullptr);
    EXPECT_FALSE(d.take(&x));
    if (stealable) EXPECT_EQ(d.steal(), nullptr);
    EXPECT_EQ(d.size(), 0u);
  }
}

TYPED_TEST(ForkDequeTest, OwnerPopsNewestFirstThievesOldestFirst) {
  constexpr std::uint32_t kCap = TestFixture::kCap;
  auto gs = std::make_unique<g[]>(kCap);
  for (bool stealable : {true, false}) {
    SCOPED_TRACE(stealable);
    typename TestFixture::deque d(stealable);
    for (int round = 0; round < 5; ++round) {  // wraps around at capacity 4
      for (std::uint32_t i = 0; i < kCap; ++i) ASSERT_TRUE(d.push(&gs[i]));
      EXPECT_EQ(d.size(), kCap);
      EXPECT_EQ(d.pop(), &gs[kCap - 1]);
      if (kCap > 1) EXPECT_EQ(d.steal(), &gs[0]);  // the owner may steal too
      for (std::uint32_t i = kCap - 1; i-- > 1;) EXPECT_EQ(d.pop(), &gs[i]);
      EXPECT_EQ(d.pop(), nullptr);
      EXPECT_TRUE(d.empty());
    }
  }
}

TYPED_TEST(ForkDequeTest, PushFailsWhenFullAndSucceedsAfterASteal) {
  constexpr std::uint32_t kCap = TestFixture::kCap;
  auto gs = std::make_unique<g[]>(kCap + 1);
  typename TestFixture::deque d;
  for (std::uint32_t i = 0; i < kCap; ++i) ASSERT_TRUE(d.push(&gs[i]));
  EXPECT_FALSE(d.push(&gs[kCap]));
  EXPECT_EQ(d.size(), kCap);
  EXPECT_EQ(d.steal(), &gs[0]);
  EXPECT_TRUE(d.push(&gs[kCap]));
  EXPECT_FALSE(d.push(&gs[0]));
  EXPECT_EQ(d.pop(), &gs[kCap]);
}

TYPED_TEST(ForkDequeTest, TakeClaimsOnlyTheNewest) {
  constexpr std::uint32_t kCap = TestFixture::kCap;
  auto gs = std::make_unique<g[]>(kCap);
  for (bool stealable : {true, false}) {
    SCOPED_TRACE(stealable);
    typename TestFixture::deque d(stealable);
    for (std::uint32_t i = 0; i < kCap; ++i) ASSERT_TRUE(d.push(&gs[i]));
    if (kCap > 1) {
      EXPECT_FALSE(d.take(&gs[0]));  // the oldest: not ours to take
      EXPECT_EQ(d.size(), kCap);
    }
    for (std::uint32_t i = kCap; i-- > 0;) {
      EXPECT_TRUE(d.take(&gs[i])) << i;
      EXPECT_FALSE(d.take(&gs[i])) << i;  // gone
    }
    EXPECT_TRUE(d.empty());
    // A stolen G cannot be taken back.
    ASSERT_TRUE(d.push(&gs[0]));
    EXPECT_EQ(d.steal(), &gs[0]);
    EXPECT_FALSE(d.take(&gs[0]));
    EXPECT_EQ(d.pop(), nullptr);
  }
}

// The owner pushes, pops and takes while thieves steal: every G pushed is
// removed exactly once, by exactly one side. The owner keeps the deque
// short so that it and the thieves race for the last G all the time.
template <typename D>
void run_race(int thieves, std::int64_t pushes, std::uint32_t keep) {
  const std::int64_t n = pushes;
  auto gs = std::make_unique<g[]>(n);
  auto seen = std::make_unique<std::atomic<int>[]>(n);
  for (std::int64_t i = 0; i < n; ++i) {
    seen[i].store(0, std::memory_order_relaxed);
    gs[i].id = static_cast<std::uint64_t>(i);
  }
  D d;
  std::atomic<bool> done{false};
  std::atomic<std::int64_t> stolen{0};
  auto mark = [&](g* x) {
    ASSERT_NE(x, nullptr);
    seen[x->id].fetch_add(1, std::memory_order_relaxed);
  };
  std::vector<std::thread> ts;
  for (int t = 0; t < thieves; ++t) {
    ts.emplace_back([&] {
      std::int64_t mine = 0;
      while (!done.load(std::memory_order_acquire)) {
        if (g* x = d.steal()) {
          mark(x);
          ++mine;
        }
      }
      while (g* x = d.steal()) {
        mark(x);
        ++mine;
      }
      stolen.fetch_add(mine);
    });
  }
  std::int64_t owned = 0;
  std::uint64_t rng = 12345;
  for (std::int64_t i = 0; i < n; ++i) {
    while (!d.push(&gs[i])) {
      if (g* x = d.pop()) {
        mark(x);
        ++owned;
      }
    }
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    switch ((rng >> 33) % 3) {
      case 0:  // the join of the newest: take it back
        if (d.take(&gs[i])) {
          mark(&gs[i]);
          ++owned;
        }
        break;
      case 1:
        while (d.size() > keep) {
          if (g* x = d.pop()) {
            mark(x);
            ++owned;
          }
        }
        break;
      default:
        break;
    }
  }
  done.store(true, std::memory_order_release);
  while (g* x = d.pop()) {
    mark(x);
    ++owned;
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(owned + stolen.load(), n);
  for (std::int64_t i = 0; i < n; ++i) {
    ASSERT_EQ(seen[i].load(), 1)
        << "G " << i << " removed " << seen[i].load() << " times";
  }
  EXPECT_TRUE(d.empty());
}

TYPED_TEST(ForkDequeTest, OwnerAndThievesRemoveEachGExactlyOnce) {
  const std::int64_t pushes = goro_test::scaled(1'000'000, 10);
  for (int thieves : {1, 3}) {
    for (std::uint32_t keep : {0u, 1u, 3u}) {
      SCOPED_TRACE(testing::Message() << thieves << " thieves, keep " << keep);
      run_race<typename TestFixture::deque>(thieves, pushes, keep);
    }
  }
}

}  // namespace
