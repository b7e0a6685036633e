// goro::cond: Go's sync.Cond: Gs waiting for a condition that other Gs
// change under a goro::mutex.
//
//   goro::mutex mu;
//   goro::cond ready;
//   // waiter:
//   co_await mu.lock();
//   while (!condition) co_await ready.wait(mu);
//   ... use the state ...
//   mu.unlock();
//   // changer:
//   co_await mu.lock(); condition = true; mu.unlock();
//   ready.broadcast();   // or signal(): wake one
//
// Contract:
//  - co_await c.wait(m): the caller must hold m. Atomically with respect to
//    signal and broadcast, it starts waiting and unlocks m; once woken it
//    locks m again before returning. The G is suspended throughout; the
//    thread never blocks. Waiting with m unlocked is the fatal "sync: unlock
//    of unlocked mutex".
//  - No spurious wake-ups: wait() returns only after a signal() or
//    broadcast() that came after it started. (Still loop on the condition:
//    another G may have changed it again before the waiter relocked m.)
//  - signal() wakes the G that has waited longest (FIFO), if any.
//    broadcast() wakes every G that was waiting when it was called, and no G
//    that starts waiting afterwards. Neither blocks; the caller may or may
//    not hold m. With nobody waiting, each is two atomic loads.
//  - One cond may be used with different mutexes by different waiters, as
//    long as each waiter holds the mutex it passes.
//  - Memory: a signal or broadcast happens before the return of every wait
//    it wakes.
//  - At runtime teardown, Gs parked in wait() are destroyed and their waits
//    undone.
#ifndef GORO_SYNC_COND_H_
#define GORO_SYNC_COND_H_

#include <coroutine>

#include "goro/sync/internal/cond_core.h"
#include "goro/sync/internal/sync_op.h"
#include "goro/sync/mutex.h"

namespace goro {

class cond {
 public:
  class wait_awaiter;

  cond() noexcept = default;
  cond(const cond&) = delete;
  cond& operator=(const cond&) = delete;

  [[nodiscard]] wait_awaiter wait(mutex& m) noexcept;
  void signal() noexcept { core_.signal(); }
  void broadcast() noexcept { core_.broadcast(); }

 private:
  internal::cond_core core_;
};

class [[nodiscard]] cond::wait_awaiter {
 public:
  wait_awaiter(internal::cond_core* c, internal::mutex_core* m) noexcept
      : op_(c, m) {}
  wait_awaiter(const wait_awaiter&) = delete;
  wait_awaiter& operator=(const wait_awaiter&) = delete;
  ~wait_awaiter() { op_.cancel(); }

  // Always waits: the ticket is taken and m unlocked from the park commit,
  // once the G is suspended.
  bool await_ready() const noexcept { return false; }
  template <class Promise>
  void await_suspend(std::coroutine_handle<Promise> h) {
    op_.begin();
    internal::await_on(&op_, h, internal::wait_reason::sync_cond_wait,
                       "co_await on cond::wait()");
  }
  void await_resume() noexcept {}

 private:
  internal::cond_wait_op op_;
};

inline cond::wait_awaiter cond::wait(mutex& m) noexcept {
  return wait_awaiter(&core_, &m.core_);
}

}  // namespace goro

#endif  // GORO_SYNC_COND_H_
