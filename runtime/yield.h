// goro::yield(): Go's runtime.Gosched.
//
//   co_await goro::yield();
//
// Suspends the current G and puts it at the back of the runtime's global
// run queue, letting other runnable Gs run; it resumes later, possibly on
// another thread. As in Go, no strict order is promised: Ps look at the
// global queue first every 61st schedule, so the yielder can occasionally
// run again before Gs queued locally. It never blocks the thread. Awaiting
// it from a goro::task that is not running as a G (driven by a foreign
// coroutine type) throws std::logic_error.
#ifndef GORO_RUNTIME_YIELD_H_
#define GORO_RUNTIME_YIELD_H_

#include <coroutine>
#include <type_traits>

#include "goro/runtime/internal/g.h"
#include "goro/runtime/internal/scheduler_ref.h"
#include "goro/task/task.h"

namespace goro {

namespace internal {
struct yield_awaiter {
  bool await_ready() const noexcept { return false; }
  template <class ParentPromise>
  void await_suspend(std::coroutine_handle<ParentPromise> parent) const {
    static_assert(std::is_base_of_v<promise_base, ParentPromise>,
                  "goro::yield() can only be awaited from a goro::task");
    g* me = parent.promise().g_;
    if (me == nullptr) throw_not_in_g("co_await goro::yield()");
    me->resume = parent;
    me->resume_promise = &parent.promise();
    me->kind = suspend_kind::yield;
  }
  void await_resume() const noexcept {}
};
}  // namespace internal

[[nodiscard]] inline internal::yield_awaiter yield() noexcept { return {}; }

}  // namespace goro

#endif  // GORO_RUNTIME_YIELD_H_
