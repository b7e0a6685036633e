// White-box tests of the scheduler's building blocks: the per-P run_queue
// ring, the global_queue, and the parker.
#include "goro/runtime/internal/run_queue.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "goro/core/internal/g.h"
#include "goro/core/internal/parker.h"
#include "goro/runtime/internal/global_queue.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace {

using goro::internal::basic_run_queue;
using goro::internal::g;
using goro::internal::global_queue;
using goro::internal::parker;
using goro::internal::run_queue;

// ------------------------------------------------------------ run_queue

TEST(RunQueue, SchedulerCapacityIs256) {
  EXPECT_EQ(run_queue::kCapacity, 256u);
}

// Every run_queue test runs at the scheduler's capacity and at capacity 4,
// where the ring wraps, fills and overflows every few operations.
template <typename Q>
class RunQueueTest : public ::testing::Test {
 protected:
  using queue = Q;
  static constexpr std::uint32_t kCap = Q::kCapacity;
};

using Capacities = ::testing::Types<run_queue, basic_run_queue<4>>;
TYPED_TEST_SUITE(RunQueueTest, Capacities, goro_test::CapacityName);

// Pushes and pops `k` Gs so that q's head and tail both sit at `k`.
template <typename Q>
void advance(Q& q, g* filler, std::uint32_t k) {
  for (std::uint32_t i = 0; i < k; ++i) {
    ASSERT_TRUE(q.push(filler));
    ASSERT_EQ(q.pop(), filler);
  }
}

TYPED_TEST(RunQueueTest, EmptyPopReturnsNull) {
  typename TestFixture::queue q;
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.pop(), nullptr);
}

TYPED_TEST(RunQueueTest, OwnerPushPopIsFifo) {
  constexpr std::uint32_t kCap = TestFixture::kCap;
  const std::uint32_t k = std::min<std::uint32_t>(100, kCap);
  auto gs = std::make_unique<g[]>(k);
  typename TestFixture::queue q;
  for (std::uint32_t i = 0; i < k; ++i) ASSERT_TRUE(q.push(&gs[i]));
  EXPECT_EQ(q.size(), k);
  for (std::uint32_t i = 0; i < k; ++i) EXPECT_EQ(q.pop(), &gs[i]) << i;
  EXPECT_EQ(q.pop(), nullptr);
  EXPECT_TRUE(q.empty());
}

TYPED_TEST(RunQueueTest, FifoAcrossManyWrapArounds) {
  constexpr std::uint32_t kCap = TestFixture::kCap;
  auto gs = std::make_unique<g[]>(kCap);
  typename TestFixture::queue q;
  // Keep ~100 queued (at most kCap) while pushing 10k: the indices wrap the
  // ring many times.
  const std::uint32_t keep = std::min<std::uint32_t>(100, kCap - 1);
  std::uint32_t pushed = 0, popped = 0;
  for (int step = 0; step < 10000; ++step) {
    ASSERT_TRUE(q.push(&gs[pushed % kCap]));
    ++pushed;
    if (pushed - popped > keep) {
      ASSERT_EQ(q.pop(), &gs[popped % kCap]);
      ++popped;
    }
  }
  while (popped < pushed) {
    ASSERT_EQ(q.pop(), &gs[popped % kCap]);
    ++popped;
  }
  EXPECT_EQ(q.pop(), nullptr);
}

TYPED_TEST(RunQueueTest, PushFailsWhenFull) {
  constexpr std::uint32_t kCap = TestFixture::kCap;
  auto gs = std::make_unique<g[]>(kCap + 1);
  typename TestFixture::queue q;
  for (std::uint32_t i = 0; i < kCap; ++i) ASSERT_TRUE(q.push(&gs[i])) << i;
  EXPECT_EQ(q.size(), kCap);
  EXPECT_FALSE(q.push(&gs[kCap]));
  EXPECT_EQ(q.size(), kCap);
  // Popping one frees a slot.
  EXPECT_EQ(q.pop(), &gs[0]);
  EXPECT_TRUE(q.push(&gs[kCap]));
  EXPECT_FALSE(q.push(&gs[0]));
}

TYPED_TEST(RunQueueTest, TakeHalfForOverflowTakesTheOlderHalfInOrder) {
  constexpr std::uint32_t kCap = TestFixture::kCap;
  auto gs = std::make_unique<g[]>(kCap + 1);
  typename TestFixture::queue q;
  g* out[kCap / 2];
  // Not full: nothing to take.
  ASSERT_TRUE(q.push(&gs[0]));
  EXPECT_EQ(q.take_half_for_overflow(out), 0u);
  EXPECT_EQ(q.size(), 1u);
  for (std::uint32_t i = 1; i < kCap; ++i) ASSERT_TRUE(q.push(&gs[i]));
  ASSERT_FALSE(q.push(&gs[kCap]));
  ASSERT_EQ(q.take_half_for_overflow(out), kCap / 2);
  for (std::uint32_t i = 0; i < kCap / 2; ++i) EXPECT_EQ(out[i], &gs[i]) << i;
  EXPECT_EQ(q.size(), kCap / 2);
  EXPECT_TRUE(q.push(&gs[kCap]));
  // The newer half is still there, in order, followed by the new one.
  for (std::uint32_t i = kCap / 2; i <= kCap; ++i) EXPECT_EQ(q.pop(), &gs[i]);
  EXPECT_EQ(q.pop(), nullptr);
}

// The scheduler's runqput_slow, at every position of the ring: half of a
// full ring plus the G that did not fit go out as one batch, oldest first;
// the newer half stays, and the ring takes kCap / 2 more pushes.
TYPED_TEST(RunQueueTest, OverflowOfHalfPlusTheNewGAtEveryOffset) {
  constexpr std::uint32_t kCap = TestFixture::kCap;
  auto gs = std::make_unique<g[]>(kCap + 1 + kCap / 2);
  g filler;
  for (std::uint32_t offset : {0u, 1u, kCap / 2 - 1, kCap / 2, kCap - 1, kCap,
                               kCap + 1, 3 * kCap - 1}) {
    SCOPED_TRACE(offset);
    typename TestFixture::queue q;
    advance(q, &filler, offset);
    // One short of full: not a full ring, nothing is taken.
    g* batch[kCap / 2 + 1];
    for (std::uint32_t i = 0; i + 1 < kCap; ++i) ASSERT_TRUE(q.push(&gs[i]));
    EXPECT_EQ(q.take_half_for_overflow(batch), 0u);
    EXPECT_EQ(q.size(), kCap - 1);
    ASSERT_TRUE(q.push(&gs[kCap - 1]));
    ASSERT_FALSE(q.push(&gs[kCap]));
    std::uint32_t n = q.take_half_for_overflow(batch);
    ASSERT_EQ(n, kCap / 2);
    batch[n] = &gs[kCap];
    for (std::uint32_t i = 0; i < kCap / 2; ++i) EXPECT_EQ(batch[i], &gs[i]);
    EXPECT_EQ(batch[kCap / 2], &gs[kCap]);
    EXPECT_EQ(q.size(), kCap / 2);
    for (std::uint32_t i = 0; i < kCap / 2; ++i) {
      ASSERT_TRUE(q.push(&gs[kCap + 1 + i])) << i;
    }
    EXPECT_FALSE(q.push(&filler));
    for (std::uint32_t i = kCap / 2; i < kCap; ++i) EXPECT_EQ(q.pop(), &gs[i]);
    for (std::uint32_t i = 0; i < kCap / 2; ++i) {
      EXPECT_EQ(q.pop(), &gs[kCap + 1 + i]);
    }
    EXPECT_EQ(q.pop(), nullptr);
  }
}

// A thief that took from a full ring leaves it less than full: the owner's
// take_half_for_overflow then claims nothing and its push succeeds (the
// scheduler's retry loop).
TYPED_TEST(RunQueueTest, TakeHalfAfterAStealTakesNothing) {
  constexpr std::uint32_t kCap = TestFixture::kCap;
  auto gs = std::make_unique<g[]>(kCap + 1);
  typename TestFixture::queue q, thief;
  for (std::uint32_t i = 0; i < kCap; ++i) ASSERT_TRUE(q.push(&gs[i]));
  ASSERT_FALSE(q.push(&gs[kCap]));
  EXPECT_EQ(q.steal_into(thief), &gs[kCap / 2 - 1]);
  g* out[kCap / 2];
  EXPECT_EQ(q.take_half_for_overflow(out), 0u);
  EXPECT_EQ(q.size(), kCap / 2);
  EXPECT_TRUE(q.push(&gs[kCap]));
}

TYPED_TEST(RunQueueTest, StealIntoTakesHalfRoundedUpAndReturnsTheLast) {
  constexpr std::uint32_t kCap = TestFixture::kCap;
  auto gs = std::make_unique<g[]>(8);
  typename TestFixture::queue victim, mine;
  EXPECT_EQ(victim.steal_into(mine), nullptr);  // empty victim
  if constexpr (kCap >= 5) {
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(victim.push(&gs[i]));
    // 5 - 5/2 = 3 taken: gs[0], gs[1] land in `mine`, gs[2] is returned.
    EXPECT_EQ(victim.steal_into(mine), &gs[2]);
    EXPECT_EQ(mine.size(), 2u);
    EXPECT_EQ(victim.size(), 2u);
    EXPECT_EQ(mine.pop(), &gs[0]);
    EXPECT_EQ(mine.pop(), &gs[1]);
    EXPECT_EQ(mine.pop(), nullptr);
    EXPECT_EQ(victim.pop(), &gs[3]);
    EXPECT_EQ(victim.pop(), &gs[4]);
  }

  // A single G is stolen whole and returned; nothing lands in `mine`.
  ASSERT_TRUE(victim.push(&gs[7]));
  EXPECT_EQ(victim.steal_into(mine), &gs[7]);
  EXPECT_TRUE(mine.empty());
  EXPECT_TRUE(victim.empty());
}

// A steal from a ring of every size 1..kCap (up to 64), with the victim's
// and the thief's indices at various positions of the ring (so that both
// the copied-from and the copied-to ranges wrap): ceil(k/2) are taken, the
// oldest first, the last of them returned and the rest queued in `mine`.
TYPED_TEST(RunQueueTest, StealOfHalfOfEverySizeAtEveryOffset) {
  constexpr std::uint32_t kCap = TestFixture::kCap;
  auto gs = std::make_unique<g[]>(kCap);
  g filler;
  const std::uint32_t max_k = std::min<std::uint32_t>(kCap, 64);
  for (std::uint32_t voff : {0u, 1u, kCap / 2, kCap - 1, 2 * kCap + 1}) {
    for (std::uint32_t moff : {0u, 1u, kCap - 1}) {
      for (std::uint32_t k = 1; k <= max_k; ++k) {
        SCOPED_TRACE(testing::Message()
                     << "victim offset " << voff << ", mine offset " << moff
                     << ", size " << k);
        typename TestFixture::queue victim, mine;
        advance(victim, &filler, voff);
        advance(mine, &filler, moff);
        for (std::uint32_t i = 0; i < k; ++i) ASSERT_TRUE(victim.push(&gs[i]));
        const std::uint32_t taken = k - k / 2;
        ASSERT_EQ(victim.steal_into(mine), &gs[taken - 1]);
        ASSERT_EQ(mine.size(), taken - 1);
        ASSERT_EQ(victim.size(), k - taken);
        for (std::uint32_t i = 0; i + 1 < taken; ++i) {
          ASSERT_EQ(mine.pop(), &gs[i]);
        }
        ASSERT_EQ(mine.pop(), nullptr);
        for (std::uint32_t i = taken; i < k; ++i) {
          ASSERT_EQ(victim.pop(), &gs[i]);
        }
        ASSERT_EQ(victim.pop(), nullptr);
      }
    }
  }
}

TYPED_TEST(RunQueueTest, StealFromAFullRing) {
  constexpr std::uint32_t kCap = TestFixture::kCap;
  auto gs = std::make_unique<g[]>(kCap);
  typename TestFixture::queue victim, mine;
  for (std::uint32_t i = 0; i < kCap; ++i) ASSERT_TRUE(victim.push(&gs[i]));
  EXPECT_EQ(victim.steal_into(mine), &gs[kCap / 2 - 1]);
  EXPECT_EQ(mine.size(), kCap / 2 - 1);
  EXPECT_EQ(victim.size(), kCap / 2);
  for (std::uint32_t i = 0; i < kCap / 2 - 1; ++i)
    EXPECT_EQ(mine.pop(), &gs[i]);
}

// One owner pushing and popping, thieves stealing into their own queues and
// draining them: every G comes out exactly once, with the field its owner
// wrote before the push (published by the tail_ release; TSan checks it).
TYPED_TEST(RunQueueTest, ConcurrentOwnerAndThievesLoseAndDuplicateNothing) {
  using queue = typename TestFixture::queue;
  const std::int64_t n = goro_test::scaled(1'000'000, 5);
  constexpr int kThieves = 3;
  auto gs = std::make_unique<g[]>(n);
  auto seen = std::make_unique<std::atomic<std::uint8_t>[]>(n);
  for (std::int64_t i = 0; i < n; ++i) seen[i].store(0);
  std::atomic<std::int64_t> stale{0};
  auto record = [&](g* gp) {
    std::ptrdiff_t i = gp - gs.get();
    ASSERT_GE(i, 0);
    ASSERT_LT(i, n);
    if (gp->id != static_cast<std::uint64_t>(i) + 1) stale.fetch_add(1);
    seen[i].fetch_add(1, std::memory_order_relaxed);
  };

  queue owner_q;
  std::atomic<bool> producing{true};
  std::atomic<std::int64_t> by_owner{0}, by_overflow{0}, by_thieves{0};

  std::vector<std::thread> thieves;
  for (int t = 0; t < kThieves; ++t) {
    thieves.emplace_back([&] {
      queue mine;
      std::int64_t count = 0;
      for (;;) {
        const bool last_check = !producing.load(std::memory_order_acquire);
        g* gp = owner_q.steal_into(mine);
        if (gp != nullptr) {
          record(gp);
          ++count;
          while (g* x = mine.pop()) {
            record(x);
            ++count;
          }
        } else if (last_check) {
          break;
        }
      }
      by_thieves.fetch_add(count);
    });
  }

  std::thread owner([&] {
    g* overflow[queue::kCapacity / 2];
    std::int64_t popped = 0, spilled = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      gs[i].id = static_cast<std::uint64_t>(i) + 1;
      while (!owner_q.push(&gs[i])) {
        std::uint32_t k = owner_q.take_half_for_overflow(overflow);
        for (std::uint32_t j = 0; j < k; ++j) record(overflow[j]);
        spilled += k;
      }
      if (i % 3 == 0) {
        if (g* gp = owner_q.pop()) {
          record(gp);
          ++popped;
        }
      }
    }
    while (g* gp = owner_q.pop()) {
      record(gp);
      ++popped;
    }
    by_owner.store(popped);
    by_overflow.store(spilled);
    producing.store(false, std::memory_order_release);
  });

  owner.join();
  for (auto& t : thieves) t.join();

  std::int64_t missing = 0, duplicated = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    std::uint8_t c = seen[i].load();
    if (c == 0) ++missing;
    if (c > 1) ++duplicated;
  }
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(duplicated, 0);
  EXPECT_EQ(stale.load(), 0);
  EXPECT_EQ(by_owner.load() + by_overflow.load() + by_thieves.load(), n);
  EXPECT_GT(by_thieves.load(), 0) << "no steal ever succeeded";
  if constexpr (queue::kCapacity == 4) {
    // Three pushes per pop fill a 4-slot ring faster than thieves drain it.
    EXPECT_GT(by_overflow.load(), 0) << "the ring never overflowed";
  }
  EXPECT_TRUE(owner_q.empty());
}

// Thieves steal from each other's queues too (a thief's queue is itself a
// victim), while every owner keeps pushing.
TYPED_TEST(RunQueueTest, ConcurrentAllStealFromAll) {
  using queue = typename TestFixture::queue;
  const std::int64_t per = goro_test::scaled(200'000, 5);
  constexpr int kWorkers = 3;
  const std::int64_t n = per * kWorkers;
  auto gs = std::make_unique<g[]>(n);
  auto seen = std::make_unique<std::atomic<std::uint8_t>[]>(n);
  for (std::int64_t i = 0; i < n; ++i) seen[i].store(0);
  std::vector<std::unique_ptr<queue>> qs;
  for (int w = 0; w < kWorkers; ++w) qs.push_back(std::make_unique<queue>());
  std::atomic<int> producing{kWorkers};
  std::atomic<std::int64_t> consumed{0};

  std::atomic<std::int64_t> stale{0};
  auto consume = [&](g* gp) {
    const std::ptrdiff_t i = gp - gs.get();
    if (gp->id != static_cast<std::uint64_t>(i) + 1) stale.fetch_add(1);
    seen[i].fetch_add(1, std::memory_order_relaxed);
    consumed.fetch_add(1, std::memory_order_relaxed);
  };
  std::vector<std::thread> ts;
  for (int w = 0; w < kWorkers; ++w) {
    ts.emplace_back([&, w] {
      queue& q = *qs[w];
      g* overflow[queue::kCapacity / 2];
      for (std::int64_t i = 0; i < per; ++i) {
        g* gp = &gs[w * per + i];
        gp->id = static_cast<std::uint64_t>(w * per + i) + 1;
        while (!q.push(gp)) {
          std::uint32_t k = q.take_half_for_overflow(overflow);
          for (std::uint32_t j = 0; j < k; ++j) consume(overflow[j]);
        }
        if (i % 2 == 0) {
          if (g* x = q.pop()) consume(x);
        }
        if (i % 64 == 0 && q.empty()) {
          queue& victim = *qs[(w + 1 + i / 64 % (kWorkers - 1)) % kWorkers];
          if (g* x = victim.steal_into(q)) consume(x);
        }
      }
      producing.fetch_sub(1);
      for (;;) {
        while (g* x = q.pop()) consume(x);
        bool idle = producing.load() == 0;
        bool got = false;
        for (int v = 0; v < kWorkers; ++v) {
          if (v == w) continue;
          if (g* x = qs[v]->steal_into(q)) {
            consume(x);
            got = true;
          }
          while (g* y = q.pop()) consume(y);
        }
        if (!got && idle && consumed.load() >= n) break;  // > n: duplicates
      }
    });
  }
  for (auto& t : ts) t.join();
  std::int64_t bad = 0;
  for (std::int64_t i = 0; i < n; ++i) bad += seen[i].load() != 1;
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(stale.load(), 0);
  EXPECT_EQ(consumed.load(), n);
}

// ---------------------------------------------------------- global_queue

TEST(GlobalQueue, PushBatchPopBatchFifoAndSize) {
  auto gs = std::make_unique<g[]>(10);
  global_queue q;
  g* out[16] = {};
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.pop_batch(out, 5), 0u);

  q.push(&gs[0]);
  g* three[] = {&gs[1], &gs[2], &gs[3]};
  q.push_batch(three, 3);
  q.push(&gs[4]);
  EXPECT_EQ(q.size(), 5u);
  EXPECT_FALSE(q.empty());

  ASSERT_EQ(q.pop_batch(out, 2), 2u);
  EXPECT_EQ(out[0], &gs[0]);
  EXPECT_EQ(out[1], &gs[1]);
  EXPECT_EQ(q.size(), 3u);

  ASSERT_EQ(q.pop_batch(out, 100), 3u);
  EXPECT_EQ(out[0], &gs[2]);
  EXPECT_EQ(out[1], &gs[3]);
  EXPECT_EQ(out[2], &gs[4]);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.size(), 0u);

  // Usable again after being emptied.
  q.push(&gs[5]);
  ASSERT_EQ(q.pop_batch(out, 1), 1u);
  EXPECT_EQ(out[0], &gs[5]);
}

// The queue is a ring that doubles when full: growing while the contents
// wrap around the end, and a batch larger than the whole ring, keep FIFO
// order.
TEST(GlobalQueue, GrowsWhileWrappedAndByLargeBatchesInOrder) {
  constexpr int kN = 2000;
  auto gs = std::make_unique<g[]>(kN);
  global_queue q;
  int next_in = 0, next_out = 0;
  g* out[kN];
  auto push_n = [&](int k) {
    std::vector<g*> batch;
    for (int i = 0; i < k; ++i) batch.push_back(&gs[next_in++]);
    q.push_batch(batch.data(), batch.size());
  };
  auto pop_n = [&](int k) {
    const std::size_t got = q.pop_batch(out, k);
    ASSERT_EQ(got, static_cast<std::size_t>(k));
    for (int i = 0; i < k; ++i) ASSERT_EQ(out[i], &gs[next_out++]);
  };
  for (int i = 0; i < 50; ++i) push_n(1);
  pop_n(40);    // the head is now well inside the ring
  push_n(40);   // wraps around the end
  push_n(100);  // grows while wrapped
  pop_n(30);
  push_n(700);  // one batch larger than the ring
  EXPECT_EQ(q.size(), static_cast<std::size_t>(next_in - next_out));
  pop_n(next_in - next_out);
  EXPECT_TRUE(q.empty());
  push_n(3);  // still usable
  pop_n(3);
}

// A yield with nothing local to run pushes itself and takes the batch
// global_get would take, under one lock: size / share + 1 Gs (the size
// counting the pushed G), at most max, never more than there are, oldest
// first; alone, the pusher comes straight back.
TEST(GlobalQueue, PushThenPopTakesTheFairShareOldestFirst) {
  auto gs = std::make_unique<g[]>(300);
  global_queue q;
  g* out[128] = {};
  // Alone, with one P or several: itself.
  for (std::size_t share : {1u, 2u, 8u}) {
    ASSERT_EQ(q.push_then_pop(&gs[0], out, share, 128), 1u);
    EXPECT_EQ(out[0], &gs[0]);
    EXPECT_TRUE(q.empty());
  }
  // Three waiting, one P: all four (4 / 1 + 1 is more than there are).
  g* three[] = {&gs[1], &gs[2], &gs[3]};
  q.push_batch(three, 3);
  ASSERT_EQ(q.push_then_pop(&gs[4], out, 1, 128), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(out[i], &gs[i + 1]);
  EXPECT_TRUE(q.empty());
  // Three waiting, two Ps: 4 / 2 + 1 = 3, the pusher stays queued.
  q.push_batch(three, 3);
  ASSERT_EQ(q.push_then_pop(&gs[4], out, 2, 128), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(out[i], &gs[i + 1]);
  EXPECT_EQ(q.size(), 1u);
  ASSERT_EQ(q.pop_batch(out, 8), 1u);
  EXPECT_EQ(out[0], &gs[4]);
  // max bounds the batch (1: find_runnable's global turn).
  q.push_batch(three, 3);
  ASSERT_EQ(q.push_then_pop(&gs[4], out, 1, 1), 1u);
  EXPECT_EQ(out[0], &gs[1]);
  EXPECT_EQ(q.size(), 3u);
  ASSERT_EQ(q.pop_batch(out, 8), 3u);
  // The push grows a full ring first.
  std::vector<g*> many;
  for (int i = 0; i < 256; ++i) many.push_back(&gs[i]);
  q.push_batch(many.data(), 64);  // the first ring's size
  ASSERT_EQ(q.push_then_pop(&gs[256], out, 1, 128), 65u);
  for (int i = 0; i < 64; ++i) EXPECT_EQ(out[i], &gs[i]);
  EXPECT_EQ(out[64], &gs[256]);
  EXPECT_TRUE(q.empty());
}

TEST(GlobalQueue, ConcurrentProducersAndConsumers) {
  const std::int64_t per = goro_test::scaled(100'000, 5);
  constexpr int kProducers = 2, kConsumers = 2;
  const std::int64_t n = per * kProducers;
  auto gs = std::make_unique<g[]>(n);
  auto seen = std::make_unique<std::atomic<std::uint8_t>[]>(n);
  for (std::int64_t i = 0; i < n; ++i) seen[i].store(0);
  global_queue q;
  std::atomic<std::int64_t> consumed{0};
  std::vector<std::thread> ts;
  for (int p = 0; p < kProducers; ++p) {
    ts.emplace_back([&, p] {
      for (std::int64_t i = 0; i < per;) {
        if (i % 7 == 0 && i + 3 <= per) {  // a batch of 3
          g* batch[] = {&gs[p * per + i], &gs[p * per + i + 1],
                        &gs[p * per + i + 2]};
          q.push_batch(batch, 3);
          i += 3;
        } else {
          q.push(&gs[p * per + i]);
          ++i;
        }
      }
    });
  }
  for (int c = 0; c < kConsumers; ++c) {
    ts.emplace_back([&] {
      g* out[8];
      while (consumed.load() < n) {
        std::size_t k = q.pop_batch(out, 1 + consumed.load() % 5);
        for (std::size_t i = 0; i < k; ++i)
          seen[out[i] - gs.get()].fetch_add(1);
        consumed.fetch_add(static_cast<std::int64_t>(k));
      }
    });
  }
  for (auto& t : ts) t.join();
  std::int64_t bad = 0;
  for (std::int64_t i = 0; i < n; ++i) bad += seen[i].load() != 1;
  EXPECT_EQ(bad, 0);
  EXPECT_TRUE(q.empty());
}

// --------------------------------------------------------------- parker

using std::chrono::milliseconds;
using clock_type = std::chrono::steady_clock;

TEST(Parker, UnparkBeforeParkKeepsTheToken) {
  parker p;
  p.unpark();
  auto t0 = clock_type::now();
  p.park();  // must not block
  EXPECT_LT(clock_type::now() - t0, milliseconds(500));
}

// True if a park() on p blocks (no token is kept), checked from another
// thread for 50 ms; the token this deposits to end that park is consumed.
bool park_blocks(parker& p) {
  std::atomic<bool> woke{false};
  std::thread t([&] {
    p.park();
    woke.store(true);
  });
  std::this_thread::sleep_for(milliseconds(50));
  const bool blocked = !woke.load();
  p.unpark();
  t.join();
  return blocked;
}

TEST(Parker, AtMostOneTokenIsKept) {
  parker p;
  p.unpark();
  p.unpark();
  p.unpark();
  auto t0 = clock_type::now();
  p.park();  // the one token
  EXPECT_LT(clock_type::now() - t0, milliseconds(500));
  EXPECT_TRUE(park_blocks(p));  // the extra unparks are gone
}

TEST(Parker, UnparkFromAnotherThreadWakesPark) {
  parker p;
  EXPECT_TRUE(park_blocks(p));  // asleep until the token came
  EXPECT_TRUE(park_blocks(p));  // and that token was consumed
}

// Two threads hand a token back and forth: a lost wake-up hangs (caught by
// the test timeout).
TEST(Parker, PingPongLosesNoWakeUp) {
  const int rounds = static_cast<int>(goro_test::scaled(100'000, 5));
  parker a, b;
  std::thread t([&] {
    for (int i = 0; i < rounds; ++i) {
      a.park();
      b.unpark();
    }
  });
  for (int i = 0; i < rounds; ++i) {
    a.unpark();
    // Now and then let the other thread get to sleep first, so both orders
    // (unpark before park, park before unpark) are exercised.
    if (i % 64 == 0) std::this_thread::yield();
    b.park();
  }
  t.join();
  // Every token was consumed: no wake-up was lost, none was left over.
  EXPECT_TRUE(park_blocks(a));
  EXPECT_TRUE(park_blocks(b));
}

}  // namespace
