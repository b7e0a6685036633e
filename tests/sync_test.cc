// goro's sync package, behaviour by behaviour: mutex (with unique_lock),
// rwmutex (with shared_lock), wait_group, once, cond and semaphore. Each
// API's contract in goro/sync/*.h, the Go rules behind it
// (sync/README.md "Semantics": Go's sync.Mutex, sync.RWMutex,
// sync.WaitGroup, sync.Once, sync.Cond), misuse errors with their exact words,
// plain threads, runtime teardown with Gs parked on every primitive, and the
// fatal misuses as death tests. "Still blocked" is checked by sleeping
// kStillBlocked and looking again: a G released early shows up as a failure,
// a G never released as the test's timeout.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "goro/goro.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace {

using goro::make_chan;
using goro::task;
using goro_test::counted;
using goro_test::scaled;
using goro_test::wait_until;

// How long a test waits before concluding that a G is still blocked.
constexpr auto kStillBlocked = std::chrono::milliseconds(50);

void still_blocked() { std::this_thread::sleep_for(kStillBlocked); }

}  // namespace

// A goro::sync_error whose what() is exactly `msg`.
#define EXPECT_SYNC_ERROR(stmt, msg) \
  EXPECT_ERROR_WHAT(stmt, goro::sync_error, msg)

// A std::logic_error that is not a goro::sync_error.
#define EXPECT_MISUSE_ERROR(stmt) EXPECT_LOGIC_ERROR_NOT(stmt, goro::sync_error)

namespace {

static_assert(std::is_base_of_v<std::logic_error, goro::sync_error>);
static_assert(!std::is_copy_constructible_v<goro::mutex>);
static_assert(!std::is_copy_constructible_v<goro::unique_lock<goro::mutex>>);
static_assert(std::is_move_constructible_v<goro::unique_lock<goro::mutex>>);
static_assert(std::is_move_constructible_v<goro::shared_lock<goro::rwmutex>>);

// ================================================================= mutex

TEST(Mutex, LockUnlockTryLockMatrix) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> task<> {
    goro::mutex mu;
    EXPECT_TRUE(mu.try_lock()) << "the zero value is unlocked";
    EXPECT_FALSE(mu.try_lock()) << "try_lock succeeded while locked";
    mu.unlock();
    co_await mu.lock();
    EXPECT_FALSE(mu.try_lock());
    mu.unlock();
    EXPECT_TRUE(mu.try_lock()) << "try_lock failed after unlock";
    mu.unlock();
    for (int i = 0; i < 100; ++i) {  // the uncontended path, repeatedly
      co_await mu.lock();
      mu.unlock();
    }
    EXPECT_TRUE(mu.try_lock());
    mu.unlock();
  });
}

TEST(Mutex, ScopedLockUnlocksWhenTheGuardDies) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    goro::mutex mu;
    {
      auto g = co_await mu.scoped_lock();
      static_assert(
          std::is_same_v<decltype(g), goro::unique_lock<goro::mutex>>);
      EXPECT_TRUE(g.owns_lock());
      EXPECT_TRUE(static_cast<bool>(g));
      EXPECT_EQ(g.mutex(), &mu);
      EXPECT_FALSE(mu.try_lock());
    }
    EXPECT_TRUE(mu.try_lock()) << "the guard did not unlock";
    mu.unlock();
  });
}

TEST(Mutex, UniqueLockMoveUnlockRelease) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    goro::mutex a, b;
    auto ga = co_await a.scoped_lock();
    // Move construction transfers ownership.
    goro::unique_lock<goro::mutex> moved(std::move(ga));
    EXPECT_FALSE(ga.owns_lock());
    EXPECT_EQ(ga.mutex(), nullptr);
    EXPECT_TRUE(moved.owns_lock());
    EXPECT_EQ(moved.mutex(), &a);
    EXPECT_FALSE(a.try_lock());
    // Move assignment into a guard that owns a lock unlocks that one first.
    auto gb = co_await b.scoped_lock();
    moved = std::move(gb);
    EXPECT_TRUE(a.try_lock()) << "move assignment did not unlock the old lock";
    a.unlock();
    EXPECT_EQ(moved.mutex(), &b);
    EXPECT_FALSE(b.try_lock());
    // Self move assignment keeps the lock.
    auto& self = moved;
    moved = std::move(self);
    EXPECT_TRUE(moved.owns_lock());
    EXPECT_FALSE(b.try_lock());
    // unlock() unlocks now; a second unlock() throws.
    moved.unlock();
    EXPECT_FALSE(moved.owns_lock());
    EXPECT_TRUE(b.try_lock());
    b.unlock();
    EXPECT_MISUSE_ERROR(moved.unlock());
    // release() gives up ownership without unlocking.
    auto gc = co_await a.scoped_lock();
    goro::mutex* released = gc.release();
    EXPECT_EQ(released, &a);
    EXPECT_FALSE(gc.owns_lock());
    EXPECT_FALSE(a.try_lock()) << "release() unlocked";
    EXPECT_MISUSE_ERROR(gc.unlock());
    a.unlock();
    // A default-constructed guard owns nothing.
    goro::unique_lock<goro::mutex> none;
    EXPECT_FALSE(none.owns_lock());
    EXPECT_MISUSE_ERROR(none.unlock());
    // Adopting a lock held already.
    EXPECT_TRUE(a.try_lock());
    {
      goro::unique_lock<goro::mutex> adopted(a, std::adopt_lock);
      EXPECT_TRUE(adopted.owns_lock());
    }
    EXPECT_TRUE(a.try_lock());
    a.unlock();
  });
}

TEST(Mutex, UniqueLockUnlockWithNothingOwnedThrowsLogicError) {
  goro::unique_lock<goro::mutex> g;
  std::string what;
  try {
    g.unlock();
  } catch (const std::logic_error& e) {
    what = e.what();
  }
  EXPECT_EQ(what, "goro::unique_lock::unlock: owns no lock");
}

// The standard Lockable use: std::unique_lock with try_to_lock.
TEST(Mutex, StdUniqueLockTryToLock) {
  goro::mutex mu;
  {
    std::unique_lock<goro::mutex> l(mu, std::try_to_lock);
    EXPECT_TRUE(l.owns_lock());
    std::unique_lock<goro::mutex> l2(mu, std::try_to_lock);
    EXPECT_FALSE(l2.owns_lock());
  }
  EXPECT_TRUE(mu.try_lock());
  mu.unlock();
}

// A G in lock() waits (suspended) until the holder unlocks; the holder here
// is the test's plain thread, which also shows the mutex is not owned.
TEST(Mutex, LockWaitsForTheHolder) {
  goro::mutex mu;
  std::atomic<int> stage{0};
  goro::runtime rt{goro::options{.procs = 2}};
  mu.lock_blocking();
  rt.go(
      [](goro::mutex* mu, std::atomic<int>* stage) -> task<> {
        stage->store(1);
        co_await mu->lock();
        stage->store(2);
        mu->unlock();
        stage->store(3);
      },
      &mu, &stage);
  wait_until([&] { return stage.load() == 1; });
  still_blocked();
  EXPECT_EQ(stage.load(), 1) << "lock() returned while the mutex was held";
  mu.unlock();
  wait_until([&] { return stage.load() == 3; });
  EXPECT_TRUE(mu.try_lock());
  mu.unlock();
}

// lock_blocking from a plain thread waits for a G holding the lock.
TEST(Mutex, LockBlockingFromAPlainThreadWaitsForAG) {
  goro::mutex mu;
  std::atomic<int> stage{0};
  auto release = make_chan<int>();
  goro::runtime rt{goro::options{.procs = 2}};
  rt.go(
      [](goro::mutex* mu, goro::chan<int> release,
         std::atomic<int>* stage) -> task<> {
        co_await mu->lock();
        stage->store(1);
        (void)co_await release.recv();
        mu->unlock();
      },
      &mu, release, &stage);
  wait_until([&] { return stage.load() == 1; });
  std::thread t([&] {
    stage.store(2);
    mu.lock_blocking();
    stage.store(3);
    mu.unlock();
  });
  wait_until([&] { return stage.load() >= 2; });
  still_blocked();
  EXPECT_EQ(stage.load(), 2) << "lock_blocking returned while a G held it";
  release.send_blocking(1);
  t.join();
  EXPECT_EQ(stage.load(), 3);
  // And without any runtime at all.
  goro::mutex solo;
  solo.lock_blocking();
  EXPECT_FALSE(solo.try_lock());
  solo.unlock();
}

TEST(Mutex, LockBlockingFromAGThrowsLogicError) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    goro::mutex mu;
    EXPECT_MISUSE_ERROR(mu.lock_blocking());  // even when free
    EXPECT_TRUE(mu.try_lock()) << "the failed lock_blocking left it locked";
    mu.unlock();
    co_return;
  });
}

// Not owned: a G may unlock what another G locked.
TEST(Mutex, AnyGMayUnlock) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> task<> {
    goro::mutex mu;
    co_await mu.lock();
    auto h = goro::co_spawn(
        [](goro::mutex* mu) -> task<> {
          mu->unlock();
          co_return;
        },
        &mu);
    co_await h;
    EXPECT_TRUE(mu.try_lock());
    mu.unlock();
  });
}

// Many Gs, a non-atomic counter: exact count.
TEST(Mutex, ManyGsMutualExclusion) {
  goro::runtime rt{goro::options{.procs = 4}};
  const int per = static_cast<int>(scaled(2000, 10));
  const std::int64_t total = rt.block_on([per]() -> task<std::int64_t> {
    goro::mutex mu;
    std::int64_t counter = 0;
    goro::wait_group wg;
    for (int i = 0; i < 8; ++i) {
      wg.go([&mu, &counter, per]() -> task<> {
        for (int k = 0; k < per; ++k) {
          auto g = co_await mu.scoped_lock();
          ++counter;
        }
      });
    }
    co_await wg.wait();
    co_return counter;
  });
  EXPECT_EQ(total, 8 * per);
}

// Waiters are readied one by one: each of several waiters gets the lock.
TEST(Mutex, EveryWaiterGetsTheLockInTurn) {
  goro::mutex mu;
  std::atomic<int> waiting{0}, done{0};
  goro::runtime rt{goro::options{.procs = 2}};
  mu.lock_blocking();
  for (int i = 0; i < 5; ++i) {
    rt.go(
        [](goro::mutex* mu, std::atomic<int>* waiting,
           std::atomic<int>* done) -> task<> {
          waiting->fetch_add(1);
          co_await mu->lock();
          done->fetch_add(1);
          co_await goro::yield();
          mu->unlock();
        },
        &mu, &waiting, &done);
  }
  wait_until([&] { return waiting.load() == 5; });
  still_blocked();
  EXPECT_EQ(done.load(), 0);
  mu.unlock();
  wait_until([&] { return done.load() == 5; });
  mu.lock_blocking();  // every waiter has unlocked again
  mu.unlock();
}

// =============================================================== rwmutex

TEST(RWMutex, TryMatrixWithoutWaiters) {
  goro::rwmutex rw;
  // Free: both succeed.
  EXPECT_TRUE(rw.try_lock());
  // Writer inside: neither succeeds.
  EXPECT_FALSE(rw.try_lock());
  EXPECT_FALSE(rw.try_lock_shared());
  rw.unlock();
  // Readers inside: more readers succeed, a writer does not.
  EXPECT_TRUE(rw.try_lock_shared());
  EXPECT_TRUE(rw.try_lock_shared());
  EXPECT_TRUE(rw.try_lock_shared());
  EXPECT_FALSE(rw.try_lock());
  rw.unlock_shared();
  rw.unlock_shared();
  EXPECT_FALSE(rw.try_lock()) << "one reader is still inside";
  rw.unlock_shared();
  EXPECT_TRUE(rw.try_lock()) << "try_lock failed with the lock free";
  rw.unlock();
  EXPECT_TRUE(rw.try_lock_shared());
  rw.unlock_shared();
}

TEST(RWMutex, LockAndLockSharedInAG) {
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([]() -> task<> {
    goro::rwmutex rw;
    co_await rw.lock();
    EXPECT_FALSE(rw.try_lock_shared());
    EXPECT_FALSE(rw.try_lock());
    rw.unlock();
    co_await rw.lock_shared();
    co_await rw.lock_shared();  // no writer waits: fine
    EXPECT_FALSE(rw.try_lock());
    EXPECT_TRUE(rw.try_lock_shared());
    rw.unlock_shared();
    rw.unlock_shared();
    rw.unlock_shared();
    EXPECT_TRUE(rw.try_lock());
    rw.unlock();
  });
}

TEST(RWMutex, ScopedForms) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    goro::rwmutex rw;
    {
      auto w = co_await rw.scoped_lock();
      static_assert(
          std::is_same_v<decltype(w), goro::unique_lock<goro::rwmutex>>);
      EXPECT_TRUE(w.owns_lock());
      EXPECT_EQ(w.mutex(), &rw);
      EXPECT_FALSE(rw.try_lock_shared());
    }
    EXPECT_TRUE(rw.try_lock()) << "unique_lock<rwmutex> did not unlock";
    rw.unlock();
    {
      auto r1 = co_await rw.scoped_lock_shared();
      static_assert(
          std::is_same_v<decltype(r1), goro::shared_lock<goro::rwmutex>>);
      auto r2 = co_await rw.scoped_lock_shared();
      EXPECT_TRUE(r1.owns_lock());
      EXPECT_FALSE(rw.try_lock());
      r1.unlock();  // unlock_shared, not unlock
      EXPECT_FALSE(r1.owns_lock());
      EXPECT_FALSE(rw.try_lock()) << "r2 is still inside";
      goro::shared_lock<goro::rwmutex> r3(std::move(r2));
      EXPECT_FALSE(r2.owns_lock());
      EXPECT_TRUE(r3.owns_lock());
      std::string what;
      try {
        r1.unlock();
      } catch (const std::logic_error& e) {
        what = e.what();
      }
      EXPECT_EQ(what, "goro::shared_lock::unlock: owns no lock");
    }
    EXPECT_TRUE(rw.try_lock()) << "shared_lock did not unlock_shared";
    rw.unlock();
  });
}

// Writer preference: once a writer waits in lock(), try_lock_shared fails
// and a new lock_shared waits until the writer has had its turn; the writer
// waits only for the reader already inside.
TEST(RWMutex, WaitingWriterHoldsUpNewReaders) {
  goro::rwmutex rw;
  std::atomic<int> writer{0}, reader{0};
  goro::runtime rt{goro::options{.procs = 2}};
  ASSERT_TRUE(rw.try_lock_shared());  // the reader already inside
  rt.go(
      [](goro::rwmutex* rw, std::atomic<int>* st) -> task<> {
        st->store(1);
        co_await rw->lock();
        st->store(2);
        // Hold it until told to go; a reader must not get in meanwhile.
        while (st->load() != 3) co_await goro::yield();
        rw->unlock();
        st->store(4);
      },
      &rw, &writer);
  wait_until([&] { return writer.load() == 1; });
  still_blocked();
  EXPECT_EQ(writer.load(), 1) << "lock() returned with a reader inside";
  EXPECT_FALSE(rw.try_lock_shared())
      << "try_lock_shared barged past a waiting writer";
  EXPECT_FALSE(rw.try_lock());
  rt.go(
      [](goro::rwmutex* rw, std::atomic<int>* st) -> task<> {
        st->store(1);
        co_await rw->lock_shared();
        st->store(2);
        rw->unlock_shared();
        st->store(3);
      },
      &rw, &reader);
  wait_until([&] { return reader.load() == 1; });
  still_blocked();
  EXPECT_EQ(reader.load(), 1) << "lock_shared barged past a waiting writer";
  EXPECT_EQ(writer.load(), 1);
  rw.unlock_shared();  // the last old reader leaves: the writer goes in
  wait_until([&] { return writer.load() == 2; });
  still_blocked();
  EXPECT_EQ(reader.load(), 1) << "a reader got in while the writer held it";
  writer.store(3);
  wait_until([&] { return reader.load() == 3; });
  wait_until([&] { return writer.load() == 4; });
  EXPECT_TRUE(rw.try_lock());
  rw.unlock();
}

// Many readers are inside at once: each waits inside until all N are in
// (this would deadlock if readers excluded each other).
TEST(RWMutex, ReadersAreConcurrent) {
  for (int procs : {1, 2, 4}) {
    goro::runtime rt{goro::options{.procs = procs}};
    const int max_inside = rt.block_on([]() -> task<int> {
      constexpr int kReaders = 16;
      goro::rwmutex rw;
      std::atomic<int> inside{0}, max_seen{0};
      goro::wait_group wg;
      for (int i = 0; i < kReaders; ++i) {
        wg.go([&]() -> task<> {
          auto r = co_await rw.scoped_lock_shared();
          const int now = inside.fetch_add(1) + 1;
          int m = max_seen.load();
          while (now > m && !max_seen.compare_exchange_weak(m, now)) {
          }
          while (inside.load() < kReaders) co_await goro::yield();
          EXPECT_FALSE(rw.try_lock()) << "try_lock with readers inside";
        });
      }
      co_await wg.wait();
      EXPECT_TRUE(rw.try_lock());
      rw.unlock();
      co_return max_seen.load();
    });
    EXPECT_EQ(max_inside, 16) << "procs " << procs;
  }
}

// A writer inside keeps out readers and other writers; when it unlocks,
// the readers that queued behind it go in before the next writer.
TEST(RWMutex, WriterExclusiveThenQueuedReadersBeforeNextWriter) {
  goro::rwmutex rw;
  std::atomic<int> queued{0};
  std::atomic<int> readers_in{0}, readers_done{0};
  std::atomic<int> writer2{0};
  std::atomic<int> readers_in_when_writer2_entered{-1};
  goro::runtime rt{goro::options{.procs = 2}};
  rw.lock_blocking();  // writer 1: the test thread
  for (int i = 0; i < 3; ++i) {
    rt.go(
        [](goro::rwmutex* rw, std::atomic<int>* queued, std::atomic<int>* in,
           std::atomic<int>* done) -> task<> {
          queued->fetch_add(1);
          co_await rw->lock_shared();
          in->fetch_add(1);
          // Stay inside a while: writer 2 must wait for all three.
          for (int k = 0; k < 20; ++k) co_await goro::yield();
          done->fetch_add(1);
          rw->unlock_shared();
        },
        &rw, &queued, &readers_in, &readers_done);
  }
  wait_until([&] { return queued.load() == 3; });
  still_blocked();  // the readers are parked behind writer 1
  rt.go(
      [](goro::rwmutex* rw, std::atomic<int>* st, std::atomic<int>* done,
         std::atomic<int>* seen) -> task<> {
        st->store(1);
        co_await rw->lock();
        seen->store(done->load());
        st->store(2);
        rw->unlock();
      },
      &rw, &writer2, &readers_done, &readers_in_when_writer2_entered);
  wait_until([&] { return writer2.load() == 1; });
  still_blocked();
  EXPECT_EQ(readers_in.load(), 0) << "a reader got in while a writer held it";
  EXPECT_EQ(writer2.load(), 1) << "two writers inside at once";
  rw.unlock();
  wait_until([&] { return writer2.load() == 2; });
  EXPECT_EQ(readers_in.load(), 3);
  EXPECT_EQ(readers_in_when_writer2_entered.load(), 3)
      << "writer 2 went in before the readers that queued behind writer 1";
}

TEST(RWMutex, BlockingFormsFromPlainThreads) {
  goro::rwmutex rw;
  std::atomic<int> stage{0};
  goro::runtime rt{goro::options{.procs = 2}};
  auto release = make_chan<int>();
  // A G holds it exclusively; a thread's lock_shared_blocking waits.
  rt.go(
      [](goro::rwmutex* rw, goro::chan<int> release,
         std::atomic<int>* stage) -> task<> {
        co_await rw->lock();
        stage->store(1);
        (void)co_await release.recv();
        rw->unlock();
      },
      &rw, release, &stage);
  wait_until([&] { return stage.load() == 1; });
  std::thread reader([&] {
    rw.lock_shared_blocking();
    stage.store(2);
  });
  still_blocked();
  EXPECT_EQ(stage.load(), 1);
  release.send_blocking(1);
  reader.join();
  EXPECT_EQ(stage.load(), 2);
  // The thread's read lock is held: a thread's lock_blocking waits for it.
  std::thread writer([&] {
    rw.lock_blocking();
    stage.store(3);
  });
  still_blocked();
  EXPECT_EQ(stage.load(), 2) << "lock_blocking returned with a reader inside";
  rw.unlock_shared();
  writer.join();
  EXPECT_EQ(stage.load(), 3);
  EXPECT_FALSE(rw.try_lock_shared());
  rw.unlock();
}

TEST(RWMutex, BlockingFormsFromAGThrowLogicError) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    goro::rwmutex rw;
    EXPECT_MISUSE_ERROR(rw.lock_blocking());
    EXPECT_MISUSE_ERROR(rw.lock_shared_blocking());
    EXPECT_TRUE(rw.try_lock()) << "a failed blocking form left it locked";
    rw.unlock();
    co_return;
  });
}

// ============================================================ wait_group

TEST(WaitGroup, WaitReturnsAtOnceAtZero) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    goro::wait_group wg;
    co_await wg.wait();
    co_await wg.wait();
    wg.add(2);
    wg.done();
    wg.add(-1);
    co_await wg.wait();
  });
  goro::wait_group wg;
  wg.wait_blocking();  // no runtime needed
}

// Every waiter (Gs and a plain thread) is released when the counter
// reaches zero, and not before.
TEST(WaitGroup, AddDoneWaitReleasesEveryWaiter) {
  goro::wait_group wg;
  std::atomic<int> waiting{0}, released{0};
  goro::runtime rt{goro::options{.procs = 2}};
  wg.add(3);
  for (int i = 0; i < 4; ++i) {
    rt.go(
        [](goro::wait_group* wg, std::atomic<int>* waiting,
           std::atomic<int>* released) -> task<> {
          waiting->fetch_add(1);
          co_await wg->wait();
          released->fetch_add(1);
        },
        &wg, &waiting, &released);
  }
  std::thread t([&] {
    waiting.fetch_add(1);
    wg.wait_blocking();
    released.fetch_add(1);
  });
  wait_until([&] { return waiting.load() == 5; });
  wg.done();
  wg.add(-1);
  still_blocked();
  EXPECT_EQ(released.load(), 0) << "wait returned with the counter at 1";
  wg.done();
  t.join();
  wait_until([&] { return released.load() == 5; });
}

task<> add_to(std::atomic<int>* sum, int v) {
  co_await goro::yield();
  sum->fetch_add(v);
}

// wg.go: add(1), spawn, done(): task-returning and plain callables, with
// and without arguments (copied into the G), function pointers.
TEST(WaitGroup, GoRunsEveryKindOfCallable) {
  goro::runtime rt{goro::options{.procs = 2}};
  const int sum = rt.block_on([]() -> task<int> {
    std::atomic<int> sum{0};
    goro::wait_group wg;
    wg.go([&sum]() -> task<> {
      co_await goro::yield();
      sum.fetch_add(1);
    });
    wg.go([&sum] { sum.fetch_add(10); });  // plain, void
    wg.go([&sum](int a, int b) { sum.fetch_add(a * b); }, 10, 10);  // 100
    wg.go(
        [](std::atomic<int>* s, std::string str) -> task<> {
          co_await goro::yield();
          s->fetch_add(static_cast<int>(str.size()) * 1000);
        },
        &sum, std::string("four"));  // 4000
    wg.go(add_to, &sum, 10000);
    wg.go([&sum] {  // a plain callable returning a value: discarded
      sum.fetch_add(100000);
      return 42;
    });
    co_await wg.wait();
    co_return sum.load();
  });
  EXPECT_EQ(sum, 114111);
}

// wait returns only after every wg.go'd G has finished: their effects are
// visible without any other synchronisation.
TEST(WaitGroup, GoWaitSeesEveryEffect) {
  goro::runtime rt{goro::options{.procs = 4}};
  rt.block_on([]() -> task<> {
    constexpr int kN = 200;
    std::vector<int> slots(kN, 0);  // plain ints: the wait is the fence
    goro::wait_group wg;
    for (int i = 0; i < kN; ++i) {
      wg.go([&slots, i]() -> task<> {
        for (int k = 0; k < i % 5; ++k) co_await goro::yield();
        slots[static_cast<std::size_t>(i)] = i + 1;
      });
    }
    co_await wg.wait();
    for (int i = 0; i < kN; ++i)
      EXPECT_EQ(slots[static_cast<std::size_t>(i)], i + 1);
  });
}

TEST(WaitGroup, WaitBlockingFromAGThrowsLogicError) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    goro::wait_group wg;
    EXPECT_MISUSE_ERROR(wg.wait_blocking());  // even at zero
    wg.add(1);
    EXPECT_MISUSE_ERROR(wg.wait_blocking());
    wg.done();
    co_await wg.wait();
  });
}

TEST(WaitGroup, NegativeCounterThrowsSyncError) {
  {
    goro::wait_group wg;
    EXPECT_SYNC_ERROR(wg.done(), "sync: negative WaitGroup counter");
  }
  {
    goro::wait_group wg;
    wg.add(2);
    EXPECT_SYNC_ERROR(wg.add(-3), "sync: negative WaitGroup counter");
  }
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    goro::wait_group wg;
    wg.add(1);
    wg.done();
    EXPECT_SYNC_ERROR(wg.done(), "sync: negative WaitGroup counter");
    co_return;
  });
}

// Reuse as a barrier: each round's wait returns only after that round's
// workers are all done, and the group is reused after the wait returned.
TEST(WaitGroup, ReusableAsABarrier) {
  goro::runtime rt{goro::options{.procs = 2}};
  const int rounds = static_cast<int>(scaled(200, 4));
  rt.block_on([rounds]() -> task<> {
    goro::wait_group wg;
    std::atomic<int> finished{0};
    for (int r = 0; r < rounds; ++r) {
      for (int i = 0; i < 4; ++i) {
        wg.go([&finished, i]() -> task<> {
          for (int k = 0; k < i; ++k) co_await goro::yield();
          finished.fetch_add(1);
        });
      }
      co_await wg.wait();
      EXPECT_EQ(finished.load(), 4 * (r + 1)) << "round " << r;
    }
  });
}

// ================================================================== once

TEST(Once, RunsExactlyOnceUnderContention) {
  goro::runtime rt{goro::options{.procs = 4}};
  const int runs = rt.block_on([]() -> task<int> {
    goro::once o;
    int runs = 0;  // plain: once's own synchronisation protects it
    std::atomic<int> saw_done{0};
    goro::wait_group wg;
    for (int i = 0; i < 100; ++i) {
      wg.go([&]() -> task<> {
        co_await o.call([&] { ++runs; });
        if (runs == 1) saw_done.fetch_add(1);
      });
    }
    co_await wg.wait();
    EXPECT_EQ(saw_done.load(), 100) << "a call returned before f's effects";
    co_await o.call([&] { runs += 100; });  // later: not run
    co_return runs;
  });
  EXPECT_EQ(runs, 1);
}

// Concurrent callers return only after f has finished, even when f is a
// task that suspends for a long time.
TEST(Once, ConcurrentCallersWaitForF) {
  std::atomic<int> started{0}, returned{0};
  std::atomic<bool> f_done{false};
  std::atomic<int> f_runs{0};
  std::atomic<int> early{0};
  auto gate = make_chan<int>();
  goro::once o;
  goro::runtime rt{goro::options{.procs = 2}};
  auto f = [gate, &f_done, &f_runs]() -> task<> {
    f_runs.fetch_add(1);
    (void)co_await gate.recv();  // suspended inside f until the test says
    for (int i = 0; i < 10; ++i) co_await goro::yield();
    f_done.store(true);
  };
  for (int i = 0; i < 6; ++i) {
    rt.go([&]() -> task<> {
      started.fetch_add(1);
      co_await o.call(f);
      if (!f_done.load()) early.fetch_add(1);
      returned.fetch_add(1);
    });
  }
  wait_until([&] { return started.load() == 6 && f_runs.load() == 1; });
  still_blocked();
  EXPECT_EQ(returned.load(), 0) << "a call returned while f was running";
  gate.send_blocking(1);
  wait_until([&] { return returned.load() == 6; });
  EXPECT_EQ(early.load(), 0);
  EXPECT_EQ(f_runs.load(), 1);
}

TEST(Once, PlainAndTaskReturningF) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    goro::once plain, tasky;
    int a = 0, b = 0;
    co_await plain.call([&a] { ++a; });
    co_await plain.call([&a]() -> task<> {  // a different f: still not run
      ++a;
      co_return;
    });
    EXPECT_EQ(a, 1);
    auto tf = [&b]() -> task<int> {
      co_await goro::yield();
      ++b;
      co_return 7;  // the result is discarded
    };
    co_await tasky.call(tf);
    EXPECT_EQ(b, 1) << "call() returned before the task finished";
    co_await tasky.call(tf);
    EXPECT_EQ(b, 1);
    // An lvalue callable object, used only during the co_await.
    struct functor {
      int* n;
      void operator()() const { ++*n; }
    };
    goro::once third;
    int c = 0;
    functor fn{&c};
    co_await third.call(fn);
    co_await third.call(fn);
    EXPECT_EQ(c, 1);
  });
}

// f throws: the exception reaches the caller that ran f; the once counts as
// done (Go's rule): f never runs again, and callers waiting meanwhile
// return normally.
TEST(Once, ThrowingFCountsAsDone) {
  std::atomic<int> f_runs{0};
  std::atomic<int> waiter_ok{0}, waiter_threw{0}, waiting{0};
  auto gate = make_chan<int>();
  goro::once o;
  goro::runtime rt{goro::options{.procs = 2}};
  auto first = rt.co_spawn([&]() -> task<std::string> {
    try {
      co_await o.call([&]() -> task<> {
        f_runs.fetch_add(1);
        (void)co_await gate.recv();
        throw std::runtime_error("once-boom");
      });
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "no exception";
  });
  wait_until([&] { return f_runs.load() == 1; });
  for (int i = 0; i < 3; ++i) {
    rt.go([&]() -> task<> {
      waiting.fetch_add(1);
      try {
        co_await o.call([&] { f_runs.fetch_add(1); });
        waiter_ok.fetch_add(1);
      } catch (...) {
        waiter_threw.fetch_add(1);
      }
    });
  }
  wait_until([&] { return waiting.load() == 3; });
  still_blocked();
  EXPECT_EQ(waiter_ok.load() + waiter_threw.load(), 0);
  gate.send_blocking(1);
  const std::string what = rt.block_on(
      [](goro::join_handle<std::string> h) -> task<std::string> {
        co_return co_await h;
      },
      std::move(first));
  EXPECT_EQ(what, "once-boom");
  wait_until([&] { return waiter_ok.load() + waiter_threw.load() == 3; });
  EXPECT_EQ(waiter_ok.load(), 3);
  EXPECT_EQ(waiter_threw.load(), 0);
  rt.block_on([&]() -> task<> {
    co_await o.call([&] { f_runs.fetch_add(1); });  // later: not run
  });
  EXPECT_EQ(f_runs.load(), 1);
}

// ================================================================== cond

// Spawns n Gs that each wait on c under mu, one after another, so that the
// i-th G is known to have started waiting before the (i+1)-th starts: the
// test thread relocks mu only after G i's wait has unlocked it. Each woken
// G appends its index to *order under mu.
void start_waiters_in_order(goro::runtime& rt, goro::mutex& mu, goro::cond& c,
                            std::vector<int>& order, std::atomic<int>& waiting,
                            int first, int n) {
  for (int i = first; i < first + n; ++i) {
    rt.go([&mu, &c, &order, &waiting, i]() -> task<> {
      co_await mu.lock();
      waiting.fetch_add(1);
      co_await c.wait(mu);
      order.push_back(i);
      mu.unlock();
    });
    wait_until([&] { return waiting.load() == i + 1; });
    mu.lock_blocking();  // G i holds mu until its wait unlocks it
    mu.unlock();
  }
}

std::size_t locked_size(goro::mutex& mu, const std::vector<int>& v) {
  mu.lock_blocking();
  const std::size_t n = v.size();
  mu.unlock();
  return n;
}

TEST(Cond, SignalWakesInFifoOrder) {
  goro::mutex mu;
  goro::cond c;
  std::vector<int> order;
  std::atomic<int> waiting{0};
  goro::runtime rt{goro::options{.procs = 2}};
  constexpr int kN = 6;
  start_waiters_in_order(rt, mu, c, order, waiting, 0, kN);
  for (int k = 1; k <= kN; ++k) {
    c.signal();
    wait_until(
        [&] { return locked_size(mu, order) == static_cast<std::size_t>(k); });
    still_blocked();  // one signal wakes one G
    EXPECT_EQ(locked_size(mu, order), static_cast<std::size_t>(k))
        << "signal woke more than one G";
  }
  std::vector<int> expected(kN);
  for (int i = 0; i < kN; ++i) expected[static_cast<std::size_t>(i)] = i;
  EXPECT_EQ(order, expected) << "signal did not wake the longest waiter first";
}

// broadcast wakes exactly the Gs waiting when it was called; a G that starts
// waiting afterwards stays blocked.
TEST(Cond, BroadcastWakesExactlyThePresentWaiters) {
  goro::mutex mu;
  goro::cond c;
  std::vector<int> order;
  std::atomic<int> waiting{0};
  goro::runtime rt{goro::options{.procs = 2}};
  start_waiters_in_order(rt, mu, c, order, waiting, 0, 4);
  c.broadcast();
  wait_until([&] { return locked_size(mu, order) == 4; });
  start_waiters_in_order(rt, mu, c, order, waiting, 4, 1);
  still_blocked();
  EXPECT_EQ(locked_size(mu, order), 4u)
      << "a later waiter was woken by an old broadcast";
  mu.lock_blocking();
  std::vector<int> first(order.begin(), order.end());
  mu.unlock();
  std::sort(first.begin(), first.end());
  EXPECT_EQ(first, (std::vector<int>{0, 1, 2, 3}));
  // broadcast from a holder of mu works too.
  mu.lock_blocking();
  c.broadcast();
  mu.unlock();
  wait_until([&] { return locked_size(mu, order) == 5; });
  EXPECT_EQ(order.back(), 4);
}

// No spurious wake-ups: a waiter nobody signals stays blocked; a signal or
// broadcast with nobody waiting is not remembered for a later waiter.
TEST(Cond, NoSpuriousWakeupsAndNoRememberedSignals) {
  goro::mutex mu;
  goro::cond c;
  std::vector<int> order;
  std::atomic<int> waiting{0};
  goro::runtime rt{goro::options{.procs = 2}};
  c.signal();
  c.broadcast();
  c.signal();
  start_waiters_in_order(rt, mu, c, order, waiting, 0, 2);
  // Activity on the mutex and on another cond does not wake them.
  goro::cond other;
  other.signal();
  other.broadcast();
  for (int i = 0; i < 20; ++i) {
    mu.lock_blocking();
    mu.unlock();
  }
  still_blocked();
  EXPECT_EQ(locked_size(mu, order), 0u) << "a waiter woke with no signal";
  c.signal();
  wait_until([&] { return locked_size(mu, order) == 1; });
  still_blocked();
  EXPECT_EQ(locked_size(mu, order), 1u);
  c.signal();
  wait_until([&] { return locked_size(mu, order) == 2; });
  EXPECT_EQ(order, (std::vector<int>{0, 1}));
}

// wait() relocks the mutex before it returns, and the classic
// condition-loop works from Gs.
TEST(Cond, WaitRelocksTheMutexAndSeesTheChange) {
  goro::runtime rt{goro::options{.procs = 4}};
  rt.block_on([]() -> task<> {
    goro::mutex mu;
    goro::cond ready;
    bool flag = false;  // plain: guarded by mu
    std::atomic<int> ok{0};
    goro::wait_group wg;
    for (int i = 0; i < 8; ++i) {
      wg.go([&]() -> task<> {
        co_await mu.lock();
        while (!flag) co_await ready.wait(mu);
        EXPECT_FALSE(mu.try_lock()) << "wait returned without the mutex";
        ok.fetch_add(1);
        mu.unlock();
      });
    }
    for (int i = 0; i < 10; ++i) co_await goro::yield();
    co_await mu.lock();
    flag = true;
    mu.unlock();
    ready.broadcast();
    co_await wg.wait();
    EXPECT_EQ(ok.load(), 8);
  });
}

// One cond with different mutexes for different waiters.
TEST(Cond, DifferentMutexesPerWaiter) {
  goro::mutex m1, m2;
  goro::cond c;
  std::atomic<int> waiting{0}, woken{0};
  goro::runtime rt{goro::options{.procs = 2}};
  for (goro::mutex* m : {&m1, &m2}) {
    rt.go(
        [&c, &waiting, &woken](goro::mutex* m) -> task<> {
          co_await m->lock();
          waiting.fetch_add(1);
          co_await c.wait(*m);
          woken.fetch_add(1);
          m->unlock();
        },
        m);
  }
  wait_until([&] { return waiting.load() == 2; });
  m1.lock_blocking();  // both waits have unlocked their mutexes
  m2.lock_blocking();
  m1.unlock();
  m2.unlock();
  c.broadcast();
  wait_until([&] { return woken.load() == 2; });
  EXPECT_TRUE(m1.try_lock());
  EXPECT_TRUE(m2.try_lock());
  m1.unlock();
  m2.unlock();
}

// ============================================================= semaphore

TEST(Semaphore, WeightedAcquireReleaseTryAcquire) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    goro::semaphore s(5);
    EXPECT_TRUE(s.try_acquire(3));
    EXPECT_FALSE(s.try_acquire(3)) << "3 of 2 free units";
    EXPECT_TRUE(s.try_acquire(2));
    EXPECT_FALSE(s.try_acquire());
    EXPECT_TRUE(s.try_acquire(0)) << "a zero weight needs nothing";
    s.release(5);
    co_await s.acquire(5);
    EXPECT_FALSE(s.try_acquire(1));
    s.release(4);
    co_await s.acquire();  // default weight 1
    co_await s.acquire(3);
    EXPECT_FALSE(s.try_acquire(1));
    s.release(1);
    s.release(1);
    s.release(3);
    EXPECT_TRUE(s.try_acquire(5));
    s.release(5);
  });
}

TEST(Semaphore, ErrorsHaveTheirWords) {
  EXPECT_SYNC_ERROR(goro::semaphore(-1), "semaphore: negative size");
  goro::semaphore s(3);
  EXPECT_SYNC_ERROR(s.release(1), "semaphore: released more than held");
  EXPECT_TRUE(s.try_acquire(2));
  EXPECT_SYNC_ERROR(s.release(3), "semaphore: released more than held");
  EXPECT_SYNC_ERROR((void)s.try_acquire(4),
                    "semaphore: acquire of more than the semaphore's size");
  EXPECT_SYNC_ERROR((void)s.try_acquire(-1), "semaphore: negative weight");
  EXPECT_SYNC_ERROR(s.acquire_blocking(4),
                    "semaphore: acquire of more than the semaphore's size");
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([&s]() -> task<> {
    EXPECT_SYNC_ERROR(co_await s.acquire(4),
                      "semaphore: acquire of more than the semaphore's size");
    EXPECT_SYNC_ERROR(co_await s.acquire(-2), "semaphore: negative weight");
    co_return;
  });
  // None of the failures changed what is held: 2 of 3.
  EXPECT_TRUE(s.try_acquire(1));
  EXPECT_FALSE(s.try_acquire(1));
  s.release(3);
  EXPECT_TRUE(s.try_acquire(3));
  s.release(3);
}

// Strict FIFO: a large request queued first is served first; a small one
// behind it waits even while its own units are free, and try_acquire fails
// while anyone waits.
TEST(Semaphore, LargeRequestIsNotStarvedBySmallOnes) {
  goro::semaphore s(4);
  std::atomic<int> big{0}, small{0};
  goro::runtime rt{goro::options{.procs = 2}};
  ASSERT_TRUE(s.try_acquire(4));
  rt.go(
      [](goro::semaphore* s, std::atomic<int>* st) -> task<> {
        st->store(1);
        co_await s->acquire(3);
        st->store(2);
      },
      &s, &big);
  wait_until([&] { return big.load() == 1; });
  still_blocked();
  rt.go(
      [](goro::semaphore* s, std::atomic<int>* st) -> task<> {
        st->store(1);
        co_await s->acquire(1);
        st->store(2);
      },
      &s, &small);
  wait_until([&] { return small.load() == 1; });
  still_blocked();
  s.release(1);  // 1 free: small fits but big is ahead of it
  still_blocked();
  EXPECT_EQ(big.load(), 1);
  EXPECT_EQ(small.load(), 1) << "a small request barged past a large one";
  EXPECT_FALSE(s.try_acquire(1)) << "try_acquire barged past waiters";
  s.release(2);  // 3 free: big is granted
  wait_until([&] { return big.load() == 2; });
  still_blocked();
  EXPECT_EQ(small.load(), 1) << "0 units free, yet small was granted";
  s.release(1);
  wait_until([&] { return small.load() == 2; });
  EXPECT_FALSE(s.try_acquire(1));
  s.release(4);
  EXPECT_TRUE(s.try_acquire(4));
  s.release(4);
}

// One release grants every waiter at the head whose request now fits, in
// order, and stops at the first that does not.
TEST(Semaphore, ReleaseGrantsTheHeadRequestsThatFit) {
  goro::semaphore s(10);
  std::vector<std::atomic<int>> st(4);
  const std::int64_t weights[4] = {2, 3, 6, 1};
  goro::runtime rt{goro::options{.procs = 2}};
  ASSERT_TRUE(s.try_acquire(10));
  for (int i = 0; i < 4; ++i) {
    rt.go(
        [](goro::semaphore* s, std::int64_t n, std::atomic<int>* st) -> task<> {
          st->store(1);
          co_await s->acquire(n);
          st->store(2);
        },
        &s, weights[i], &st[static_cast<std::size_t>(i)]);
    wait_until([&] { return st[static_cast<std::size_t>(i)].load() == 1; });
    still_blocked();  // parked, in this order
  }
  s.release(7);  // 2 and 3 fit (5 of 7); 6 does not, and 1 must not barge
  wait_until([&] { return st[0].load() == 2 && st[1].load() == 2; });
  still_blocked();
  EXPECT_EQ(st[2].load(), 1);
  EXPECT_EQ(st[3].load(), 1) << "weight 1 granted past a waiting weight 6";
  s.release(3);  // 2 + 3 free = 5: still not 6
  still_blocked();
  EXPECT_EQ(st[2].load(), 1);
  EXPECT_EQ(st[3].load(), 1);
  s.release(2);  // 7 free: 6 then 1
  wait_until([&] { return st[2].load() == 2 && st[3].load() == 2; });
  EXPECT_FALSE(s.try_acquire(1));  // all 10 are held
  s.release(10);
}

TEST(Semaphore, AcquireBlockingFromAPlainThread) {
  goro::semaphore s(2);
  std::atomic<int> stage{0};
  goro::runtime rt{goro::options{.procs = 2}};
  auto release = make_chan<int>();
  rt.go(
      [](goro::semaphore* s, goro::chan<int> release,
         std::atomic<int>* stage) -> task<> {
        co_await s->acquire(2);
        stage->store(1);
        (void)co_await release.recv();
        s->release(2);
      },
      &s, release, &stage);
  wait_until([&] { return stage.load() == 1; });
  std::thread t([&] {
    s.acquire_blocking(2);
    stage.store(2);
  });
  still_blocked();
  EXPECT_EQ(stage.load(), 1);
  release.send_blocking(1);
  t.join();
  EXPECT_EQ(stage.load(), 2);
  EXPECT_FALSE(s.try_acquire(1));
  s.release(2);
  s.acquire_blocking(1);  // free: returns at once
  s.release(1);
}

TEST(Semaphore, AcquireBlockingFromAGThrowsLogicError) {
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([]() -> task<> {
    goro::semaphore s(2);
    EXPECT_MISUSE_ERROR(s.acquire_blocking(1));
    EXPECT_TRUE(s.try_acquire(2)) << "a failed acquire_blocking took units";
    s.release(2);
    co_return;
  });
}

// ============================================================== teardown

// A runtime destroyed while Gs are parked in mutex lock, rwmutex lock and
// lock_shared, cond wait, wait_group wait and semaphore acquire: every G's
// frame is destroyed (its counted with it), nothing crashes or leaks (ASan).
// The tests after this one check that each primitive then forgets its dead
// waiters: it behaves as if they had never been there.
TEST(Teardown, GsParkedOnEveryPrimitiveAreDestroyed) {
  counted::reset();
  goro::mutex mu;
  goro::mutex cond_mu;
  goro::cond c;
  goro::rwmutex rw_w;  // held by a writer: lock and lock_shared wait
  goro::rwmutex rw_r;  // held by a reader: a writer waits
  goro::wait_group wg;
  goro::semaphore sem(3);
  std::atomic<int> started{0};
  constexpr int kEach = 3;
  {
    goro::runtime rt{goro::options{.procs = 2}};
    mu.lock_blocking();
    rw_w.lock_blocking();
    rw_r.lock_shared_blocking();
    wg.add(1);
    ASSERT_TRUE(sem.try_acquire(2));
    for (int i = 0; i < kEach; ++i) {
      rt.go([&]() -> task<> {
        counted k(1);
        started.fetch_add(1);
        co_await mu.lock();
        ADD_FAILURE() << "mutex lock returned";
      });
      rt.go([&]() -> task<> {
        counted k(2);
        co_await cond_mu.lock();
        started.fetch_add(1);
        co_await c.wait(cond_mu);
        ADD_FAILURE() << "cond wait returned";
      });
      rt.go([&]() -> task<> {
        counted k(3);
        started.fetch_add(1);
        co_await rw_w.lock();
        ADD_FAILURE() << "rwmutex lock returned";
      });
      rt.go([&]() -> task<> {
        counted k(4);
        started.fetch_add(1);
        co_await rw_w.lock_shared();
        ADD_FAILURE() << "rwmutex lock_shared returned";
      });
      rt.go([&]() -> task<> {
        counted k(6);
        started.fetch_add(1);
        co_await wg.wait();
        ADD_FAILURE() << "wait_group wait returned";
      });
      rt.go([&]() -> task<> {
        counted k(7);
        started.fetch_add(1);
        co_await sem.acquire(2);
        ADD_FAILURE() << "semaphore acquire returned";
      });
    }
    rt.go([&]() -> task<> {
      counted k(5);
      started.fetch_add(1);
      co_await rw_r.lock();
      ADD_FAILURE() << "rwmutex lock behind a reader returned";
    });
    wait_until([&] { return started.load() == 6 * kEach + 1; });
    // Every cond waiter has unlocked cond_mu: it is parked in wait().
    cond_mu.lock_blocking();
    cond_mu.unlock();
    still_blocked();
    EXPECT_EQ(counted::live.load(), 6 * kEach + 1);
  }
  EXPECT_EQ(counted::live.load(), 0) << "a parked G's frame was not destroyed";
  EXPECT_EQ(counted::destroyed.load(), counted::constructed.load());
}

// Starts `n` Gs on a fresh runtime that each run `body` (parking on some
// primitive), waits until all are parked, and destroys the runtime.
template <class Body>
void park_and_tear_down(int n, Body body) {
  std::atomic<int> started{0};
  goro::runtime rt{goro::options{.procs = 2}};
  for (int i = 0; i < n; ++i) {
    rt.go([&started, body]() -> task<> {
      started.fetch_add(1);
      co_await body();
      ADD_FAILURE() << "a G that should stay parked went on";
    });
  }
  wait_until([&] { return started.load() == n; });
  still_blocked();
}

TEST(Teardown, MutexForgetsDeadWaiters) {
  goro::mutex mu;
  mu.lock_blocking();
  park_and_tear_down(3, [&mu]() -> task<> { co_await mu.lock(); });
  mu.unlock();  // nobody to hand it to
  EXPECT_TRUE(mu.try_lock()) << "unlock handed the mutex to a dead G";
  mu.unlock();
  // Real contention afterwards: exclusion and progress as usual, and a
  // waiter still waits while the mutex is held.
  goro::runtime rt{goro::options{.procs = 2}};
  const std::int64_t n = rt.block_on([&mu]() -> task<std::int64_t> {
    std::int64_t counter = 0;
    std::atomic<bool> inside{false};
    std::atomic<int> overlaps{0};
    goro::wait_group wg;
    for (int g = 0; g < 4; ++g) {
      wg.go([&]() -> task<> {
        for (int k = 0; k < 200; ++k) {
          co_await mu.lock();
          if (inside.exchange(true)) overlaps.fetch_add(1);
          ++counter;
          if (k % 3 == 0) co_await goro::yield();
          inside.store(false);
          mu.unlock();
        }
      });
    }
    co_await wg.wait();
    EXPECT_EQ(overlaps.load(), 0);
    co_return counter;
  });
  EXPECT_EQ(n, 800);
  std::atomic<int> stage{0};
  mu.lock_blocking();
  rt.go([&]() -> task<> {
    stage.store(1);
    co_await mu.lock();
    stage.store(2);
    mu.unlock();
  });
  wait_until([&] { return stage.load() == 1; });
  still_blocked();
  EXPECT_EQ(stage.load(), 1) << "lock() returned while the mutex was held";
  mu.unlock();
  wait_until([&] { return stage.load() == 2; });
}

TEST(Teardown, CondForgetsDeadWaiters) {
  goro::mutex mu;
  goro::cond c;
  park_and_tear_down(3, [&]() -> task<> {
    co_await mu.lock();
    co_await c.wait(mu);
  });
  EXPECT_TRUE(mu.try_lock()) << "a dead waiter holds the mutex";
  mu.unlock();
  // A signal now goes to a live waiter, not to a dead one.
  std::vector<int> order;
  std::atomic<int> waiting{0};
  goro::runtime rt{goro::options{.procs = 2}};
  start_waiters_in_order(rt, mu, c, order, waiting, 0, 1);
  c.signal();
  // Bounded, so that a lost signal fails here instead of timing out.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (locked_size(mu, order) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(locked_size(mu, order), 1u)
      << "the signal went to a dead waiter's ticket: the live waiter slept on";
  c.broadcast();  // wakes it in any case (the signal's failure is reported)
  wait_until([&] { return locked_size(mu, order) == 1; });
  EXPECT_TRUE(mu.try_lock());
  mu.unlock();
}

TEST(Teardown, WaitGroupForgetsDeadWaiters) {
  goro::wait_group wg;
  wg.add(1);
  park_and_tear_down(3, [&wg]() -> task<> { co_await wg.wait(); });
  wg.done();
  wg.wait_blocking();
  // The next round: its wait must return after its done, and normally.
  goro::runtime rt{goro::options{.procs = 2}};
  const std::string what = rt.block_on([&wg]() -> task<std::string> {
    std::atomic<bool> done{false};
    wg.add(1);
    goro::go([&wg, &done]() -> task<> {
      for (int i = 0; i < 20; ++i) co_await goro::yield();
      done.store(true);
      wg.done();
    });
    std::string what = "ok";
    try {
      co_await wg.wait();
      if (!done.load()) what = "wait returned before the done";
    } catch (const std::exception& e) {
      what = e.what();
    }
    // Let the G finish before the references it holds go away.
    while (!done.load()) co_await goro::yield();
    co_return what;
  });
  EXPECT_EQ(what, "ok") << "a wait after a teardown with parked waiters";
}

TEST(Teardown, SemaphoreForgetsDeadWaiters) {
  goro::semaphore sem(3);
  ASSERT_TRUE(sem.try_acquire(2));
  park_and_tear_down(3, [&sem]() -> task<> { co_await sem.acquire(2); });
  EXPECT_FALSE(sem.try_acquire(2)) << "1 unit is free, not 2";
  sem.release(2);
  EXPECT_TRUE(sem.try_acquire(3)) << "a dead G's request is still queued";
  sem.release(3);
  goro::runtime rt{goro::options{.procs = 2}};
  rt.block_on([&sem]() -> task<> {
    co_await sem.acquire(3);
    sem.release(3);
  });
}

// The rwmutex: after a teardown with Gs parked in lock()
// (behind a reader) and in lock() / lock_shared() (behind a writer), the
// rwmutexes behave as if those Gs had never been there. (rwmutex.h, unlike
// mutex.h, cond.h and semaphore.h, does not state it; the test holds
// rwmutex to the same rule. Checked with ASSERTs, so that a failure does not
// go on to a fatal unlock.)
TEST(Teardown, RWMutexForgetsDeadWaiters) {
  counted::reset();
  goro::rwmutex rw_w;  // held by a writer: lock and lock_shared wait
  goro::rwmutex rw_r;  // held by a reader: a writer waits for it
  std::atomic<int> started{0};
  {
    goro::runtime rt{goro::options{.procs = 2}};
    rw_w.lock_blocking();
    rw_r.lock_shared_blocking();
    for (int i = 0; i < 3; ++i) {
      rt.go([&]() -> task<> {
        counted k(3);
        started.fetch_add(1);
        co_await rw_w.lock();
        ADD_FAILURE() << "rwmutex lock returned";
      });
      rt.go([&]() -> task<> {
        counted k(4);
        started.fetch_add(1);
        co_await rw_w.lock_shared();
        ADD_FAILURE() << "rwmutex lock_shared returned";
      });
    }
    rt.go([&]() -> task<> {
      counted k(5);
      started.fetch_add(1);
      co_await rw_r.lock();
      ADD_FAILURE() << "rwmutex lock behind a reader returned";
    });
    wait_until([&] { return started.load() == 7; });
    still_blocked();
    EXPECT_EQ(counted::live.load(), 7);
  }
  EXPECT_EQ(counted::live.load(), 0) << "a parked G's frame was not destroyed";
  // rw_w: only the test thread's write lock is left.
  rw_w.unlock();
  const bool w_free = rw_w.try_lock();
  EXPECT_TRUE(w_free) << "dead readers (or writers) of rw_w are still counted";
  if (w_free) {  // (otherwise unlocking would be the fatal error)
    rw_w.unlock();
    EXPECT_TRUE(rw_w.try_lock_shared());
    rw_w.unlock_shared();
  }
  // rw_r: only the test thread's read lock is left.
  const bool r_free = rw_r.try_lock_shared();
  EXPECT_TRUE(r_free) << "a dead writer still holds up readers";
  if (r_free) {
    rw_r.unlock_shared();
    rw_r.unlock_shared();
    EXPECT_TRUE(rw_r.try_lock()) << "a dead writer still holds rw_r";
  }
}

// Runs wake() (from this plain thread) while the only P of a runtime is
// busy with a G that runs on for a while, and destroys the runtime before
// that P is free again: a G woken by wake() is destroyed without having
// run. `park` starts the Gs that must be parked first.
template <class Park, class Wake>
void wake_then_tear_down(Park park, Wake wake) {
  // Declared before the runtime: the busy G uses them until it is gone.
  std::atomic<bool> hog_in{false};
  std::atomic<bool> go_on{false};
  goro::runtime rt{goro::options{.procs = 1}};
  park(rt);
  still_blocked();  // every G park() started is parked now
  rt.go([&]() -> task<> {
    hog_in.store(true);
    while (!go_on.load()) {
    }
    // Busy past the runtime's destruction, which waits for this G.
    const auto until =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    while (std::chrono::steady_clock::now() < until) {
    }
    co_return;
  });
  wait_until([&] { return hog_in.load(); });
  wake();  // the woken G goes to the run queue behind the busy one
  go_on.store(true);
}

TEST(Teardown, MutexWaiterWokenButDestroyedPassesTheWakeupOn) {
  goro::mutex mu;
  mu.lock_blocking();
  std::atomic<bool> thread_locked{false};
  std::thread waiter;
  wake_then_tear_down(
      [&](goro::runtime& rt) {
        rt.go([&]() -> task<> {
          co_await mu.lock();
          ADD_FAILURE() << "the woken G ran";
          mu.unlock();
        });
        still_blocked();  // the G is first in line
        waiter = std::thread([&] {
          mu.lock_blocking();
          thread_locked.store(true);
          mu.unlock();
        });
      },
      [&] { mu.unlock(); });  // wakes the G (normal mode), not the thread
  // The G died holding the wake-up (kWoken): the thread must get it now.
  wait_until([&] { return thread_locked.load(); });
  waiter.join();
  EXPECT_TRUE(mu.try_lock());
  mu.unlock();
}

// Waits on c once, counting itself in `parked` first; then sets *woke, or
// (woke null: a G that must be destroyed while it waits) reports a failure.
task<> cond_waiter(goro::mutex* mu, goro::cond* c, std::atomic<int>* parked,
                   std::atomic<bool>* woke) {
  co_await mu->lock();
  parked->fetch_add(1);
  co_await c->wait(*mu);
  if (woke != nullptr) {
    woke->store(true);
  } else {
    ADD_FAILURE() << "a notified G that should have been destroyed ran";
  }
  mu->unlock();
}

TEST(Teardown, CondWaiterSignaledButDestroyedPassesTheSignalOn) {
  goro::mutex mu;
  goro::cond c;
  std::atomic<int> parked{0};
  std::atomic<bool> second_woke{false};
  goro::runtime other{goro::options{.procs = 1}};
  wake_then_tear_down(
      [&](goro::runtime& rt) {
        rt.go(cond_waiter, &mu, &c, &parked, nullptr);
        wait_until([&] { return parked.load() == 1; });
        other.go(cond_waiter, &mu, &c, &parked, &second_woke);
        wait_until([&] { return parked.load() == 2; });
      },
      [&] { c.signal(); });  // notifies the first waiter only
  // The first waiter died with the signal: the second must have it now.
  wait_until([&] { return second_woke.load(); });
  EXPECT_TRUE(mu.try_lock());
  mu.unlock();
}

TEST(Teardown, CondBroadcastToADestroyedWaiterWakesNobodyElse) {
  goro::mutex mu;
  goro::cond c;
  std::atomic<int> parked{0};
  std::atomic<bool> late_woke{false};
  goro::runtime other{goro::options{.procs = 1}};
  wake_then_tear_down(
      [&](goro::runtime& rt) {
        rt.go(cond_waiter, &mu, &c, &parked, nullptr);
        wait_until([&] { return parked.load() == 1; });
      },
      [&] { c.broadcast(); });
  // A waiter that came after the broadcast is not woken by the dead one.
  other.go(cond_waiter, &mu, &c, &parked, &late_woke);
  wait_until([&] { return parked.load() == 2; });
  still_blocked();
  EXPECT_FALSE(late_woke.load()) << "a spurious wake-up";
  c.signal();
  wait_until([&] { return late_woke.load(); });
}

TEST(Teardown, OnceWhoseFDiedSuspendedIsNotDone) {
  goro::once o;
  goro::mutex never;  // f waits on it forever
  never.lock_blocking();
  {
    goro::runtime rt{goro::options{.procs = 1}};
    std::atomic<bool> in_f{false};
    rt.go([&]() -> task<> {
      co_await o.call([&]() -> task<> {
        in_f.store(true);
        co_await never.lock();
        ADD_FAILURE() << "f went on";
      });
    });
    wait_until([&] { return in_f.load(); });
    still_blocked();
  }
  never.unlock();
  // f neither returned nor threw: the next call runs its f.
  bool ran = false;
  goro::runtime rt{goro::options{.procs = 1}};
  rt.block_on([&]() -> task<> { co_await o.call([&] { ran = true; }); });
  EXPECT_TRUE(ran) << "a once whose f was destroyed mid-way counts as done";
}

// =========================================================== death tests

class SyncDeath : public ::testing::Test {
 protected:
  void SetUp() override {
    // The runtime has threads: re-execute the binary for each death test.
    GTEST_FLAG_SET(death_test_style, "threadsafe");
  }
};

TEST_F(SyncDeath, UnlockOfUnlockedMutex) {
  EXPECT_DEATH(
      {
        goro::mutex mu;
        mu.unlock();
      },
      "goro: fatal error: sync: unlock of unlocked mutex");
  // From a G, and after a lock/unlock pair.
  EXPECT_DEATH(
      {
        goro::runtime rt{goro::options{.procs = 1}};
        rt.block_on([]() -> task<> {
          goro::mutex mu;
          co_await mu.lock();
          mu.unlock();
          mu.unlock();
        });
      },
      "goro: fatal error: sync: unlock of unlocked mutex");
}

TEST_F(SyncDeath, UnlockOfUnlockedRWMutex) {
  EXPECT_DEATH(
      {
        goro::rwmutex rw;
        rw.unlock();
      },
      "goro: fatal error: sync: Unlock of unlocked RWMutex");
  EXPECT_DEATH(
      {
        goro::rwmutex rw;
        rw.lock_shared_blocking();
        rw.unlock();  // a read lock is not a write lock
      },
      "goro: fatal error: sync: Unlock of unlocked RWMutex");
}

TEST_F(SyncDeath, RUnlockOfUnlockedRWMutex) {
  EXPECT_DEATH(
      {
        goro::rwmutex rw;
        rw.unlock_shared();
      },
      "goro: fatal error: sync: RUnlock of unlocked RWMutex");
  EXPECT_DEATH(
      {
        goro::rwmutex rw;
        rw.lock_blocking();
        rw.unlock();
        rw.unlock_shared();
      },
      "goro: fatal error: sync: RUnlock of unlocked RWMutex");
}

// cond::wait requires the mutex held: waiting with it unlocked is the
// fatal unlock of an unlocked mutex.
TEST_F(SyncDeath, CondWaitWithoutTheMutex) {
  EXPECT_DEATH(
      {
        goro::runtime rt{goro::options{.procs = 1}};
        rt.block_on([]() -> task<> {
          goro::mutex mu;
          goro::cond c;
          co_await c.wait(mu);
        });
      },
      "goro: fatal error: sync: unlock of unlocked mutex");
}

// wg.go's f throwing: done() is not called and the process ends as for an
// unobserved G exception (so wait cannot return and race the crash).
TEST_F(SyncDeath, WaitGroupGoThrowingEndsTheProcess) {
  EXPECT_DEATH(
      {
        goro::runtime rt{goro::options{.procs = 2}};
        rt.block_on([]() -> task<> {
          goro::wait_group wg;
          wg.go([] { throw std::runtime_error("wg-go-boom-4242"); });
          co_await wg.wait();
        });
      },
      "G [0-9]+.*wg-go-boom-4242");
}

}  // namespace
