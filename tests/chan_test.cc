// goro::chan<T>: every line of the Channels semantics in chan/README.md
// (Go's, line by line), the error contract of chan.h and
// channel_error.h, handle semantics, lifetimes (every value destroyed exactly
// once, also at runtime teardown), misuse, and plain threads. Ideas ported
// from Go's runtime/chan_test.go (TestChan, TestMultiConsumer) and
// test/chan/*.go (fifo.go, select3.go's blocking checks, zerosize.go).
//
// Ordering without sleeps: with procs = 1 there is a single M, so when the
// test's G runs again after a G bumped a counter right before a blocking
// operation, that G has finished suspending and is queued in the operation
// (until_parked below). Where a test must show that something stays blocked
// it waits a short bounded time (kStillBlocked); such a check cannot fail
// because the machine is slow, only pass vacuously.
#include "goro/chan/chan.h"

#include <array>
#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "goro/goro.h"
#include "gtest/gtest.h"
#include "tests/chan_test_util.h"
#include "tests/test_util.h"

namespace {

using goro::chan;
using goro::make_chan;
using goro::task;
using goro_test::counted;
using goro_test::eager;
using goro_test::kCloseOfClosed;
using goro_test::kSendOnClosed;
using goro_test::kStillBlocked;
using goro_test::scaled;
using goro_test::wait_until;

constexpr const char* kCloseOfNil = "close of nil channel";
constexpr const char* kSizeOutOfRange = "makechan: size out of range";

// procs = 1 only: yields until *n >= want. A G that bumps *n right before a
// blocking channel operation is, once this returns, parked in it (one M:
// this G runs again only after that G has suspended).
task<void> until_parked(std::atomic<int>* n, int want) {
  while (n->load() < want) co_await goro::yield();
}

// A G that receives once from ch, after bumping *parked.
task<std::optional<int>> recv_once(chan<int> ch, std::atomic<int>* parked) {
  parked->fetch_add(1);
  co_return co_await ch.recv();
}

// A G that sends v on ch once, after bumping *parked; returns whether the
// send completed (false: channel_error "send on closed channel").
task<bool> send_once(chan<int> ch, int v, std::atomic<int>* parked) {
  parked->fetch_add(1);
  try {
    co_await ch.send(v);
  } catch (const goro::channel_error& e) {
    EXPECT_STREQ(e.what(), kSendOnClosed);
    co_return false;
  }
  co_return true;
}

// ============================================================ make_chan

TEST(MakeChan, NegativeCapacityThrowsSizeOutOfRange) {
  EXPECT_CHANNEL_ERROR((void)make_chan<int>(-1), kSizeOutOfRange);
  EXPECT_CHANNEL_ERROR((void)make_chan<int>(-1000), kSizeOutOfRange);
  EXPECT_CHANNEL_ERROR(
      (void)make_chan<int>(std::numeric_limits<std::int64_t>::min()),
      kSizeOutOfRange);
  EXPECT_CHANNEL_ERROR(
      (void)make_chan<std::string>(static_cast<signed char>(-3)),
      kSizeOutOfRange);
  // A channel_error is a std::logic_error (Go: a recoverable runtime error).
  try {
    (void)make_chan<int>(-1);
    ADD_FAILURE() << "no exception";
  } catch (const std::logic_error& e) {
    EXPECT_STREQ(e.what(), kSizeOutOfRange);
  }
}

TEST(MakeChan, OversizedCapacityThrowsSizeOutOfRange) {
  EXPECT_CHANNEL_ERROR(
      (void)make_chan<int>(std::numeric_limits<std::size_t>::max()),
      kSizeOutOfRange);
  EXPECT_CHANNEL_ERROR(
      (void)make_chan<int>(std::numeric_limits<std::int64_t>::max()),
      kSizeOutOfRange);
  using page = std::array<char, 4096>;
  EXPECT_CHANNEL_ERROR((void)make_chan<page>(std::uint64_t{1} << 40),
                       kSizeOutOfRange);
  EXPECT_CHANNEL_ERROR((void)make_chan<char>(std::uint64_t{1} << 50),
                       kSizeOutOfRange);
}

TEST(MakeChan, CapacityOfAnyIntegerType) {
  EXPECT_EQ(make_chan<int>().cap(), 0u);
  EXPECT_EQ(make_chan<int>(0).cap(), 0u);
  EXPECT_EQ(make_chan<int>(1).cap(), 1u);
  EXPECT_EQ(make_chan<int>(std::size_t{7}).cap(), 7u);
  EXPECT_EQ(make_chan<int>(static_cast<unsigned char>(200)).cap(), 200u);
  EXPECT_EQ(make_chan<int>(std::int64_t{1000}).cap(), 1000u);
  EXPECT_EQ(make_chan<int>(1000).len(), 0u);
}

// zerosize.go: channels of empty element types, unbuffered and buffered.
struct nothing {};

TEST(MakeChan, ZeroSizeElementTypes) {
  goro::runtime rt{goro::options{.procs = 2}};
  int got = rt.block_on([]() -> task<int> {
    int n = 0;
    auto u = make_chan<nothing>();
    auto b = make_chan<nothing>(3);
    auto z = make_chan<std::array<int, 0>>(2);
    EXPECT_EQ(u.cap(), 0u);
    EXPECT_EQ(b.cap(), 3u);
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(b.try_send(nothing{}));
    EXPECT_FALSE(b.try_send(nothing{}));
    EXPECT_EQ(b.len(), 3u);
    EXPECT_TRUE(z.try_send(std::array<int, 0>{}));
    EXPECT_TRUE(z.try_recv().has_value());
    auto h = goro::co_spawn(
        [](chan<nothing> u) -> task<int> {
          int k = 0;
          while (co_await u.recv()) ++k;
          co_return k;
        },
        u);
    for (int i = 0; i < 10; ++i) co_await u.send(nothing{});
    u.close();
    n += co_await h;
    while (b.try_recv()) ++n;
    co_return n;
  });
  EXPECT_EQ(got, 13);
}

// ============================================================ handles

TEST(Handle, NilChannel) {
  chan<int> nil;
  EXPECT_FALSE(nil);
  EXPECT_EQ(nil.id(), nullptr);
  EXPECT_EQ(nil.len(), 0u);
  EXPECT_EQ(nil.cap(), 0u);
  EXPECT_TRUE(nil == chan<int>());
  EXPECT_EQ(std::hash<chan<int>>{}(nil), std::hash<chan<int>>{}(chan<int>()));
  EXPECT_FALSE(nil.try_send(1));
  int lvalue = 2;
  EXPECT_FALSE(nil.try_send(lvalue));
  goro::try_recv_result<int> r = nil.try_recv();
  EXPECT_FALSE(r.has_value());
  EXPECT_FALSE(r.closed());  // nil is never closed: it just never has a value
  EXPECT_CHANNEL_ERROR(nil.close(), kCloseOfNil);
  EXPECT_CHANNEL_ERROR(chan<std::string>().close(), kCloseOfNil);
  // A move-only value offered to nil is not consumed.
  chan<std::unique_ptr<int>> nilp;
  auto p = std::make_unique<int>(5);
  EXPECT_FALSE(nilp.try_send(std::move(p)));
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, 5);
}

TEST(Handle, CopiesShareTheChannelAndCompareEqual) {
  auto a = make_chan<int>(4);
  EXPECT_TRUE(a);
  EXPECT_NE(a.id(), nullptr);
  chan<int> b = a;
  EXPECT_TRUE(a == b);
  EXPECT_EQ(a.id(), b.id());
  EXPECT_EQ(std::hash<chan<int>>{}(a), std::hash<chan<int>>{}(b));
  EXPECT_TRUE(b.try_send(7));
  EXPECT_EQ(a.len(), 1u);
  EXPECT_EQ(a.try_recv(), std::optional<int>(7));
  EXPECT_EQ(b.len(), 0u);

  auto c = make_chan<int>(4);  // same capacity, another channel
  EXPECT_FALSE(a == c);
  EXPECT_TRUE(a != c);
  EXPECT_FALSE(a == chan<int>());

  std::unordered_set<chan<int>> set{a, b, c, chan<int>(), chan<int>()};
  EXPECT_EQ(set.size(), 3u);
  EXPECT_EQ(set.count(b), 1u);
  std::unordered_map<chan<int>, int> names;
  names[a] = 1;
  names[c] = 2;
  names[b] += 10;
  EXPECT_EQ(names[a], 11);
  EXPECT_EQ(names.size(), 2u);

  chan<int> d;
  d = c;  // copy-assign
  EXPECT_TRUE(d == c);
  const chan<int>& same = d;
  d = same;  // self-assignment keeps the channel
  EXPECT_TRUE(d == c);
  EXPECT_TRUE(d.try_send(3));
  EXPECT_EQ(c.len(), 1u);
  chan<int> e = std::move(d);  // move-construct
  EXPECT_TRUE(e == c);
  chan<int> f;
  f = std::move(e);  // move-assign
  EXPECT_TRUE(f == c);
  f = chan<int>();  // back to nil
  EXPECT_FALSE(f);
  EXPECT_EQ(c.len(), 1u);  // the channel is still alive through c

  // Closing through one handle is seen through every copy.
  b.close();
  auto r = a.try_recv();
  EXPECT_FALSE(r.has_value());
  EXPECT_TRUE(r.closed());
  EXPECT_CHANNEL_ERROR(a.close(), kCloseOfClosed);
}

TEST(Handle, ChannelLivesWhileAnyHandleDoes) {
  counted::reset();
  {
    auto a = make_chan<counted>(8);
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(a.try_send(counted(i)));
    EXPECT_EQ(counted::live.load(), 5);
    chan<counted> b = a;
    a = chan<counted>();
    EXPECT_EQ(counted::live.load(), 5);  // b still holds the channel
    EXPECT_EQ(b.len(), 5u);
    auto v = b.try_recv();
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->value, 0);
    EXPECT_EQ(counted::live.load(), 5);  // 4 buffered + v
  }
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), counted::constructed.load());
}

// Handles are copied, compared, hashed and dropped from many threads at once
// while the channel is used (TSan checks the reference count).
TEST(Handle, CopiedAndDroppedFromManyThreads) {
  counted::reset();
  {
    auto ch = make_chan<counted>(64);
    const int iters = static_cast<int>(scaled(20'000, 10));
    std::vector<std::thread> ts;
    std::atomic<int> sent{0}, received{0};
    for (int t = 0; t < 4; ++t) {
      ts.emplace_back([ch, iters, t, &sent, &received] {
        std::vector<chan<counted>> held;
        for (int i = 0; i < iters; ++i) {
          chan<counted> copy = ch;
          if (!(copy == ch) || std::hash<chan<counted>>{}(copy) !=
                                   std::hash<chan<counted>>{}(ch)) {
            ADD_FAILURE() << "copy differs";
          }
          if (i % 7 == 0) held.push_back(copy);
          if (held.size() > 16) held.erase(held.begin());
          if ((i + t) % 2 == 0) {
            if (copy.try_send(counted(i))) sent.fetch_add(1);
          } else {
            if (copy.try_recv()) received.fetch_add(1);
          }
        }
      });
    }
    for (auto& t : ts) t.join();
    EXPECT_EQ(static_cast<std::size_t>(sent.load() - received.load()),
              ch.len());
  }
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), counted::constructed.load());
}

// ============================================================ unbuffered

TEST(Unbuffered, SendCompletesOnlyWhenAReceiverTakesTheValue) {
  std::atomic<int> stage{0};
  goro::runtime rt{goro::options{.procs = 2}};
  auto ch = make_chan<int>();
  rt.go(
      [](chan<int> ch, std::atomic<int>* stage) -> task<> {
        stage->store(1);
        co_await ch.send(42);
        stage->store(2);
      },
      ch, &stage);
  wait_until([&] { return stage.load() == 1; });
  std::this_thread::sleep_for(kStillBlocked);
  EXPECT_EQ(stage.load(), 1) << "an unbuffered send completed with no receiver";
  EXPECT_EQ(ch.len(), 0u);
  EXPECT_EQ(ch.recv_blocking(), std::optional<int>(42));
  wait_until([&] { return stage.load() == 2; });
}

TEST(Unbuffered, ReceiveWaitsForASender) {
  std::atomic<int> stage{0};
  goro::runtime rt{goro::options{.procs = 2}};
  auto ch = make_chan<int>();
  auto got = rt.co_spawn(
      [](chan<int> ch, std::atomic<int>* stage) -> task<int> {
        stage->store(1);
        auto v = co_await ch.recv();
        stage->store(2);
        co_return v.value_or(-1);
      },
      ch, &stage);
  wait_until([&] { return stage.load() == 1; });
  std::this_thread::sleep_for(kStillBlocked);
  EXPECT_EQ(stage.load(), 1) << "a receive completed with no sender";
  EXPECT_FALSE(ch.try_recv().has_value());
  ch.send_blocking(9);
  EXPECT_EQ(
      rt.block_on(
          [](goro::join_handle<int> h) -> task<int> { co_return co_await h; },
          std::move(got)),
      9);
}

TEST(Unbuffered, TryOperationsNeedAWaitingPeer) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    auto ch = make_chan<int>();
    EXPECT_FALSE(ch.try_send(1));  // nobody receiving
    auto r = ch.try_recv();        // nobody sending
    EXPECT_FALSE(r.has_value());
    EXPECT_FALSE(r.closed());

    std::atomic<int> parked{0};
    auto rh = goro::co_spawn(recv_once, ch, &parked);
    co_await until_parked(&parked, 1);
    EXPECT_TRUE(ch.try_send(5));   // goes to the waiting receiver
    EXPECT_FALSE(ch.try_send(6));  // and only one value did
    EXPECT_EQ(co_await rh, std::optional<int>(5));

    auto sh = goro::co_spawn(send_once, ch, 8, &parked);
    co_await until_parked(&parked, 2);
    EXPECT_EQ(ch.try_recv(), std::optional<int>(8));
    EXPECT_FALSE(ch.try_recv().has_value());
    EXPECT_TRUE(co_await sh);
  });
}

// MM: a receive from an unbuffered channel is synchronized before the
// matching send completes; a send before the receive completes. Plain
// (non-atomic) data crosses only through those edges; TSan checks them, with
// either side arriving first.
TEST(Unbuffered, HappensBeforeEdgesBothWays) {
  goro::runtime rt{goro::options{.procs = 2}};
  const int rounds = static_cast<int>(scaled(2000, 10));
  rt.block_on([rounds]() -> task<> {
    struct box {
      int to_sender = 0;
      int to_receiver = 0;
    };
    for (int r = 0; r < rounds; ++r) {
      auto ch = make_chan<int>();
      auto b = std::make_unique<box>();
      auto h = goro::co_spawn(
          [](chan<int> ch, box* b, int r) -> task<int> {
            if (r % 2 == 0) co_await goro::yield();  // vary who arrives first
            goro_test::spin_work(static_cast<std::uint64_t>(r % 17) * 10);
            b->to_sender = r;  // written before the receive
            auto v = co_await ch.recv();
            co_return b->to_receiver + v.value_or(-1000000);  // read after it
          },
          ch, b.get(), r);
      goro_test::spin_work(static_cast<std::uint64_t>(r % 13) * 10);
      b->to_receiver = 2 * r;  // written before the send
      co_await ch.send(1);
      EXPECT_EQ(b->to_sender, r);  // read after the send completed
      EXPECT_EQ(co_await h, 2 * r + 1);
    }
  });
}

// ============================================================ buffered

TEST(Buffered, SendsProceedWhileLenBelowCap) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    for (int cap : {1, 2, 5, 64}) {
      auto ch = make_chan<int>(cap);
      // No other G exists: if one of these sends waited, this would hang.
      for (int i = 0; i < cap; ++i) {
        co_await ch.send(i);
        EXPECT_EQ(ch.len(), static_cast<std::size_t>(i + 1));
      }
      EXPECT_FALSE(ch.try_send(-1));  // len == cap: a send would wait
      EXPECT_EQ(ch.len(), static_cast<std::size_t>(cap));
      EXPECT_EQ(ch.cap(), static_cast<std::size_t>(cap));
      for (int i = 0; i < cap; ++i) {
        auto v = co_await ch.recv();  // len > 0: proceeds
        EXPECT_EQ(v, std::optional<int>(i));
        EXPECT_EQ(ch.len(), static_cast<std::size_t>(cap - i - 1));
      }
      auto r = ch.try_recv();  // len == 0: a receive would wait
      EXPECT_FALSE(r.has_value());
      EXPECT_FALSE(r.closed());
    }
  });
}

TEST(Buffered, SendToAFullBufferWaits) {
  std::atomic<int> stage{0};
  goro::runtime rt{goro::options{.procs = 2}};
  auto ch = make_chan<int>(2);
  ASSERT_TRUE(ch.try_send(0));
  ASSERT_TRUE(ch.try_send(1));
  rt.go(
      [](chan<int> ch, std::atomic<int>* stage) -> task<> {
        stage->store(1);
        co_await ch.send(2);
        stage->store(2);
      },
      ch, &stage);
  wait_until([&] { return stage.load() == 1; });
  std::this_thread::sleep_for(kStillBlocked);
  EXPECT_EQ(stage.load(), 1) << "a send to a full buffer did not wait";
  EXPECT_EQ(ch.len(), 2u);
  EXPECT_FALSE(ch.try_send(9));
  EXPECT_EQ(ch.recv_blocking(), std::optional<int>(0));
  wait_until([&] { return stage.load() == 2; });
  EXPECT_EQ(ch.recv_blocking(), std::optional<int>(1));
  EXPECT_EQ(ch.recv_blocking(), std::optional<int>(2));
}

TEST(Buffered, ReceiveFromAnEmptyBufferWaits) {
  std::atomic<int> stage{0};
  goro::runtime rt{goro::options{.procs = 2}};
  auto ch = make_chan<int>(3);
  rt.go(
      [](chan<int> ch, std::atomic<int>* stage) -> task<> {
        stage->store(1);
        auto v = co_await ch.recv();
        stage->store(v == std::optional<int>(4) ? 2 : 3);
      },
      ch, &stage);
  wait_until([&] { return stage.load() == 1; });
  std::this_thread::sleep_for(kStillBlocked);
  EXPECT_EQ(stage.load(), 1) << "a receive from an empty buffer did not wait";
  ch.send_blocking(4);
  wait_until([&] { return stage.load() >= 2; });
  EXPECT_EQ(stage.load(), 2);
}

// A send that finds a waiting receiver hands the value straight to it: the
// buffer is bypassed (Go's sendDirect), visibly: len stays 0.
TEST(Buffered, SendToAWaitingReceiverBypassesTheBuffer) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    auto ch = make_chan<int>(2);
    std::atomic<int> parked{0};
    auto h = goro::co_spawn(recv_once, ch, &parked);
    co_await until_parked(&parked, 1);
    EXPECT_TRUE(ch.try_send(5));
    EXPECT_EQ(ch.len(), 0u);  // went to the receiver, not the buffer
    EXPECT_TRUE(ch.try_send(6));
    EXPECT_EQ(ch.len(), 1u);
    EXPECT_EQ(co_await h, std::optional<int>(5));
    EXPECT_EQ(ch.try_recv(), std::optional<int>(6));
  });
}

// A receive from a full buffer with waiting senders takes the head and moves
// the first sender's value to the tail in the same step: len stays cap, and
// values and blocked senders stay FIFO.
TEST(Buffered, ReceiveFromFullBufferRefillsFromFirstBlockedSender) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    auto ch = make_chan<int>(3);
    for (int i = 0; i < 3; ++i) co_await ch.send(i);
    std::atomic<int> parked{0};
    std::vector<goro::join_handle<bool>> senders;
    for (int v = 3; v < 6; ++v) {
      senders.push_back(goro::co_spawn(send_once, ch, v, &parked));
      co_await until_parked(&parked, v - 2);  // queued one after the other
    }
    EXPECT_EQ(ch.len(), 3u);
    const std::size_t len_after[] = {3, 3, 3, 2, 1, 0};
    for (int want = 0; want < 6; ++want) {
      auto v = co_await ch.recv();  // never waits: no suspension here
      EXPECT_EQ(v, std::optional<int>(want));
      EXPECT_EQ(ch.len(), len_after[want]) << "after receiving " << want;
      if (want < 3) {
        EXPECT_FALSE(ch.try_send(100));  // still full
      }
    }
    for (auto& s : senders) EXPECT_TRUE(co_await s);
    EXPECT_FALSE(ch.try_recv().has_value());
  });
}

// MM: the k-th receive is synchronized before the (k+C)-th send completes, so
// a channel of capacity C is a counting semaphore: send to acquire, receive
// to release.
TEST(Buffered, CountingSemaphoreBoundsConcurrency) {
  for (int procs : {1, 4}) {
    constexpr int kC = 3;
    constexpr int kGs = 40;
    goro::runtime rt{goro::options{.procs = procs}};
    int max_active = rt.block_on([]() -> task<int> {
      auto sem = make_chan<int>(kC);
      auto active = std::make_shared<std::atomic<int>>(0);
      auto max_seen = std::make_shared<std::atomic<int>>(0);
      std::vector<goro::join_handle<void>> hs;
      for (int i = 0; i < kGs; ++i) {
        hs.push_back(goro::co_spawn(
            [](chan<int> sem, std::shared_ptr<std::atomic<int>> active,
               std::shared_ptr<std::atomic<int>> max_seen) -> task<> {
              co_await sem.send(0);  // acquire
              int now = active->fetch_add(1) + 1;
              int m = max_seen->load();
              while (now > m && !max_seen->compare_exchange_weak(m, now)) {
              }
              for (int k = 0; k < 3; ++k) co_await goro::yield();
              active->fetch_sub(1);
              (void)co_await sem.recv();  // release
            },
            sem, active, max_seen));
      }
      for (auto& h : hs) co_await h;
      EXPECT_EQ(sem.len(), 0u);
      co_return max_seen->load();
    });
    EXPECT_LE(max_active, kC) << "procs " << procs;
    // With one P every G acquires before any releases, so all C slots fill.
    if (procs == 1) {
      EXPECT_EQ(max_active, kC);
    }
  }
}

// A channel of capacity 1 as a mutex over plain data: exact count, and TSan
// sees the receive-before-(k+1)-th-send edge.
TEST(Buffered, CapacityOneChannelAsMutex) {
  goro::runtime rt{goro::options{.procs = 4}};
  const int per_g = static_cast<int>(scaled(2000, 5));
  constexpr int kGs = 8;
  long total = rt.block_on([per_g]() -> task<long> {
    auto mu = make_chan<int>(1);
    auto counter = std::make_shared<long>(0);  // plain, guarded by mu
    std::vector<goro::join_handle<void>> hs;
    for (int i = 0; i < kGs; ++i) {
      hs.push_back(goro::co_spawn(
          [](chan<int> mu, std::shared_ptr<long> counter, int n) -> task<> {
            for (int k = 0; k < n; ++k) {
              co_await mu.send(0);
              ++*counter;
              if (k % 16 == 0) co_await goro::yield();
              (void)co_await mu.recv();
            }
          },
          mu, counter, per_g));
    }
    for (auto& h : hs) co_await h;
    co_return *counter;
  });
  EXPECT_EQ(total, long{kGs} * per_g);
}

// ============================================================ FIFO

// fifo.go AsynchFifo.
TEST(Fifo, BufferedValuesComeOutInOrder) {
  auto ch = make_chan<int>(10);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(ch.try_send(i));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(ch.try_recv(), std::optional<int>(i));
  // Wrapped around the ring several times.
  for (int round = 0; round < 7; ++round) {
    for (int i = 0; i < 7; ++i) ASSERT_TRUE(ch.try_send(round * 100 + i));
    for (int i = 0; i < 7; ++i) {
      EXPECT_EQ(ch.try_recv(), std::optional<int>(round * 100 + i));
    }
  }
}

// fifo.go SynchFifo: a chain of Gs, each released by the previous one, each
// expecting the next value of an unbuffered channel.
TEST(Fifo, SynchronousChainSeesValuesInOrder) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> task<> {
    constexpr int kN = 50;
    auto ch = make_chan<int>();
    auto in = make_chan<int>();
    auto start = in;
    std::vector<goro::join_handle<bool>> links;
    for (int i = 0; i < kN; ++i) {
      auto out = make_chan<int>();
      links.push_back(goro::co_spawn(
          [](chan<int> ch, int val, chan<int> in, chan<int> out) -> task<bool> {
            (void)co_await in.recv();
            auto v = co_await ch.recv();
            co_await out.send(1);
            co_return v == std::optional<int>(val);
          },
          ch, i, in, out));
      in = out;
    }
    co_await start.send(0);
    for (int i = 0; i < kN; ++i) co_await ch.send(i);
    (void)co_await in.recv();
    for (int i = 0; i < kN; ++i) EXPECT_TRUE(co_await links[i]) << "link " << i;
  });
}

TEST(Fifo, BlockedReceiversServedInArrivalOrder) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    for (int cap : {0, 3}) {
      auto ch = make_chan<int>(cap);
      std::atomic<int> parked{0};
      std::vector<goro::join_handle<std::optional<int>>> rs;
      for (int i = 0; i < 6; ++i) {
        rs.push_back(goro::co_spawn(recv_once, ch, &parked));
        co_await until_parked(&parked, i + 1);
      }
      for (int i = 0; i < 6; ++i) co_await ch.send(10 + i);
      for (int i = 0; i < 6; ++i) {
        EXPECT_EQ(co_await rs[i], std::optional<int>(10 + i))
            << "receiver " << i << ", cap " << cap;
      }
    }
  });
}

TEST(Fifo, BlockedSendersServedInArrivalOrder) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    for (int cap : {0, 2}) {
      auto ch = make_chan<int>(cap);
      for (int i = 0; i < cap; ++i) co_await ch.send(-1 - i);
      std::atomic<int> parked{0};
      std::vector<goro::join_handle<bool>> ss;
      for (int i = 0; i < 6; ++i) {
        ss.push_back(goro::co_spawn(send_once, ch, i, &parked));
        co_await until_parked(&parked, i + 1);
      }
      for (int i = 0; i < cap; ++i) {
        EXPECT_EQ(co_await ch.recv(), std::optional<int>(-1 - i));
      }
      for (int i = 0; i < 6; ++i) {
        EXPECT_EQ(co_await ch.recv(), std::optional<int>(i)) << "cap " << cap;
      }
      for (auto& s : ss) EXPECT_TRUE(co_await s);
    }
  });
}

// Each consumer sees each producer's values in the order they were sent.
TEST(Fifo, PerProducerOrderSeenByEveryConsumer) {
  goro::runtime rt{goro::options{.procs = 4}};
  const int per = static_cast<int>(scaled(5000, 10));
  rt.block_on([per]() -> task<> {
    for (int cap : {0, 1, 16}) {
      constexpr int kProducers = 4, kConsumers = 3;
      auto ch = make_chan<std::pair<int, int>>(cap);
      std::vector<goro::join_handle<void>> ps;
      for (int p = 0; p < kProducers; ++p) {
        ps.push_back(goro::co_spawn(
            [](chan<std::pair<int, int>> ch, int p, int n) -> task<> {
              for (int i = 0; i < n; ++i) co_await ch.send({p, i});
            },
            ch, p, per));
      }
      std::vector<goro::join_handle<int>> cs;
      for (int c = 0; c < kConsumers; ++c) {
        cs.push_back(goro::co_spawn(
            [](chan<std::pair<int, int>> ch) -> task<int> {
              std::array<int, kProducers> last;
              last.fill(-1);
              int n = 0;
              while (auto v = co_await ch.recv()) {
                EXPECT_GT(v->second, last[v->first]) << "out of order";
                last[v->first] = v->second;
                ++n;
              }
              co_return n;
            },
            ch));
      }
      for (auto& h : ps) co_await h;
      ch.close();
      int total = 0;
      for (auto& h : cs) total += co_await h;
      EXPECT_EQ(total, kProducers * per) << "cap " << cap;
    }
  });
}

// ============================================================ TestChan port

class ChanCap : public ::testing::TestWithParam<int> {};
INSTANTIATE_TEST_SUITE_P(Caps, ChanCap,
                         ::testing::Values(0, 1, 2, 3, 5, 8, 17, 100),
                         [](const auto& info) {
                           return "cap" + std::to_string(info.param);
                         });

// runtime/chan_test.go TestChan, for one capacity.
TEST_P(ChanCap, GoTestChan) {
  const int cap = GetParam();
  goro::runtime rt{goro::options{.procs = 4}};
  rt.block_on([cap]() -> task<> {
    {  // a non-blocking receive from an empty channel does not receive
      auto c = make_chan<int>(cap);
      auto r = c.try_recv();
      EXPECT_FALSE(r.has_value());
      EXPECT_FALSE(r.closed());
    }
    {  // a non-blocking send to a full channel does not send
      auto c = make_chan<int>(cap);
      for (int i = 0; i < cap; ++i) co_await c.send(i);
      EXPECT_FALSE(c.try_send(0));
      EXPECT_EQ(c.len(), static_cast<std::size_t>(cap));
    }
    {  // a closed channel yields its values, then empty
      auto c = make_chan<int>(cap);
      for (int i = 0; i < cap; ++i) co_await c.send(i);
      c.close();
      for (int i = 0; i < cap; ++i) {
        EXPECT_EQ(co_await c.recv(), std::optional<int>(i));
      }
      EXPECT_FALSE((co_await c.recv()).has_value());
      EXPECT_FALSE((co_await c.recv()).has_value());
    }
    {  // close unblocks a receive
      auto c = make_chan<int>(cap);
      std::atomic<int> started{0};
      auto h = goro::co_spawn(recv_once, c, &started);
      while (started.load() == 0) co_await goro::yield();
      c.close();
      EXPECT_FALSE((co_await h).has_value());
    }
    {  // 100 values from one sender arrive intact and in order
      auto c = make_chan<int>(cap);
      auto send100 = [](chan<int> c) -> task<> {
        for (int i = 0; i < 100; ++i) co_await c.send(i);
      };
      goro::go(send100, c);
      for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(co_await c.recv(), std::optional<int>(i));
      }
      goro::go(send100, c);
      for (int i = 0; i < 100; ++i) {
        auto v = co_await c.recv();
        EXPECT_TRUE(v.has_value());
        EXPECT_EQ(v.value_or(-1), i);
      }
      // P senders of L values each, P receivers: every value arrives P times.
      constexpr int kP = 4, kL = 1000;
      for (int p = 0; p < kP; ++p) {
        goro::go(
            [](chan<int> c) -> task<> {
              for (int i = 0; i < kL; ++i) co_await c.send(i);
            },
            c);
      }
      std::vector<goro::join_handle<std::map<int, int>>> rs;
      for (int p = 0; p < kP; ++p) {
        rs.push_back(goro::co_spawn(
            [](chan<int> c) -> task<std::map<int, int>> {
              std::map<int, int> seen;
              for (int i = 0; i < kL; ++i) {
                auto v = co_await c.recv();
                ++seen[v.value_or(-1)];
              }
              co_return seen;
            },
            c));
      }
      std::map<int, int> all;
      for (auto& r : rs) {
        for (auto [k, n] : co_await r) all[k] += n;
      }
      EXPECT_EQ(all.size(), static_cast<std::size_t>(kL));
      for (auto [k, n] : all) EXPECT_EQ(n, kP) << "value " << k;
    }
    {  // len and cap
      auto c = make_chan<int>(cap);
      EXPECT_EQ(c.len(), 0u);
      EXPECT_EQ(c.cap(), static_cast<std::size_t>(cap));
      for (int i = 0; i < cap; ++i) co_await c.send(i);
      EXPECT_EQ(c.len(), static_cast<std::size_t>(cap));
      EXPECT_EQ(c.cap(), static_cast<std::size_t>(cap));
    }
  });
}

// ============================================================ close

TEST(Close, WakesEveryBlockedReceiverWithEmpty) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    for (int cap : {0, 4}) {
      auto ch = make_chan<int>(cap);
      std::atomic<int> parked{0};
      std::vector<goro::join_handle<std::optional<int>>> rs;
      for (int i = 0; i < 10; ++i)
        rs.push_back(goro::co_spawn(recv_once, ch, &parked));
      co_await until_parked(&parked, 10);
      ch.close();
      for (auto& r : rs)
        EXPECT_FALSE((co_await r).has_value()) << "cap " << cap;
    }
  });
}

TEST(Close, WakesEveryBlockedSenderWithChannelError) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    for (int cap : {0, 2}) {
      auto ch = make_chan<int>(cap);
      for (int i = 0; i < cap; ++i) co_await ch.send(100 + i);
      std::atomic<int> parked{0};
      std::vector<goro::join_handle<bool>> ss;
      for (int i = 0; i < 10; ++i)
        ss.push_back(goro::co_spawn(send_once, ch, i, &parked));
      co_await until_parked(&parked, 10);
      ch.close();
      for (auto& s : ss) EXPECT_FALSE(co_await s) << "a blocked send completed";
      // The values buffered before the close are still there, then nothing.
      for (int i = 0; i < cap; ++i) {
        EXPECT_EQ(co_await ch.recv(), std::optional<int>(100 + i));
      }
      EXPECT_FALSE((co_await ch.recv()).has_value());
    }
  });
}

// Close at procs > 1 while receivers and senders are arriving: whoever
// blocked is woken, whoever comes later finds the channel closed.
TEST(Close, WakesWaitersAtSeveralProcs) {
  goro::runtime rt{goro::options{.procs = 4}};
  rt.block_on([]() -> task<> {
    for (int round = 0; round < 20; ++round) {
      auto rch = make_chan<int>(round % 3);
      auto sch = make_chan<int>(0);
      std::atomic<int> started{0};
      std::vector<goro::join_handle<std::optional<int>>> rs;
      std::vector<goro::join_handle<bool>> ss;
      for (int i = 0; i < 8; ++i) {
        rs.push_back(goro::co_spawn(recv_once, rch, &started));
        ss.push_back(goro::co_spawn(send_once, sch, i, &started));
      }
      while (started.load() < 16) co_await goro::yield();
      rch.close();
      sch.close();
      for (auto& r : rs) EXPECT_FALSE((co_await r).has_value());
      for (auto& s : ss) EXPECT_FALSE(co_await s);
    }
  });
}

TEST(Close, DrainThenEmptyForever) {
  auto ch = make_chan<int>(5);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ch.try_send(i));
  ch.close();
  EXPECT_EQ(ch.len(), 3u);
  EXPECT_EQ(ch.cap(), 5u);
  auto first = ch.try_recv();  // buffered values first, with closed() false
  EXPECT_EQ(first, std::optional<int>(0));
  EXPECT_FALSE(first.closed());
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on(
      [](chan<int> ch) -> task<> {
        EXPECT_EQ(co_await ch.recv(), std::optional<int>(1));
        EXPECT_EQ(co_await ch.recv(), std::optional<int>(2));
        EXPECT_EQ(ch.len(), 0u);
        for (int i = 0; i < 1000; ++i) {  // at once, forever
          EXPECT_FALSE((co_await ch.recv()).has_value());
          auto r = ch.try_recv();
          EXPECT_FALSE(r.has_value());
          EXPECT_TRUE(r.closed());
        }
      },
      ch);
  EXPECT_FALSE(ch.recv_blocking().has_value());
  EXPECT_EQ(ch.len(), 0u);
}

TEST(Close, RangeLoopEndsAfterTheDrain) {
  goro::runtime rt{goro::options{.procs = 2}};
  long sum = rt.block_on([]() -> task<long> {
    auto ch = make_chan<int>(7);
    goro::go(
        [](chan<int> ch) -> task<> {
          for (int i = 1; i <= 1000; ++i) co_await ch.send(i);
          ch.close();
        },
        ch);
    long s = 0;
    while (std::optional<int> v = co_await ch.recv()) s += *v;  // Go's range
    co_return s;
  });
  EXPECT_EQ(sum, 1000L * 1001 / 2);
}

TEST(Close, ErrorsHaveGosWording) {
  auto ch = make_chan<int>(1);
  ch.close();
  EXPECT_CHANNEL_ERROR(ch.close(), kCloseOfClosed);
  EXPECT_CHANNEL_ERROR(ch.try_send(1), kSendOnClosed);
  int lvalue = 1;
  EXPECT_CHANNEL_ERROR(ch.try_send(lvalue), kSendOnClosed);
  EXPECT_CHANNEL_ERROR(ch.send_blocking(1), kSendOnClosed);
  EXPECT_CHANNEL_ERROR(chan<int>().close(), kCloseOfNil);
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on(
      [](chan<int> ch) -> task<> {
        EXPECT_CHANNEL_ERROR(co_await ch.send(1), kSendOnClosed);
        auto unbuffered = make_chan<int>();
        unbuffered.close();
        EXPECT_CHANNEL_ERROR(co_await unbuffered.send(2), kSendOnClosed);
        // Each is a std::logic_error too.
        try {
          co_await ch.send(3);
          ADD_FAILURE() << "no exception";
        } catch (const std::logic_error& e) {
          EXPECT_STREQ(e.what(), kSendOnClosed);
        }
      },
      ch);
  // Nothing was sent by any of them.
  auto r = ch.try_recv();
  EXPECT_FALSE(r.has_value());
  EXPECT_TRUE(r.closed());
}

// "An rvalue v is moved from only on success": not on a full buffer, not on
// a closed channel.
TEST(Close, FailedTrySendDoesNotConsumeAMoveOnlyValue) {
  auto ch = make_chan<std::unique_ptr<int>>(1);
  auto p = std::make_unique<int>(1);
  EXPECT_TRUE(ch.try_send(std::move(p)));
  EXPECT_FALSE(p);  // sent: moved from
  auto q = std::make_unique<int>(2);
  EXPECT_FALSE(ch.try_send(std::move(q)));  // full
  ASSERT_TRUE(q);
  EXPECT_EQ(*q, 2);
  ch.close();
  EXPECT_CHANNEL_ERROR(ch.try_send(std::move(q)), kSendOnClosed);
  ASSERT_TRUE(q);
  EXPECT_EQ(*q, 2);
  auto u = make_chan<std::unique_ptr<int>>();  // unbuffered, no receiver
  EXPECT_FALSE(u.try_send(std::move(q)));
  ASSERT_TRUE(q);
}

TEST(Close, ConcurrentClosesExactlyOneSucceeds) {
  for (int round = 0; round < 50; ++round) {
    auto ch = make_chan<int>(round % 2);
    std::atomic<int> ok{0}, closed_twice{0}, go{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t) {
      ts.emplace_back([&, ch] {
        while (go.load() == 0) {
        }
        try {
          ch.close();
          ok.fetch_add(1);
        } catch (const goro::channel_error& e) {
          if (std::string(e.what()) == kCloseOfClosed)
            closed_twice.fetch_add(1);
        }
      });
    }
    go.store(1);
    for (auto& t : ts) t.join();
    EXPECT_EQ(ok.load(), 1);
    EXPECT_EQ(closed_twice.load(), 3);
  }
}

// MM: close happens before a receive that returns empty because of it.
TEST(Close, CloseHappensBeforeTheEmptyReceive) {
  goro::runtime rt{goro::options{.procs = 2}};
  const int rounds = static_cast<int>(scaled(2000, 10));
  rt.block_on([rounds]() -> task<> {
    for (int r = 0; r < rounds; ++r) {
      auto ch = make_chan<int>(r % 2);
      auto data = std::make_unique<int>(0);
      auto h = goro::co_spawn(
          [](chan<int> ch, int* data) -> task<int> {
            auto v = co_await ch.recv();
            co_return v.has_value() ? -1 : *data;  // plain read after the close
          },
          ch, data.get());
      if (r % 3 == 0) co_await goro::yield();
      *data = r;  // plain write before the close
      ch.close();
      EXPECT_EQ(co_await h, r);
    }
  });
}

// A G blocked in send, woken by close, can catch the error and go on.
TEST(Close, BlockedSenderCatchesAndContinues) {
  goro::runtime rt{goro::options{.procs = 2}};
  int v = rt.block_on([]() -> task<int> {
    auto ch = make_chan<int>();
    auto after = make_chan<int>(1);
    goro::go(
        [](chan<int> ch, chan<int> after) -> task<> {
          int result = -1;
          try {
            co_await ch.send(1);
          } catch (const goro::channel_error& e) {
            result = std::string(e.what()) == kSendOnClosed ? 7 : -2;
          }
          co_await after.send(result);  // the G goes on after catching
        },
        ch, after);
    for (int i = 0; i < 10; ++i) co_await goro::yield();
    ch.close();
    co_return (co_await after.recv()).value_or(-3);
  });
  EXPECT_EQ(v, 7);
}

// ============================================================ nil channel

// Send and receive on nil block forever ("chan send (nil chan)"); the
// runtime's teardown destroys those Gs cleanly.
TEST(Nil, SendAndReceiveBlockForeverAndTeardownReclaimsThem) {
  counted::reset();
  std::atomic<int> started{0};
  std::atomic<int> resumed{0};
  {
    goro::runtime rt{goro::options{.procs = 2}};
    rt.go(
        [](std::atomic<int>* started, std::atomic<int>* resumed) -> task<> {
          counted local(1);
          chan<counted> nil;
          started->fetch_add(1);
          co_await nil.send(counted(2));
          resumed->fetch_add(1);
        },
        &started, &resumed);
    rt.go(
        [](std::atomic<int>* started, std::atomic<int>* resumed) -> task<> {
          counted local(3);
          chan<counted> nil;
          started->fetch_add(1);
          (void)co_await nil.recv();
          resumed->fetch_add(1);
        },
        &started, &resumed);
    rt.go(
        [](std::atomic<int>* started, std::atomic<int>* resumed) -> task<> {
          chan<int> nil;
          started->fetch_add(1);
          co_await nil.send(1);  // bare ints too
          resumed->fetch_add(1);
        },
        &started, &resumed);
    wait_until([&] { return started.load() == 3; });
    std::this_thread::sleep_for(
        std::chrono::milliseconds(10));  // parked by now
    const std::int64_t live = counted::live.load();
    std::this_thread::sleep_for(kStillBlocked);
    EXPECT_EQ(resumed.load(), 0);
    // Two locals and the value held by the nil send (and, depending on the
    // ABI, the send's by-value parameter, alive to the end of the co_await
    // expression); none destroyed while the Gs wait.
    EXPECT_GE(counted::live.load(), 3);
    EXPECT_EQ(counted::live.load(), live);
    // The runtime still works meanwhile.
    EXPECT_EQ(rt.block_on([]() -> task<int> { co_return 5; }), 5);
  }
  EXPECT_EQ(resumed.load(), 0);
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), counted::constructed.load());
}

// ============================================================ len / cap

TEST(LenCap, UnbufferedLenIsZeroEvenWithBlockedSenders) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    auto ch = make_chan<int>();
    std::atomic<int> parked{0};
    std::vector<goro::join_handle<bool>> ss;
    for (int i = 0; i < 5; ++i)
      ss.push_back(goro::co_spawn(send_once, ch, i, &parked));
    co_await until_parked(&parked, 5);
    EXPECT_EQ(ch.len(), 0u);
    EXPECT_EQ(ch.cap(), 0u);
    for (int i = 0; i < 5; ++i) (void)co_await ch.recv();
    for (auto& s : ss) EXPECT_TRUE(co_await s);
    EXPECT_EQ(ch.len(), 0u);
  });
}

TEST(LenCap, BufferedLenCountsBufferedValuesOnly) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    auto ch = make_chan<int>(4);
    EXPECT_EQ(ch.len(), 0u);
    co_await ch.send(1);
    co_await ch.send(2);
    EXPECT_EQ(ch.len(), 2u);
    (void)co_await ch.recv();
    EXPECT_EQ(ch.len(), 1u);
    co_await ch.send(3);
    co_await ch.send(4);
    co_await ch.send(5);
    EXPECT_EQ(ch.len(), 4u);
    // Blocked senders beyond the buffer do not count.
    std::atomic<int> parked{0};
    auto s1 = goro::co_spawn(send_once, ch, 6, &parked);
    auto s2 = goro::co_spawn(send_once, ch, 7, &parked);
    co_await until_parked(&parked, 2);
    EXPECT_EQ(ch.len(), 4u);
    EXPECT_EQ(ch.cap(), 4u);
    ch.close();  // the blocked senders fail; the buffer stays
    EXPECT_FALSE(co_await s1);
    EXPECT_FALSE(co_await s2);
    EXPECT_EQ(ch.len(), 4u);
    for (int want = 2; want <= 5; ++want) {
      EXPECT_EQ(co_await ch.recv(), std::optional<int>(want));
    }
    EXPECT_EQ(ch.len(), 0u);
    EXPECT_EQ(ch.cap(), 4u);
  });
}

// ============================================================ element types

struct no_default {
  explicit no_default(int v) noexcept : v(v) {}
  no_default() = delete;
  no_default(no_default&&) noexcept = default;
  no_default(const no_default&) = default;
  no_default& operator=(no_default&&) noexcept = default;
  no_default& operator=(const no_default&) = default;
  int v;
};
static_assert(!std::is_default_constructible_v<no_default>);

struct alignas(64) over_aligned {
  long v = 0;
  char pad[40] = {};
};

struct alignas(256) very_aligned {
  int v = 0;
};

TEST(Types, MoveOnlyUniquePtr) {
  goro::runtime rt{goro::options{.procs = 2}};
  int sum = rt.block_on([]() -> task<int> {
    int s = 0;
    for (int cap : {0, 1, 3}) {
      auto ch = make_chan<std::unique_ptr<int>>(cap);
      goro::go(
          [](chan<std::unique_ptr<int>> ch) -> task<> {
            for (int i = 1; i <= 10; ++i) {
              auto p = std::make_unique<int>(i);
              co_await ch.send(std::move(p));
            }
            ch.close();
          },
          ch);
      while (std::optional<std::unique_ptr<int>> p = co_await ch.recv()) {
        EXPECT_TRUE(*p);
        s += **p;
      }
    }
    // try_send / try_recv with a move-only type.
    auto b = make_chan<std::unique_ptr<int>>(1);
    EXPECT_TRUE(b.try_send(std::make_unique<int>(5)));
    auto r = b.try_recv();
    EXPECT_TRUE(r.has_value() && *r && **r == 5);
    co_return s;
  });
  EXPECT_EQ(sum, 3 * 55);
}

TEST(Types, NonDefaultConstructible) {
  goro::runtime rt{goro::options{.procs = 2}};
  int sum = rt.block_on([]() -> task<int> {
    int s = 0;
    for (int cap : {0, 2}) {
      auto ch = make_chan<no_default>(cap);
      goro::go(
          [](chan<no_default> ch) -> task<> {
            for (int i = 1; i <= 10; ++i) co_await ch.send(no_default(i));
            ch.close();
          },
          ch);
      while (auto v = co_await ch.recv()) s += v->v;
    }
    auto b = make_chan<no_default>(2);
    no_default lv(100);
    EXPECT_TRUE(b.try_send(lv));  // the copying overload
    EXPECT_TRUE(b.try_send(no_default(200)));
    s += b.try_recv()->v;
    s += b.try_recv()->v;
    co_return s;
  });
  EXPECT_EQ(sum, 2 * 55 + 300);
}

TEST(Types, StringsLargeAndOverAlignedValues) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> task<> {
    auto strs = make_chan<std::string>(3);
    auto big = make_chan<std::array<int, 512>>(2);
    auto aligned = make_chan<over_aligned>(5);
    goro::go(
        [](chan<std::string> strs, chan<std::array<int, 512>> big,
           chan<over_aligned> aligned) -> task<> {
          for (int i = 0; i < 20; ++i) {
            co_await strs.send(
                std::string(100 + i, static_cast<char>('a' + i)));
            std::array<int, 512> a;
            a.fill(i);
            co_await big.send(a);
            over_aligned o;
            o.v = i;
            co_await aligned.send(o);
          }
        },
        strs, big, aligned);
    for (int i = 0; i < 20; ++i) {
      EXPECT_EQ(co_await strs.recv(),
                std::optional<std::string>(
                    std::string(100 + i, static_cast<char>('a' + i))));
      auto a = co_await big.recv();
      EXPECT_TRUE(a.has_value() && (*a)[0] == i && (*a)[511] == i);
      auto o = co_await aligned.recv();
      EXPECT_TRUE(o.has_value() && o->v == i);
    }
  });
}

// Values aligned to 128 bytes (the most goro supports: a pair of cache
// lines) in coroutine frames: the value a sender keeps across its
// co_await, the awaiters' own copies (send, recv, select cases) and the
// received optionals all live in G frames, aligned only as the frames are.
// UBSan also checks every access the channel makes through them.
struct alignas(128) line_pair {
  long v = 0;
  char pad[100] = {};
};

TEST(Types, OverAlignedValuesInCoroutineFrames) {
  using goro_test::is_aligned;
  static_assert(alignof(line_pair) == 128);
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> task<> {
    for (int cap : {0, 3}) {
      auto ch = make_chan<line_pair>(cap);
      auto back = make_chan<line_pair>(cap);
      goro::go(
          [](chan<line_pair> ch, chan<line_pair> back) -> task<> {
            for (int i = 0; i < 20; ++i) {
              line_pair o;  // lives in the frame across the co_awaits
              o.v = i;
              EXPECT_TRUE(is_aligned(o));
              co_await ch.send(o);
              EXPECT_TRUE(is_aligned(o));
              auto r = co_await goro::select(back.recv_case(), ch.send_case(o));
              EXPECT_TRUE(is_aligned(o));
              if (r.index() == 0) {
                auto& got = r.value<0>();
                EXPECT_TRUE(got.has_value() && is_aligned(*got));
              }
            }
            ch.close();
          },
          ch, back);
      int received = 0;
      while (std::optional<line_pair> o = co_await ch.recv()) {
        EXPECT_TRUE(is_aligned(*o));
        ++received;
        line_pair echo = *o;
        EXPECT_TRUE(is_aligned(echo));
        // Either the sender's select takes this (recv case) or sends again.
        auto r =
            co_await goro::select(back.send_case(echo), goro::default_case());
        (void)r;
      }
      EXPECT_GE(received, 20);
    }
  });
}

// Buffer slots of a type aligned beyond the channel header's alignment
// (UBSan checks every access to them; plain code, not a coroutine, so that
// the test's own locals are aligned whatever the compiler does with frames).
TEST(Types, BufferSlotsOfAVeryAlignedType) {
  auto very = make_chan<very_aligned>(3);
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 3; ++i) {
      very_aligned va;
      va.v = round * 10 + i;
      EXPECT_TRUE(very.try_send(va));
    }
    for (int i = 0; i < 3; ++i) {
      auto got = very.try_recv();
      ASSERT_TRUE(got.has_value());
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(&*got) % alignof(very_aligned),
                0u);
      EXPECT_EQ(got->v, round * 10 + i);
    }
  }
}

// ============================================================ lifetimes

// Every value sent is destroyed exactly once, whichever path it took:
// buffer, direct hand-off to a waiting receiver, or from a waiting sender.
TEST(Lifetime, EveryValueDestroyedExactlyOnce) {
  counted::reset();
  {
    goro::runtime rt{goro::options{.procs = 2}};
    long sum = rt.block_on([]() -> task<long> {
      long s = 0;
      for (int cap : {0, 1, 4}) {
        auto ch = make_chan<counted>(cap);
        goro::go(
            [](chan<counted> ch) -> task<> {
              for (int i = 0; i < 200; ++i) {
                if (i % 3 == 0) co_await goro::yield();
                co_await ch.send(counted(i));
              }
              ch.close();
            },
            ch);
        while (auto v = co_await ch.recv()) {
          s += v->value;
          if (v->value % 5 == 0) co_await goro::yield();
        }
      }
      co_return s;
    });
    EXPECT_EQ(sum, 3L * 199 * 200 / 2);
  }
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), counted::constructed.load());
}

// Values still in the buffer when the last handle goes are destroyed with
// the channel, also when the ring has wrapped around.
TEST(Lifetime, BufferedValuesDestroyedWithTheLastHandle) {
  counted::reset();
  {
    auto ch = make_chan<counted>(4);
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(ch.try_send(counted(i)));
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(ch.try_recv().has_value());
    for (int i = 4; i < 7; ++i) ASSERT_TRUE(ch.try_send(counted(i)));  // wraps
    EXPECT_EQ(ch.len(), 4u);
    EXPECT_EQ(counted::live.load(), 4);
    auto other = ch;
    ch.close();  // closing does not destroy them
    EXPECT_EQ(counted::live.load(), 4);
  }
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), counted::constructed.load());
}

// The runtime is destroyed while Gs wait in send and recv on channels that
// outlive it. Each G's value is destroyed exactly once, and the channels
// keep no record of the destroyed Gs: afterwards they behave as if those Gs
// had never been there (ASan would report a use of a freed frame).
TEST(Lifetime, RuntimeTornDownWhileGsWait) {
  counted::reset();
  auto unbuffered = make_chan<counted>();
  auto full = make_chan<counted>(2);
  auto empty = make_chan<counted>(2);
  auto unbuffered_r = make_chan<counted>();
  std::atomic<int> started{0};
  {
    goro::runtime rt{goro::options{.procs = 2}};
    ASSERT_TRUE(full.try_send(counted(100)));
    ASSERT_TRUE(full.try_send(counted(101)));
    for (int i = 0; i < 3; ++i) {
      auto sender = [](chan<counted> ch, int v,
                       std::atomic<int>* started) -> task<> {
        started->fetch_add(1);
        co_await ch.send(counted(v));
        ADD_FAILURE() << "send completed";
      };
      auto receiver = [](chan<counted> ch,
                         std::atomic<int>* started) -> task<> {
        started->fetch_add(1);
        auto v = co_await ch.recv();
        ADD_FAILURE() << "receive completed";
      };
      rt.go(sender, unbuffered, i, &started);
      rt.go(sender, full, 10 + i, &started);
      rt.go(receiver, empty, &started);
      rt.go(receiver, unbuffered_r, &started);
    }
    wait_until([&] { return started.load() == 12; });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    // The buffer, and at least one value per blocked sender.
    EXPECT_GE(counted::live.load(), 2 + 6);
  }
  EXPECT_EQ(counted::live.load(), 2);  // only the buffered ones remain
  // No stale waiters: no sender to take from, no receiver to hand to.
  EXPECT_FALSE(unbuffered.try_recv().has_value());
  EXPECT_FALSE(unbuffered_r.try_send(counted(1)));
  EXPECT_TRUE(empty.try_send(counted(2)));
  EXPECT_EQ(empty.len(), 1u);  // buffered, not handed to a dead receiver
  EXPECT_EQ(full.try_recv()->value, 100);
  EXPECT_EQ(full.try_recv()->value, 101);
  EXPECT_FALSE(full.try_recv().has_value());
  // Closing wakes nobody (nobody is left).
  unbuffered.close();
  full.close();
  empty.close();
  unbuffered_r.close();
  EXPECT_EQ(counted::live.load(), 1);  // the value buffered in `empty`
  empty = chan<counted>();
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), counted::constructed.load());
}

// Channels whose only handles are in the frames of blocked Gs are freed
// with them, buffered values included.
TEST(Lifetime, ChannelOwnedOnlyByBlockedGsIsFreedAtTeardown) {
  counted::reset();
  std::atomic<int> started{0};
  {
    goro::runtime rt{goro::options{.procs = 2}};
    rt.block_on(
        [](std::atomic<int>* started) -> task<> {
          auto ch = make_chan<counted>(2);
          co_await ch.send(counted(1));
          co_await ch.send(counted(2));
          for (int i = 0; i < 3; ++i) {
            goro::go(
                [](chan<counted> ch, std::atomic<int>* started) -> task<> {
                  started->fetch_add(1);
                  co_await ch.send(counted(3));
                },
                ch, started);
          }
          co_return;  // ch dropped here: only the three senders hold it
        },
        &started);
    wait_until([&] { return started.load() == 3; });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_GE(counted::live.load(), 5);  // 2 buffered, 3 being sent
  }
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), counted::constructed.load());
}

TEST(Lifetime, ValueOfAFailedSendIsDestroyed) {
  counted::reset();
  {
    goro::runtime rt{goro::options{.procs = 1}};
    rt.block_on([]() -> task<> {
      auto ch = make_chan<counted>(1);
      ch.close();
      EXPECT_CHANNEL_ERROR(co_await ch.send(counted(1)), kSendOnClosed);
      EXPECT_CHANNEL_ERROR(ch.try_send(counted(2)), kSendOnClosed);
      counted lv(3);
      EXPECT_CHANNEL_ERROR(ch.try_send(lv), kSendOnClosed);
      EXPECT_EQ(lv.value, 3);
      // Blocked, then closed on.
      auto u = make_chan<counted>();
      std::atomic<int> parked{0};
      auto h = goro::co_spawn(
          [](chan<counted> u, std::atomic<int>* parked) -> task<bool> {
            parked->fetch_add(1);
            try {
              co_await u.send(counted(4));
            } catch (const goro::channel_error&) {
              co_return true;
            }
            co_return false;
          },
          u, &parked);
      co_await until_parked(&parked, 1);
      u.close();
      EXPECT_TRUE(co_await h);
    });
  }
  EXPECT_EQ(counted::live.load(), 0);
  EXPECT_EQ(counted::destroyed.load(), counted::constructed.load());
}

// ============================================================ misuse

TEST(Misuse, AwaitingASendOrReceiveTwiceThrowsLogicError) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    auto ch = make_chan<int>(4);
    auto s = ch.send(1);
    co_await s;
    EXPECT_MISUSE_ERROR(co_await s);
    EXPECT_EQ(ch.len(), 1u);  // the second await sent nothing
    auto r = ch.recv();
    EXPECT_EQ(co_await r, std::optional<int>(1));
    EXPECT_TRUE(ch.try_send(2));
    EXPECT_MISUSE_ERROR((void)co_await r);
    EXPECT_EQ(ch.len(), 1u);  // the second await received nothing

    // Also after the first await had to wait.
    auto u = make_chan<int>();
    goro::go(
        [](chan<int> u) -> task<> {
          for (int i = 0; i < 3; ++i) co_await goro::yield();
          (void)co_await u.recv();
          co_await u.send(8);
        },
        u);
    auto s2 = u.send(7);
    co_await s2;  // waits for the receiver
    EXPECT_MISUSE_ERROR(co_await s2);
    auto r2 = u.recv();
    EXPECT_EQ(co_await r2, std::optional<int>(8));  // waits for the sender
    EXPECT_MISUSE_ERROR((void)co_await r2);
  });
}

TEST(Misuse, BlockingFormsFromInsideAGThrowLogicError) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> task<> {
    auto ch = make_chan<int>(1);
    EXPECT_MISUSE_ERROR(ch.send_blocking(1));
    EXPECT_EQ(ch.len(), 0u);  // nothing sent
    EXPECT_TRUE(ch.try_send(2));
    EXPECT_MISUSE_ERROR((void)ch.recv_blocking());
    EXPECT_EQ(ch.len(), 1u);  // nothing received
    // Even where they would not have to wait, and on nil.
    EXPECT_MISUSE_ERROR((void)chan<int>().recv_blocking());
    EXPECT_MISUSE_ERROR(chan<int>().send_blocking(1));
    co_return;
  });
}

// An eager coroutine that is not a goro::task, driving goro::tasks on a
// plain thread: channel operations that would have to wait throw, and leave
// the channel unlocked and unchanged.

task<int> recv_outside_g(chan<int> ch) {
  try {
    (void)co_await ch.recv();
  } catch (const goro::channel_error&) {
    co_return 100;
  } catch (const std::logic_error&) {
    co_return 1;
  }
  co_return 0;
}

task<int> send_outside_g(chan<int> ch) {
  try {
    co_await ch.send(5);
  } catch (const goro::channel_error&) {
    co_return 100;
  } catch (const std::logic_error&) {
    co_return 10;
  }
  co_return 0;
}

TEST(Misuse, AwaitingFromATaskThatIsNotAGThrowsLogicError) {
  auto empty = make_chan<int>(1);
  auto full = make_chan<int>(1);
  ASSERT_TRUE(full.try_send(1));
  eager e = [](chan<int> empty, chan<int> full) -> eager {
    int a = co_await recv_outside_g(empty);
    int b = co_await send_outside_g(full);
    co_return a + b;
  }(empty, full);
  ASSERT_TRUE(e.h.done());
  EXPECT_EQ(e.h.promise().value, 11);
  // Both channels are unlocked and unchanged.
  EXPECT_EQ(empty.len(), 0u);
  EXPECT_TRUE(empty.try_send(3));
  EXPECT_EQ(full.len(), 1u);
  EXPECT_EQ(full.try_recv(), std::optional<int>(1));
}

// ============================================================ plain threads

TEST(Threads, ThreadSendsGReceives) {
  goro::runtime rt{goro::options{.procs = 2}};
  for (int cap : {0, 1, 8}) {
    auto ch = make_chan<int>(cap);
    std::thread producer([ch] {
      for (int i = 0; i < 500; ++i) ch.send_blocking(i);
      ch.close();
    });
    bool in_order = rt.block_on(
        [](chan<int> ch) -> task<bool> {
          int want = 0;
          bool ok = true;
          while (auto v = co_await ch.recv()) ok = ok && *v == want++;
          co_return ok&& want == 500;
        },
        ch);
    producer.join();
    EXPECT_TRUE(in_order) << "cap " << cap;
  }
}

TEST(Threads, GSendsThreadReceives) {
  goro::runtime rt{goro::options{.procs = 2}};
  for (int cap : {0, 1, 8}) {
    auto ch = make_chan<int>(cap);
    rt.go(
        [](chan<int> ch) -> task<> {
          for (int i = 0; i < 500; ++i) co_await ch.send(i);
          ch.close();
        },
        ch);
    int want = 0;
    while (auto v = ch.recv_blocking()) EXPECT_EQ(*v, want++);
    EXPECT_EQ(want, 500) << "cap " << cap;
  }
}

TEST(Threads, ThreadsWithoutAnyRuntime) {
  for (int cap : {0, 2}) {
    auto ping = make_chan<int>(cap);
    auto pong = make_chan<int>(cap);
    std::thread echo([ping, pong] {
      while (auto v = ping.recv_blocking()) pong.send_blocking(*v + 1);
      pong.close();
    });
    int x = 0;
    for (int i = 0; i < 1000; ++i) {
      ping.send_blocking(x);
      x = pong.recv_blocking().value_or(-1000000);
    }
    ping.close();
    EXPECT_FALSE(pong.recv_blocking().has_value());
    echo.join();
    EXPECT_EQ(x, 1000);
  }
}

TEST(Threads, UnbufferedSendBlockingWaitsForTheReceiver) {
  std::atomic<int> stage{0};
  goro::runtime rt{goro::options{.procs = 2}};
  auto ch = make_chan<int>();
  std::thread sender([ch, &stage] {
    stage.store(1);
    ch.send_blocking(11);
    stage.store(2);
  });
  wait_until([&] { return stage.load() == 1; });
  std::this_thread::sleep_for(kStillBlocked);
  EXPECT_EQ(stage.load(), 1);
  int v = rt.block_on(
      [](chan<int> ch) -> task<int> {
        co_return (co_await ch.recv()).value_or(-1);
      },
      ch);
  EXPECT_EQ(v, 11);
  sender.join();
  EXPECT_EQ(stage.load(), 2);
}

TEST(Threads, CloseWakesBlockedThreads) {
  auto rch = make_chan<int>();
  auto sch = make_chan<int>(1);
  ASSERT_TRUE(sch.try_send(0));
  std::atomic<int> started{0};
  std::atomic<int> receivers_empty{0};
  std::atomic<int> senders_failed{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 3; ++i) {
    ts.emplace_back([&, rch] {
      started.fetch_add(1);
      if (!rch.recv_blocking().has_value()) receivers_empty.fetch_add(1);
    });
    ts.emplace_back([&, sch, i] {
      started.fetch_add(1);
      try {
        sch.send_blocking(i + 1);
      } catch (const goro::channel_error& e) {
        if (std::string(e.what()) == kSendOnClosed) senders_failed.fetch_add(1);
      }
    });
  }
  wait_until([&] { return started.load() == 6; });
  std::this_thread::sleep_for(kStillBlocked);
  EXPECT_EQ(receivers_empty.load() + senders_failed.load(), 0);
  // A G closes them: the plain threads are woken from inside the runtime.
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on(
      [](chan<int> rch, chan<int> sch) -> task<> {
        rch.close();
        sch.close();
        co_return;
      },
      rch, sch);
  for (auto& t : ts) t.join();
  EXPECT_EQ(receivers_empty.load(), 3);
  EXPECT_EQ(senders_failed.load(), 3);
  EXPECT_EQ(sch.try_recv(), std::optional<int>(0));
}

// A G blocked in recv is woken by a plain thread's send, and vice versa,
// with handoff in both directions on one channel.
TEST(Threads, ThreadsAndGsShareOneChannelBothWays) {
  goro::runtime rt{goro::options{.procs = 2}};
  constexpr int kN = 2000;
  for (int cap : {0, 3}) {
    auto to_g = make_chan<int>(cap);
    auto from_g = make_chan<int>(cap);
    rt.go(
        [](chan<int> in, chan<int> out) -> task<> {
          while (auto v = co_await in.recv()) co_await out.send(*v * 2);
          out.close();
        },
        to_g, from_g);
    std::thread feeder([to_g] {
      for (int i = 0; i < kN; ++i) to_g.send_blocking(i);
      to_g.close();
    });
    long sum = 0;
    int n = 0;
    while (auto v = from_g.recv_blocking()) {
      sum += *v;
      ++n;
    }
    feeder.join();
    EXPECT_EQ(n, kN);
    EXPECT_EQ(sum, 2L * (kN - 1) * kN / 2);
  }
}

// runtime/chan_test.go TestMultiConsumer: workers range over a queue,
// results go to another channel closed once every worker is done.
TEST(Chan, GoTestMultiConsumer) {
  goro::runtime rt{goro::options{.procs = 4}};
  const int niter = static_cast<int>(scaled(27'183, 10));
  rt.block_on([niter]() -> task<> {
    constexpr int kWork = 23;
    static constexpr int pn[] = {2, 3, 7, 11, 13, 17, 19, 23, 27, 31};
    auto q = make_chan<int>(kWork * 3);
    auto r = make_chan<int>(kWork * 3);
    std::vector<goro::join_handle<void>> workers;
    for (int w = 0; w < kWork; ++w) {
      workers.push_back(goro::co_spawn(
          [](int w, chan<int> q, chan<int> r) -> task<> {
            while (auto v = co_await q.recv()) {
              if (pn[w % 10] == *v) co_await goro::yield();
              co_await r.send(*v);
            }
          },
          w, q, r));
    }
    auto expect = goro::co_spawn(
        [](int niter, chan<int> q, chan<int> r,
           std::vector<goro::join_handle<void>> workers) -> task<long> {
          long e = 0;
          for (int i = 0; i < niter; ++i) {
            int v = pn[i % 10];
            e += v;
            co_await q.send(v);
          }
          q.close();
          for (auto& w : workers) co_await w;
          r.close();
          co_return e;
        },
        niter, q, r, std::move(workers));
    int n = 0;
    long s = 0;
    while (auto v = co_await r.recv()) {
      ++n;
      s += *v;
    }
    EXPECT_EQ(n, niter);
    EXPECT_EQ(s, co_await expect);
  });
}

}  // namespace
