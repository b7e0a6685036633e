// No touch after the last grant: a sync primitive may be freed by the G it
// just woke. C++ lets a program destroy a mutex once it is unlocked and a
// condition variable once every waiter is notified (POSIX and
// std::condition_variable promise it), so an unlock, release or broadcast
// must not touch the primitive after the grant that lets its last user go
// (core/internal/waiter.h). Each test below frees a heap-allocated
// primitive from the woken G, while the waker (a plain thread, so that the
// woken G runs at once on an M) is still inside its call; ASan reports the
// use after free, TSan the race with operator delete, and the plain build
// the corrupted state some of the time. Many rounds, since each is a race.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "goro/goro.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace {

using goro::task;
using goro_test::scaled;

// Spins (yielding the thread) until pred holds.
template <class Pred>
void spin_until(Pred pred) {
  while (!pred()) std::this_thread::yield();
}

// Gives Gs that announced themselves time to park.
void let_them_park() {
  std::this_thread::sleep_for(std::chrono::microseconds(200));
}

class NoTouchAfterLastGrant : public ::testing::TestWithParam<int> {};

// mutex: the woken waiter locks, unlocks and deletes the mutex while the
// unlocking thread is still in unlock() (it used to store the wake-up time
// after waking the waiter).
TEST_P(NoTouchAfterLastGrant, MutexFreedByTheWokenWaiter) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  const int rounds = static_cast<int>(scaled(400, 4));
  for (int i = 0; i < rounds; ++i) {
    auto* mu = new goro::mutex;
    std::atomic<int> state{0};
    mu->lock_blocking();
    rt.go(
        [](goro::mutex* mu, std::atomic<int>* state) -> task<> {
          state->store(1);
          co_await mu->lock();
          mu->unlock();
          delete mu;
          state->store(2);
        },
        mu, &state);
    spin_until([&] { return state.load() == 1; });
    let_them_park();
    mu->unlock();
    spin_until([&] { return state.load() == 2; });
  }
}

// rwmutex: a writer's unlock lets in a waiting reader, which unlocks and
// deletes the rwmutex (the unlock used to unlock its writer mutex after
// letting the readers in: "sync: unlock of unlocked mutex").
TEST_P(NoTouchAfterLastGrant, RWMutexFreedByAReaderLetIn) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  const int rounds = static_cast<int>(scaled(400, 4));
  for (int i = 0; i < rounds; ++i) {
    auto* rw = new goro::rwmutex;
    std::atomic<int> state{0};
    rw->lock_blocking();
    rt.go(
        [](goro::rwmutex* rw, std::atomic<int>* state) -> task<> {
          state->store(1);
          co_await rw->lock_shared();
          rw->unlock_shared();
          delete rw;
          state->store(2);
        },
        rw, &state);
    spin_until([&] { return state.load() == 1; });
    let_them_park();
    rw->unlock();
    spin_until([&] { return state.load() == 2; });
  }
}

// cond: a broadcast wakes a multiple of 16 waiters (the size of the batches
// it used to wake in, retaking the lock after each); the last to return
// from wait deletes the cond.
TEST_P(NoTouchAfterLastGrant, CondFreedByTheLastWokenWaiter) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  const int rounds = static_cast<int>(scaled(100, 4));
  for (const int waiters : {16, 32}) {
    for (int i = 0; i < rounds; ++i) {
      goro::mutex mu;
      auto* c = new goro::cond;
      int waiting = 0;  // guarded by mu
      std::atomic<int> woken{0};
      for (int k = 0; k < waiters; ++k) {
        rt.go(
            [](goro::mutex* mu, goro::cond* c, int* waiting,
               std::atomic<int>* woken, int n) -> task<> {
              co_await mu->lock();
              ++*waiting;
              co_await c->wait(*mu);
              mu->unlock();
              if (woken->fetch_add(1) + 1 == n) delete c;
            },
            &mu, c, &waiting, &woken, waiters);
      }
      // Once the count shows every waiter, each has its ticket (a waiter
      // takes it before wait unlocks mu).
      spin_until([&] {
        mu.lock_blocking();
        const bool all = waiting == waiters;
        mu.unlock();
        return all;
      });
      let_them_park();
      c->broadcast();  // not holding mu: the woken run at once
      spin_until([&] { return woken.load() == waiters; });
      mu.lock_blocking();  // the last waiter has let go of mu too
      mu.unlock();
    }
  }
}

// semaphore: one release grants a multiple of 16 waiters (its old batch
// size); the last granted G to let go deletes the semaphore.
TEST_P(NoTouchAfterLastGrant, SemaphoreFreedByTheLastGrantedWaiter) {
  goro::runtime rt{goro::options{.procs = GetParam()}};
  const int rounds = static_cast<int>(scaled(100, 4));
  for (const int waiters : {16, 32}) {
    for (int i = 0; i < rounds; ++i) {
      auto* s = new goro::semaphore(waiters);
      ASSERT_TRUE(s->try_acquire(waiters));
      std::atomic<int> started{0}, finished{0};
      for (int k = 0; k < waiters; ++k) {
        rt.go(
            [](goro::semaphore* s, std::atomic<int>* started,
               std::atomic<int>* finished, int n) -> task<> {
              started->fetch_add(1);
              co_await s->acquire(1);
              s->release(1);
              if (finished->fetch_add(1) + 1 == n) delete s;
            },
            s, &started, &finished, waiters);
      }
      spin_until([&] { return started.load() == waiters; });
      let_them_park();
      s->release(waiters);
      spin_until([&] { return finished.load() == waiters; });
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Procs, NoTouchAfterLastGrant,
                         ::testing::Values(1, 2, 4), [](const auto& info) {
                           return "procs" + std::to_string(info.param);
                         });

}  // namespace
