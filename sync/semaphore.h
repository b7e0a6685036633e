// goro::semaphore: a weighted semaphore for Gs, with the semantics of Go's
// golang.org/x/sync/semaphore.Weighted.
//
//   goro::semaphore mem(1 << 30);          // bytes of buffer we may hold
//   co_await mem.acquire(len);             // waits for len units
//   ...
//   mem.release(len);
//
// Contract:
//  - semaphore(size): size units, all free. A negative size throws
//    goro::sync_error.
//  - co_await acquire(n) (n defaults to 1) returns once the caller holds n
//    more units; it suspends the G while it waits, never the thread.
//    Requests are served strictly in arrival order: a request waits while
//    anyone is waiting ahead of it, even if its own units are free, so a
//    large request is never starved by small ones.
//  - try_acquire(n) takes n units only if they are free and nobody waits.
//  - release(n) returns n units and grants the waiters at the head of the
//    queue whose requests now fit. It never blocks. Releasing more than is
//    held throws sync_error("semaphore: released more than held").
//  - acquire/try_acquire of more than size (which could never be granted)
//    or of a negative weight throw sync_error at once. (Go's x/sync would
//    wait for its context to end; goro has no context parameter here.)
//  - acquire_blocking(n): acquire for code that cannot co_await: it blocks
//    a plain thread, suspends a fiber (goro/fiber/stackful.h), and throws
//    std::logic_error in a stackless G.
//  - Memory: a release happens before the return of every acquire it
//    grants.
//  - At runtime teardown, Gs parked in acquire() are destroyed and their
//    requests withdrawn.
#ifndef GORO_SYNC_SEMAPHORE_H_
#define GORO_SYNC_SEMAPHORE_H_

#include <coroutine>
#include <cstdint>

#include "goro/sync/internal/semaphore_core.h"
#include "goro/sync/internal/sync_op.h"

namespace goro {

class semaphore {
 public:
  class acquire_awaiter;

  explicit semaphore(std::int64_t size) : core_(size) {}
  semaphore(const semaphore&) = delete;
  semaphore& operator=(const semaphore&) = delete;

  [[nodiscard]] acquire_awaiter acquire(std::int64_t n = 1) noexcept;
  bool try_acquire(std::int64_t n = 1) {
    core_.check_request(n);
    return core_.try_acquire(n);
  }
  void release(std::int64_t n = 1) { core_.release(n); }
  void acquire_blocking(std::int64_t n = 1);

 private:
  internal::semaphore_core core_;
};

class [[nodiscard]] semaphore::acquire_awaiter {
 public:
  acquire_awaiter(internal::semaphore_core* s, std::int64_t n) noexcept
      : op_(s, n) {}
  acquire_awaiter(const acquire_awaiter&) = delete;
  acquire_awaiter& operator=(const acquire_awaiter&) = delete;
  ~acquire_awaiter() { op_.cancel(); }

  bool await_ready() {
    op_.s->check_request(op_.w.n);
    return op_.s->try_acquire(op_.w.n);
  }
  template <class Promise>
  void await_suspend(std::coroutine_handle<Promise> h) {
    internal::await_on(&op_, h, internal::wait_reason::semacquire,
                       "co_await on semaphore::acquire()");
  }
  void await_resume() noexcept {}

 private:
  internal::semaphore_op op_;
};

inline semaphore::acquire_awaiter semaphore::acquire(std::int64_t n) noexcept {
  return acquire_awaiter(&core_, n);
}

}  // namespace goro

#endif  // GORO_SYNC_SEMAPHORE_H_
