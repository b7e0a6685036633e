// goro::wait_group: Go's sync.WaitGroup: wait for a collection of Gs.
//
//   goro::wait_group wg;
//   for (int i = 0; i < n; ++i) wg.go(worker, i);   // add(1), spawn, done()
//   co_await wg.wait();
//
// Contract:
//  - add(delta) adds delta (may be negative) to the counter; done() is
//    add(-1). When the counter reaches zero, every G or thread waiting is
//    released. Neither ever blocks or suspends.
//  - A counter below zero throws goro::sync_error("sync: negative WaitGroup
//    counter") from the add/done that took it there (the group is unusable
//    afterwards, as in Go).
//  - co_await wait() returns at once if the counter is zero, else suspends
//    the G until it reaches zero. Any number of Gs may wait. wait_blocking()
//    is the same for code that cannot co_await: it blocks a plain thread,
//    suspends a fiber (goro/fiber/stackful.h), and throws std::logic_error
//    in a stackless G.
//  - Rules of use, as in Go: an add that starts from zero must happen before
//    the wait it should hold up (call add before spawning, not inside the
//    new G); and a group is reusable once every wait of the previous round
//    has returned. Breaking them is detected where Go detects it and throws
//    sync_error: "sync: WaitGroup misuse: Add called concurrently with
//    Wait" (from add) or "sync: WaitGroup is reused before previous Wait has
//    returned" (from the wait).
//  - wg.go(f, args...) is add(1) then goro::go(f, args...) with done() when
//    f finishes; f may return a goro::task (awaited) or be an ordinary
//    callable. It must be called from inside a G, like goro::go. If f throws,
//    done() is not called and the exception ends the process as an
//    unobserved G exception does (Go 1.25's wg.Go does the same, so that
//    wait cannot return and race the crash).
//  - Memory: every done() happens before the return of the wait it
//    unblocks.
//  - At runtime teardown, Gs parked in wait() are destroyed and withdrawn
//    from the group, which stays usable (goro/runtime/runtime.h).
#ifndef GORO_SYNC_WAIT_GROUP_H_
#define GORO_SYNC_WAIT_GROUP_H_

#include <coroutine>
#include <cstdint>
#include <functional>
#include <type_traits>
#include <utility>

#include "goro/runtime/spawn.h"
#include "goro/sync/internal/sync_op.h"
#include "goro/sync/internal/wait_group_core.h"
#include "goro/task/task.h"

namespace goro {

class wait_group {
 public:
  class wait_awaiter;

  wait_group() noexcept = default;
  wait_group(const wait_group&) = delete;
  wait_group& operator=(const wait_group&) = delete;

  void add(std::int64_t delta) { core_.add(delta); }
  void done() { core_.add(-1); }

  [[nodiscard]] wait_awaiter wait() noexcept;
  void wait_blocking();

  template <class F, class... Args>
  void go(F&& f, Args&&... args);

 private:
  template <class F, class... Args>
  static task<> run_and_done(wait_group* wg, F f, Args... args) {
    if constexpr (internal::is_task_v<std::invoke_result_t<F&, Args&...>>) {
      co_await std::invoke(f, args...);
    } else {
      std::invoke(f, args...);
    }
    wg->done();
  }

  internal::wait_group_core core_;
};

class [[nodiscard]] wait_group::wait_awaiter {
 public:
  explicit wait_awaiter(internal::wait_group_core* wg) noexcept : op_(wg) {}
  wait_awaiter(const wait_awaiter&) = delete;
  wait_awaiter& operator=(const wait_awaiter&) = delete;
  ~wait_awaiter() { op_.cancel(); }

  bool await_ready() const noexcept {
    // ACQUIRE: pairs with the done()s' ACQ_REL adds.
    return internal::wait_group_core::counter(
               op_.wg->state.load(std::memory_order_acquire)) == 0;
  }
  template <class Promise>
  void await_suspend(std::coroutine_handle<Promise> h) {
    internal::await_on(&op_, h, internal::wait_reason::sync_wait_group_wait,
                       "co_await on wait_group::wait()");
  }
  void await_resume() { op_.check_reuse(); }

 private:
  internal::wait_group_op op_;
};

inline wait_group::wait_awaiter wait_group::wait() noexcept {
  return wait_awaiter(&core_);
}

template <class F, class... Args>
void wait_group::go(F&& f, Args&&... args) {
  add(1);
  try {
    // One frame: the coroutine's parameters hold f and the arguments.
    goro::go(run_and_done<std::decay_t<F>, std::decay_t<Args>...>(
        this, std::forward<F>(f), std::forward<Args>(args)...));
  } catch (...) {
    done();  // nothing was spawned
    throw;
  }
}

}  // namespace goro

#endif  // GORO_SYNC_WAIT_GROUP_H_
