// Stackful Gs (fibers): deep recursion that waits, fibers and stackless Gs
// sharing channels, locks and wait groups at several procs, 10,000 live
// fibers, exceptions and joins, per-fiber thread state, the stack pool,
// overflow, teardown, misuse.
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cfenv>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "goro/fiber/internal/fiber_stack.h"
#include "goro/goro.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace {

using namespace std::chrono_literals;
using goro_test::counted;
using goro_test::scaled;

const int kProcs[] = {1, 2, 4, 8};

// --- deep recursion ----------------------------------------------------------

// Plain recursion: every level is an ordinary call; the bottom one waits.
[[gnu::noinline]] int descend(int n, const goro::chan<int>& ch) {
  if (n == 0) {
    std::optional<int> v = ch.recv_blocking();  // suspends the fiber
    return v.value_or(-1000000);
  }
  int below = descend(n - 1, ch);
  return below + 1;  // not a tail call
}

// ThreadSanitizer keeps a shadow call stack per thread of execution (per
// fiber too) that overflows, inside TSan itself, past about 64k frames.
const int kDeep = goro_test::kTsan ? 50000 : 100000;

TEST(Fiber, RecursionHundredThousandDeepThenBlocksOnAChannel) {
  for (int procs : {1, 2}) {
    goro::runtime rt{goro::options{.procs = procs}};
    int got = rt.block_on([]() -> goro::task<int> {
      auto ch = goro::make_chan<int>();
      auto h = goro::co_spawn_stackful(descend, kDeep, ch);
      // With one P the fiber must have given the M back for this G to run:
      // it is blocked in recv at the bottom of its recursion.
      co_await goro::sleep_for(2ms);
      EXPECT_FALSE(h.done());
      co_await ch.send(7);
      co_return co_await h;
    });
    EXPECT_EQ(got, kDeep + 7) << "procs=" << procs;
  }
}

// The default stack holds a 10^5-level recursion written the way tests and
// legacy code write it, in an unoptimised build: a std::function calling
// itself with a std::string per level (~300 bytes a level at -O0).
TEST(Fiber, DefaultStackHoldsDeepUnoptimisedRecursion) {
  // Under TSan the five or so frames a level (std::function's call chain
  // at -O0) would overflow TSan's own shadow call stack (see kDeep): fewer
  // levels there.
  const int levels = goro_test::kTsan ? 5000 : 100000;
  goro::runtime rt{goro::options{.procs = 2}};
  auto ch = goro::make_chan<int>();
  std::size_t total = rt.block_on([&]() -> goro::task<std::size_t> {
    auto h = goro::co_spawn_stackful([ch, levels] {
      std::function<std::size_t(int)> rec = [&](int n) -> std::size_t {
        std::string s = "level";
        if (n == 0)
          return s.size() + static_cast<std::size_t>(*ch.recv_blocking());
        return rec(n - 1) + 1;
      };
      return rec(levels);
    });
    co_await ch.send(1);
    co_return co_await h;
  });
  EXPECT_EQ(total, static_cast<std::size_t>(levels) + 6);
}

// The same recursion as nested tasks would need a co_await at every level;
// a fiber runs a deep chain of ordinary calls and awaits only at the
// bottom, with goro::await.
[[gnu::noinline]] std::uint64_t sum_down(int n) {
  if (n == 0) {
    goro::await(goro::yield());
    return 0;
  }
  return sum_down(n - 1) + static_cast<std::uint64_t>(n);
}

TEST(Fiber, AwaitAtTheBottomOfDeepRecursion) {
  goro::runtime rt{goro::options{.procs = 2}};
  auto v = rt.block_on(goro::stackful(sum_down, 20000));
  EXPECT_EQ(v, std::uint64_t{20000} * 20001 / 2);
}

// --- fibers and stackless Gs together
// -----------------------------------------

// Fibers and tasks pass tokens around a ring of channels, bump a counter
// under one goro::mutex, and report to one wait_group.
TEST(Fiber, ExchangeWithStacklessGsOverChannelsMutexesWaitGroups) {
  for (int procs : kProcs) {
    goro::runtime rt{goro::options{.procs = procs}};
    const int kPairs = 8;
    const int kRounds = static_cast<int>(scaled(2000, 10, 50));
    struct shared {
      goro::mutex mu;
      std::int64_t counter = 0;  // guarded by mu
      goro::wait_group wg;
    } s;
    std::int64_t total = rt.block_on([&]() -> goro::task<std::int64_t> {
      s.wg.add(2 * kPairs);
      for (int i = 0; i < kPairs; ++i) {
        auto to_fiber = goro::make_chan<int>();
        auto to_task = goro::make_chan<int>(i % 2);  // unbuffered and buffered
        goro::go_stackful([&s, to_fiber, to_task, kRounds] {
          for (int r = 0; r < kRounds; ++r) {
            int v = *to_fiber.recv_blocking();
            s.mu.lock_blocking();  // suspends the fiber, not the M
            ++s.counter;
            s.mu.unlock();
            to_task.send_blocking(v + 1);
          }
          s.wg.done();
        });
        goro::go(
            [](shared* s, goro::chan<int> to_fiber, goro::chan<int> to_task,
               int rounds) -> goro::task<> {
              int v = 0;
              for (int r = 0; r < rounds; ++r) {
                co_await to_fiber.send(v);
                v = *co_await to_task.recv();
                auto guard = co_await s->mu.scoped_lock();
                ++s->counter;
              }
              EXPECT_EQ(v, rounds);
              s->wg.done();
            },
            &s, to_fiber, to_task, kRounds);
      }
      // A fiber waits for them all, the blocking way.
      auto waiter = goro::co_spawn_stackful([&s] {
        s.wg.wait_blocking();
        s.mu.lock_blocking();
        std::int64_t c = s.counter;
        s.mu.unlock();
        return c;
      });
      co_return co_await waiter;
    });
    EXPECT_EQ(total, 2 * kPairs * kRounds) << "procs=" << procs;
  }
}

// Many fibers and tasks hammer one mutex and one rwmutex and a semaphore,
// through goro::await and the blocking forms.
TEST(Fiber, LocksShareAcrossFibersAndTasksUnderStress) {
  for (int procs : kProcs) {
    goro::runtime rt{goro::options{.procs = procs}};
    const int kEach = 16;
    const int kIters = static_cast<int>(scaled(500, 10, 20));
    goro::mutex mu;
    goro::rwmutex rw;
    goro::semaphore sem(2);
    std::int64_t plain = 0;       // guarded by mu
    std::int64_t rw_guarded = 0;  // guarded by rw
    std::atomic<int> in_sem{0};
    std::atomic<bool> sem_exceeded{false};
    rt.block_on([&]() -> goro::task<> {
      goro::wait_group wg;
      wg.add(2 * kEach);
      for (int i = 0; i < kEach; ++i) {
        goro::go_stackful([&, i] {
          for (int k = 0; k < kIters; ++k) {
            if (k % 2 == 0) {
              goro::await(mu.lock());
            } else {
              mu.lock_blocking();
            }
            ++plain;
            mu.unlock();
            if (k % 5 == 0) {
              rw.lock_blocking();
              ++rw_guarded;
              rw.unlock();
            } else {
              rw.lock_shared_blocking();
              EXPECT_GE(rw_guarded, 0);
              rw.unlock_shared();
            }
            sem.acquire_blocking(1);
            if (in_sem.fetch_add(1) + 1 > 2) sem_exceeded = true;
            if (i % 3 == 0) goro::await(goro::yield());
            in_sem.fetch_sub(1);
            sem.release(1);
          }
          wg.done();
        });
        goro::go([&]() -> goro::task<> {
          for (int k = 0; k < kIters; ++k) {
            co_await mu.lock();
            ++plain;
            mu.unlock();
            if (k % 5 == 0) {
              co_await rw.lock();
              ++rw_guarded;
              rw.unlock();
            }
            co_await sem.acquire(1);
            if (in_sem.fetch_add(1) + 1 > 2) sem_exceeded = true;
            in_sem.fetch_sub(1);
            sem.release(1);
          }
          wg.done();
        });
      }
      co_await wg.wait();
    });
    EXPECT_EQ(plain, 2 * kEach * kIters) << "procs=" << procs;
    EXPECT_EQ(rw_guarded, 2 * kEach * ((kIters + 4) / 5)) << "procs=" << procs;
    EXPECT_FALSE(sem_exceeded.load());
  }
}

TEST(Fiber, TenThousandConcurrentFibers) {
  for (int procs : {1, 4}) {
    goro::runtime rt{goro::options{.procs = procs}};
    // ThreadSanitizer gives every fiber a ThreadState with a 16 MiB trace;
    // 10,000 of them exhaust its internal allocator. Fewer there.
    const int kFibers = goro_test::kTsan ? 1000 : 10000;
    std::int64_t sum = rt.block_on([&]() -> goro::task<std::int64_t> {
      auto gate = goro::make_chan<int>();
      auto results = goro::make_chan<std::int64_t>(kFibers);
      std::atomic<int> started{0};
      for (int i = 0; i < kFibers; ++i) {
        goro::go_stackful(
            [gate, results, &started](int i) {
              started.fetch_add(1, std::memory_order_relaxed);
              std::optional<int> v =
                  gate.recv_blocking();     // all 10,000 wait here
              EXPECT_FALSE(v.has_value());  // closed
              results.send_blocking(i);
            },
            i);
      }
      while (started.load() < kFibers) co_await goro::sleep_for(1ms);
      // Every fiber is parked now, each on its own stack.
      gate.close();
      std::int64_t sum = 0;
      for (int i = 0; i < kFibers; ++i) sum += *co_await results.recv();
      co_return sum;
    });
    EXPECT_EQ(sum, std::int64_t{kFibers} * (kFibers - 1) / 2)
        << "procs=" << procs;
  }
  // Finished fibers' stacks are pooled, within the pool's bound.
  EXPECT_LE(goro::internal::fiber_stack::pooled(),
            goro::internal::fiber_stack::kPoolMax);
}

// --- joins and exceptions
// -------------------------------------------------------

TEST(Fiber, ExceptionsPropagateToTheJoin) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> goro::task<> {
    auto h = goro::co_spawn_stackful([]() -> int {
      goro::await(goro::sleep_for(1ms));
      throw std::runtime_error("from the fiber");
    });
    EXPECT_THROW(
        {
          try {
            (void)co_await h;
          } catch (const std::runtime_error& e) {
            EXPECT_STREQ(e.what(), "from the fiber");
            throw;
          }
        },
        std::runtime_error);
    // Before any wait, and with a void result.
    auto h2 = goro::co_spawn_stackful([] { throw std::out_of_range("x"); });
    EXPECT_THROW(co_await h2, std::out_of_range);
  });
}

TEST(Fiber, AwaitedOperationsThrowIntoTheFiber) {
  goro::runtime rt{goro::options{.procs = 2}};
  std::string what = rt.block_on(goro::stackful([]() -> std::string {
    auto ch = goro::make_chan<int>(1);
    ch.close();
    try {
      ch.send_blocking(1);  // a send on a closed channel throws, in the fiber
    } catch (const goro::channel_error& e) {
      return e.what();
    }
    return "no exception";
  }));
  EXPECT_NE(what.find("send on closed channel"), std::string::npos) << what;
}

goro::task<int> add_later(int a, int b) {
  co_await goro::sleep_for(1ms);
  co_return a + b;
}

TEST(Fiber, AwaitsTasksJoinHandlesSelectsAndSleeps) {
  goro::runtime rt{goro::options{.procs = 2}};
  int v = rt.block_on(goro::stackful([]() -> int {
    int total = goro::await(add_later(1, 2));    // a task, run in this G
    auto h = goro::co_spawn(add_later, 10, 20);  // a G, joined from a fiber
    total += goro::await(h);
    auto fh = goro::co_spawn_stackful([] { return 100; });  // fiber joins fiber
    total += goro::await(std::move(fh));
    // A nested fiber, run inline in this G.
    total += goro::await(goro::stackful([] { return 1000; }));
    // select with a timeout.
    auto never = goro::make_chan<int>();
    auto ready = goro::make_chan<int>(1);
    ready.try_send(10000);
    auto r = goro::await(goro::select(never.recv_case(), ready.recv_case()));
    EXPECT_EQ(r.index(), 1u);
    total += r.value<1>().value_or(0);
    // ... and one that times out.
    auto r2 = goro::await(
        goro::select(never.recv_case(), goro::after(2ms).recv_case()));
    EXPECT_EQ(r2.index(), 1u);
    auto t0 = std::chrono::steady_clock::now();
    goro::await(goro::sleep_for(5ms));
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 5ms);
    goro::await(goro::yield());
    return total;
  }));
  EXPECT_EQ(v, 11133);
}

goro::task<int> plus_one(int x) { co_return x + 1; }

// A fiber that joins many Gs which its own P runs at once (the join takes
// them back from the fork deque): its driver resumes the fiber after each
// one, and neither the fiber's stack nor the M's grows with the count.
TEST(Fiber, JoinsManyChildGsOneAfterAnother) {
  for (int procs : {1, 2}) {
    goro::runtime rt{goro::options{.procs = procs}};
    const std::int64_t sum = rt.block_on(goro::stackful([]() -> std::int64_t {
      std::int64_t s = 0;
      for (int i = 0; i < 200000; ++i) {
        s += goro::await(goro::co_spawn(plus_one, i));
      }
      return s;
    }));
    EXPECT_EQ(sum, 200000LL * 199999 / 2 + 200000) << "procs " << procs;
  }
}

// Waits that end at once (a join of a G that already finished declines to
// suspend) and tasks awaited one after another: the driver goes on without
// a nested call each time, however the units involved were built
// (fiber_test_o2 builds this file to hop directly while the library does
// not).
TEST(Fiber, ManyWaitsThatEndAtOnceAndManyTasksInARow) {
  goro::runtime rt{goro::options{.procs = 1}};
  constexpr int kN = 200000;
  const std::int64_t sum = rt.block_on(goro::stackful([]() -> std::int64_t {
    std::vector<goro::join_handle<int>> hs;
    hs.reserve(kN);
    for (int i = 0; i < kN; ++i) hs.push_back(goro::co_spawn(plus_one, i));
    goro::await(goro::yield());  // every child runs and finishes
    std::int64_t s = 0;
    for (auto& h : hs) s += goro::await(h);
    for (int i = 0; i < kN; ++i) s -= goro::await(plus_one(i));
    return s;
  }));
  EXPECT_EQ(sum, 0);
}

TEST(Fiber, RefsAndValuesOfAwait) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on(goro::stackful([] {
    static int target = 5;
    int& r = goro::await([]() -> goro::task<int&> { co_return target; }());
    EXPECT_EQ(&r, &target);
    auto ch = goro::make_chan<std::unique_ptr<int>>(1);
    ch.send_blocking(std::make_unique<int>(9));
    std::optional<std::unique_ptr<int>> p = goro::await(ch.recv());
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(**p, 9);
  }));
}

[[gnu::noinline]] int descend_sum(int n) {
  if (n == 0) {
    goro::await(goro::sleep_for(1ms));
    return 0;
  }
  return descend_sum(n - 1) + n;
}

TEST(Fiber, StackfulTaskInsideAStacklessG) {
  goro::runtime rt{goro::options{.procs = 2}};
  int v = rt.block_on([]() -> goro::task<int> {
    // co_await stackful(...) runs the function on a fiber, in this G.
    int a = co_await goro::stackful([](int n) { return descend_sum(n); }, 1000);
    co_return a;
  });
  EXPECT_EQ(v, 1000 * 1001 / 2);
}

TEST(Fiber, ArgumentsAreKeptAliveAndPassedAsRvalues) {
  goro::runtime rt{goro::options{.procs = 2}};
  counted::reset();
  {
    int v = rt.block_on([]() -> goro::task<int> {
      auto h = goro::co_spawn_stackful(
          [c = counted(3)](std::unique_ptr<int> p, counted d) {
            goro::await(goro::yield());
            return c.value + *p + d.value;
          },
          std::make_unique<int>(4), counted(5));
      co_return co_await h;
    });
    EXPECT_EQ(v, 12);
  }
  EXPECT_EQ(counted::live.load(), 0);
}

TEST(Fiber, BlockOnAndGoFromAPlainThread) {
  goro::runtime rt{goro::options{.procs = 2}};
  EXPECT_EQ(rt.block_on(goro::stackful([] {
    goro::await(goro::sleep_for(1ms));
    return 42;
  })),
            42);
  std::atomic<bool> ran{false};
  rt.go(goro::stackful([&ran] { ran = true; }));
  goro_test::wait_until([&] { return ran.load(); });
}

TEST(Fiber, StackSizeOption) {
  goro::runtime rt{goro::options{.procs = 1}};
  // A small stack suffices for shallow work and is rounded up to pages.
  EXPECT_EQ(goro::internal::fiber_stack::round_size(1),
            goro::internal::fiber_stack::kMinSize);
  int v = rt.block_on(
      goro::stackful(goro::fiber_options{.stack_size = 32 << 10}, [] {
        goro::await(goro::yield());
        return 1;
      }));
  EXPECT_EQ(v, 1);
  // A large one is only reserved: a 1 GiB stack costs no memory up front.
  v = rt.block_on(goro::stackful(goro::fiber_options{.stack_size = 1 << 30},
                                 [] { return sum_down(kDeep) > 0 ? 2 : 0; }));
  EXPECT_EQ(v, 2);
}

// --- per-fiber thread state
// ----------------------------------------------------

// A fiber that waits inside a catch block, moves to another thread, and
// rethrows: the exception being handled belongs to the fiber, not the
// thread (the runtime swaps the C++ exception globals at every switch).
TEST(Fiber, CaughtExceptionsFollowTheFiberAcrossThreads) {
  goro::runtime rt{goro::options{.procs = 4}};
  std::atomic<int> rethrown_right{0};
  const int kFibers = 8;
  const int kIters = static_cast<int>(scaled(200, 10, 10));
  rt.block_on([&]() -> goro::task<> {
    goro::wait_group wg;
    wg.add(kFibers);
    for (int f = 0; f < kFibers; ++f) {
      goro::go_stackful([&, f] {
        for (int i = 0; i < kIters; ++i) {
          try {
            try {
              throw std::runtime_error(std::to_string(f * 100000 + i));
            } catch (...) {
              EXPECT_EQ(std::uncaught_exceptions(), 0);
              goro::await(goro::yield());  // may resume on another M
              throw;                       // must rethrow *this* exception
            }
          } catch (const std::runtime_error& e) {
            if (std::string(e.what()) == std::to_string(f * 100000 + i)) {
              rethrown_right.fetch_add(1);
            }
          }
        }
        wg.done();
      });
    }
    co_await wg.wait();
  });
  EXPECT_EQ(rethrown_right.load(), kFibers * kIters);
}

TEST(Fiber, MigratesBetweenThreadsAndSeesTheCurrentOne) {
  goro::runtime rt{goro::options{.procs = 4}};
  std::atomic<int> wrong{0};
  std::set<std::thread::id> seen;
  std::mutex seen_mu;
  rt.block_on([&]() -> goro::task<> {
    goro::wait_group wg;
    wg.add(16);
    for (int f = 0; f < 16; ++f) {
      goro::go_stackful([&] {
        const std::uint64_t id = goro::this_g::id();
        for (int i = 0; i < 200; ++i) {
          goro::await(goro::yield());
          if (goro::this_g::id() != id) wrong.fetch_add(1);
          if (goro::internal::fiber::current() == nullptr) wrong.fetch_add(1);
          std::lock_guard<std::mutex> lock(seen_mu);
          seen.insert(std::this_thread::get_id());
        }
        wg.done();
      });
    }
    co_await wg.wait();
  });
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GE(seen.size(), 1u);
}

// A fiber's reads of thread-locals through an opaque call see the thread
// it is running on now, after any number of migrations (the same rule as
// for tasks; goro's own accessors are opaque for this reason).
thread_local std::thread::id tl_thread_id = std::this_thread::get_id();
[[gnu::noinline]] std::thread::id thread_id_from_tls() { return tl_thread_id; }

TEST(Fiber, ThreadLocalsReadAfterAWaitAreTheCurrentThreads) {
  goro::runtime rt{goro::options{.procs = 4}};
  std::atomic<int> stale{0};
  rt.block_on([&]() -> goro::task<> {
    goro::wait_group wg;
    wg.add(8);
    for (int f = 0; f < 8; ++f) {
      goro::go_stackful([&] {
        for (int i = 0; i < 300; ++i) {
          goro::await(goro::yield());
          if (thread_id_from_tls() != std::this_thread::get_id()) {
            stale.fetch_add(1);
          }
        }
        wg.done();
      });
    }
    co_await wg.wait();
  });
  EXPECT_EQ(stale.load(), 0);
}

// An operation that can complete at once does not suspend the fiber (as
// co_await does not suspend a task): with one P, no other G runs meanwhile.
TEST(Fiber, ReadyOperationsDoNotSuspend) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> goro::task<> {
    std::atomic<bool> other_ran{false};
    goro::go([&other_ran]() -> goro::task<> {
      other_ran = true;
      co_return;
    });
    auto h = goro::co_spawn_stackful([&other_ran] {
      auto ch = goro::make_chan<int>(100);
      goro::mutex mu;
      for (int i = 0; i < 100; ++i) {
        goro::await(ch.send(i));  // room in the buffer
        goro::await(mu.lock());   // free
        mu.unlock();
      }
      int sum = 0;
      for (int i = 0; i < 100; ++i) sum += *goro::await(ch.recv());
      return other_ran.load() ? -1 : sum;
    });
    EXPECT_EQ(co_await h, 4950);
    // The other G writes other_ran, in this frame: outlive it.
    while (!other_ran.load()) co_await goro::yield();
  });
}

// Each context keeps its own floating-point control state.
TEST(Fiber, FloatingPointControlStateIsPerFiber) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> goro::task<> {
    auto ch = goro::make_chan<int>();
    auto h = goro::co_spawn_stackful([ch] {
      std::fesetround(FE_UPWARD);
      ch.send_blocking(1);  // the other G runs on this M meanwhile
      return std::fegetround();
    });
    co_await ch.recv();
    EXPECT_EQ(std::fegetround(), FE_TONEAREST);  // not the fiber's mode
    EXPECT_EQ(co_await h, FE_UPWARD);            // the fiber kept its own
  });
}

// --- the stack pool
// --------------------------------------------------------------

bool resident(const char* p) {
  unsigned char v = 0;
  const auto ps = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  auto* page =
      reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(p) & ~(ps - 1));
  EXPECT_EQ(mincore(page, 1, &v), 0);
  return (v & 1) != 0;
}

TEST(FiberStack, DeepPagesAreGivenBackWhenPooled) {
  using goro::internal::fiber_stack;
  fiber_stack s = fiber_stack::acquire(1 << 20);
  ASSERT_TRUE(s);
  char* deep = s.lo() + 4096;
  *deep = 1;
  s.top()[-1] = 1;
  EXPECT_TRUE(resident(deep));
  // The fiber was seen that deep: the pages below the hot top are dropped.
  fiber_stack::release(s, reinterpret_cast<std::uintptr_t>(deep));
  fiber_stack again = fiber_stack::acquire(1 << 20);
  EXPECT_EQ(again.base, s.base);  // from the pool
  EXPECT_FALSE(resident(deep));
  EXPECT_EQ(*deep, 0);  // reads as a fresh zero page
  fiber_stack::release(again, reinterpret_cast<std::uintptr_t>(again.top()));
}

// --- misuse
// ----------------------------------------------------------------------

TEST(FiberMisuse, AwaitOutsideAFiberThrows) {
  // A plain thread.
  try {
    goro::await(goro::yield());
    ADD_FAILURE() << "no exception";
  } catch (const std::logic_error& e) {
    EXPECT_NE(
        std::string(e.what()).find("goro::await() called outside a fiber"),
        std::string::npos);
  }
  // A stackless G.
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> goro::task<> {
    EXPECT_THROW(goro::await(goro::yield()), std::logic_error);
    auto ch = goro::make_chan<int>(1);
    // Blocking calls still refuse to block an M from a stackless G.
    EXPECT_THROW(ch.send_blocking(1), std::logic_error);
    goro::mutex mu;
    EXPECT_THROW(mu.lock_blocking(), std::logic_error);
    co_return;
  });
}

TEST(FiberMisuse, SpawningOutsideAGThrows) {
  EXPECT_THROW(goro::go_stackful([] {}), std::logic_error);
  EXPECT_THROW((void)goro::co_spawn_stackful([] { return 1; }),
               std::logic_error);
}

// --- teardown
// ------------------------------------------------------------------------

TEST(Fiber, TeardownUnwindsBlockedFibers) {
  counted::reset();
  std::atomic<int> unwound{0};
  std::atomic<int> started{0};
  {
    // Declared before the runtime: they must outlive its teardown, which
    // unwinds the fibers waiting on them.
    auto never = goro::make_chan<int>();
    goro::mutex mu;
    goro::runtime rt{goro::options{.procs = 2}};
    rt.block_on([&]() -> goro::task<> {
      co_await mu.lock();  // held forever: lockers wait
      for (int i = 0; i < 50; ++i) {
        goro::go_stackful(
            [never, &mu, &unwound, &started](int i) {
              counted c(i);
              struct on_unwind {
                std::atomic<int>* n;
                ~on_unwind() { n->fetch_add(1); }
              } u{&unwound};
              started.fetch_add(1);
              if (i % 2 == 0) {
                (void)never.recv_blocking();
              } else {
                mu.lock_blocking();
              }
              ADD_FAILURE() << "a blocked fiber resumed";
            },
            i);
      }
      while (started.load() < 50) co_await goro::sleep_for(1ms);
    });
  }  // the runtime unwinds all 50 fiber stacks
  EXPECT_EQ(unwound.load(), 50);
  EXPECT_EQ(counted::live.load(), 0);
}

// A fiber parked inside a destructor while an exception propagates (a
// legal wait) cannot be unwound a second time at teardown: it is abandoned,
// and teardown completes. (Abandoning leaks the propagating exception
// object, which LeakSanitizer would report: not run under ASan.)
TEST(Fiber, TeardownAbandonsAFiberWaitingInADestructorDuringUnwinding) {
#if defined(GORO_TEST_ASAN)
  GTEST_SKIP() << "abandoning leaks the in-flight exception, by design";
#endif
  std::atomic<int> parked{0};
  auto never = goro::make_chan<int>();
  {
    goro::runtime rt{goro::options{.procs = 2}};
    rt.block_on([&]() -> goro::task<> {
      goro::go_stackful([never, &parked] {
        struct waits_on_destruction {
          goro::chan<int> ch;
          std::atomic<int>* parked;
          ~waits_on_destruction() {
            parked->fetch_add(1);
            (void)ch.recv_blocking();  // parks during the unwinding below
          }
        };
        try {
          waits_on_destruction w{never, &parked};
          throw std::runtime_error("unwinding");
        } catch (const std::runtime_error&) {
        }
      });
      while (parked.load() < 1) co_await goro::sleep_for(1ms);
      co_await goro::sleep_for(2ms);
    });
  }  // must neither terminate nor hang
  EXPECT_EQ(parked.load(), 1);
  // The abandoned fiber's wait was withdrawn from the channel before its
  // stack went back to the pool: reuse the stack, then close the channel
  // (which wakes every receiver it still lists).
  {
    goro::runtime rt{goro::options{.procs = 1}};
    rt.block_on(goro::stackful([] {
      volatile char scribble[32 << 10];
      for (std::size_t i = 0; i < sizeof(scribble); ++i) {
        scribble[i] = static_cast<char>(0xA5);
      }
      goro::await(goro::yield());
    }));
  }
  never.close();
  auto r = never.try_recv();
  EXPECT_FALSE(r.has_value());
  EXPECT_TRUE(r.closed());
}

// A fiber whose catch (...) swallows the teardown's unwinding and waits
// again is abandoned after a bounded number of tries, with a message.
TEST(Fiber, TeardownAbandonsAFiberThatSwallowsTheUnwind) {
  std::atomic<bool> started{false};
  auto never = goro::make_chan<int>();
  testing::internal::CaptureStderr();
  {
    goro::runtime rt{goro::options{.procs = 2}};
    rt.block_on([&]() -> goro::task<> {
      goro::go_stackful([never, &started] {
        started = true;
        for (;;) {
          try {
            (void)never.recv_blocking();
          } catch (...) {  // wrong: swallows goro's fiber_unwind
          }
        }
      });
      while (!started.load()) co_await goro::sleep_for(1ms);
      co_await goro::sleep_for(2ms);
    });
  }  // must not hang
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("swallow goro::internal::fiber_unwind"), std::string::npos)
      << err;
}

// --- fatal errors
// ----------------------------------------------------------------

volatile bool g_forever = true;

[[gnu::noinline]] int recurse_forever(int n) {
  volatile char pad[256];
  pad[0] = static_cast<char>(n);
  if (!g_forever) return pad[0];
  return recurse_forever(n + 1) + pad[0];
}

class FiberDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(FiberDeathTest, StackOverflowEndsTheProcessWithAMessage) {
  EXPECT_DEATH(
      {
        goro::runtime rt{goro::options{.procs = 2}};
        rt.block_on(goro::stackful(goro::fiber_options{.stack_size = 64 << 10},
                                   [] { return recurse_forever(0); }));
      },
      "goro: fiber stack overflow: G [0-9]+ used up its 64 KiB stack");
}

TEST_F(FiberDeathTest, AnExceptionEscapingADetachedFiberAborts) {
  EXPECT_DEATH(
      {
        goro::runtime rt{goro::options{.procs = 2}};
        rt.block_on([]() -> goro::task<> {
          goro::go_stackful([] { throw std::runtime_error("fiber panic"); });
          co_await goro::sleep_for(std::chrono::seconds(5));
        });
      },
      "fiber panic");
}

}  // namespace
