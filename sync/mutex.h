// goro::mutex: Go's sync.Mutex for Gs.
//
//   goro::mutex mu;
//   co_await mu.lock();
//   ++shared_counter;
//   mu.unlock();
//
//   auto guard = co_await mu.scoped_lock();   // unlocked when guard dies
//
// Contract:
//  - co_await lock() returns once the calling G holds the mutex. While it
//    waits, the G is suspended and its M runs other Gs; the OS thread never
//    blocks. The uncontended path is one atomic read-modify-write and no
//    suspension.
//  - unlock() releases it and, if Gs are waiting, readies one. It never
//    blocks or suspends. Any G or thread may unlock: the mutex is not owned,
//    as in Go. Unlocking an unlocked mutex is a fatal error: the process
//    ends with "goro: fatal error: sync: unlock of unlocked mutex".
//  - try_lock() takes the mutex if it is free right now; it never waits. It
//    fails while the mutex is locked, and in starvation mode (below) even
//    in the instant between an unlock and the hand-off.
//  - Not reentrant: a G that locks a mutex it already holds waits forever.
//  - lock_blocking() is lock() for code that cannot co_await: on a plain
//    thread it blocks the thread; on a fiber (goro/fiber/stackful.h) it
//    suspends the fiber; from a stackless G it throws std::logic_error.
//  - Memory: every unlock happens before the lock that follows it.
//  - Fairness, Go's two modes: normally a woken waiter competes with Gs that
//    just arrived and may lose the lock to them (throughput); once a waiter
//    has waited more than 1 ms the mutex switches to starvation mode and
//    unlock hands it to the longest waiter directly (no G waits much
//    longer than that behind a G that relocks in a tight loop, even on a
//    single P, where goro, unlike Go, cannot preempt that G: it queues
//    behind the starving waiter instead of taking the lock again).
//  - Destroying a mutex that is locked or waited on is a bug (as in Go,
//    nothing checks it). At runtime teardown, Gs parked in lock() are
//    destroyed and their waits undone.
//
// try_lock() and unlock() have the standard names, so
// std::unique_lock<goro::mutex>(m, std::try_to_lock) and std::adopt_lock
// work (std::unique_lock's own lock() does not: lock() here is awaited).
#ifndef GORO_SYNC_MUTEX_H_
#define GORO_SYNC_MUTEX_H_

#include <coroutine>
#include <mutex>

#include "goro/sync/internal/mutex_core.h"
#include "goro/sync/internal/sync_op.h"
#include "goro/sync/unique_lock.h"

namespace goro {

class mutex {
 public:
  class lock_awaiter;
  class scoped_lock_awaiter;

  mutex() noexcept = default;
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;

  // co_await m.lock(): waits until the mutex is the caller's.
  [[nodiscard]] lock_awaiter lock() noexcept;
  // co_await m.scoped_lock(): the same, returning a guard that unlocks.
  [[nodiscard]] scoped_lock_awaiter scoped_lock() noexcept;
  bool try_lock() noexcept { return core_.try_lock(); }
  void unlock() noexcept { core_.unlock(); }
  void lock_blocking();

 private:
  friend class cond;
  internal::mutex_core core_;
};

class [[nodiscard]] mutex::lock_awaiter {
 public:
  explicit lock_awaiter(internal::mutex_core* m) noexcept : op_(m) {}
  lock_awaiter(const lock_awaiter&) = delete;
  lock_awaiter& operator=(const lock_awaiter&) = delete;
  ~lock_awaiter() { op_.cancel(); }

  bool await_ready() noexcept { return op_.m->lock_fast(); }
  template <class Promise>
  void await_suspend(std::coroutine_handle<Promise> h) {
    op_.begin();
    internal::await_on(&op_, h, internal::wait_reason::sync_mutex_lock,
                       "co_await on mutex::lock()");
  }
  void await_resume() noexcept {}

 private:
  internal::mutex_lock_op op_;
};

class [[nodiscard]] mutex::scoped_lock_awaiter {
 public:
  scoped_lock_awaiter(mutex* m) noexcept : m_(m), lock_(&m->core_) {}

  bool await_ready() noexcept { return lock_.await_ready(); }
  template <class Promise>
  void await_suspend(std::coroutine_handle<Promise> h) {
    lock_.await_suspend(h);
  }
  unique_lock<mutex> await_resume() noexcept {
    lock_.await_resume();
    return unique_lock<mutex>(*m_, std::adopt_lock);
  }

 private:
  mutex* m_;
  lock_awaiter lock_;
};

inline mutex::lock_awaiter mutex::lock() noexcept {
  return lock_awaiter(&core_);
}
inline mutex::scoped_lock_awaiter mutex::scoped_lock() noexcept {
  return scoped_lock_awaiter(this);
}

}  // namespace goro

#endif  // GORO_SYNC_MUTEX_H_
