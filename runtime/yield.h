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

#include "goro/runtime/internal/park.h"
#include "goro/runtime/internal/scheduler_ref.h"
#include "goro/task/task.h"

namespace goro {

namespace internal {
struct yield_awaiter {
  bool await_ready() const noexcept { return false; }
  template <class ParentPromise>
  void await_suspend(std::coroutine_handle<ParentPromise> parent) const {
    if (!runs_as_g(parent)) throw_not_in_g("co_await goro::yield()");
    park_on(parent, &yield_commit, nullptr, wait_reason::yield);
  }
  void await_resume() const noexcept {}
};
}  // namespace internal

[[nodiscard]] inline internal::yield_awaiter yield() noexcept { return {}; }

}  // namespace goro

#endif  // GORO_RUNTIME_YIELD_H_
