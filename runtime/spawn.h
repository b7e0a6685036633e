// goro::go and goro::co_spawn: starting Gs.
//
//   goro::go(worker, id, std::move(chan));        // like Go's `go worker(id,
//   ch)` goro::go([&wg] () -> goro::task<> { ...; co_return; });
//   goro::join_handle<int> h = goro::co_spawn(fib, 30);
//   int v = co_await h;
//
// Both take either a ready-made goro::task<T> (by value: std::move it), or a
// callable plus arguments where `f(args...)` returns goro::task<T>. The
// callable and the arguments are decay-copied (moved from rvalues) into the
// new G and kept alive for as long as it runs, so a capturing lambda cannot
// dangle; the coroutine receives the stored arguments as rvalues. Pass
// references explicitly with std::ref if you really mean to share.
//
// The new G is queued on the current P's `runnext` slot: it runs soon, on
// this thread or, if another P is idle, possibly on another one. Neither call
// blocks or suspends the caller.
//
// Both must be called from inside a G: from a plain thread, use
// runtime::go / runtime::co_spawn. Called outside any runtime they throw
// std::logic_error. Passing an empty (moved-from) task throws
// std::logic_error too.
//
// go: the G is detached. An exception escaping it ends the process (a
// message naming the G and the exception on stderr, then abort), like a
// panic in a Go goroutine.
// co_spawn: returns a join_handle<T> (goro/runtime/join_handle.h).
#ifndef GORO_RUNTIME_SPAWN_H_
#define GORO_RUNTIME_SPAWN_H_

#include <utility>

#include "absl/base/attributes.h"
#include "goro/runtime/internal/root_task.h"
#include "goro/runtime/internal/scheduler_ref.h"
#include "goro/runtime/join_handle.h"
#include "goro/task/task.h"

namespace goro {

namespace internal {
[[noreturn]] void throw_spawn_empty_task();
[[noreturn]] void throw_spawn_started_task();

// Throws std::logic_error unless t can become a G's root: not empty, not
// started.
template <class T>
void check_spawnable(const task<T>& t) {
  if (!t) throw_spawn_empty_task();
  if (t.started()) throw_spawn_started_task();
}

template <class T>
join_handle<T> spawn_root(scheduler* s, task<T>&& t, bool joinable) {
  check_spawnable(t);
  std::coroutine_handle<task_promise<T>> h = t.release();
  g* gp = spawn_g(s, h, &h.promise(), joinable);
  if (!joinable) return {};
  return join_handle<T>(gp, h);
}

// The same on the runtime of m, the calling thread's M (go / co_spawn).
// Always inlined: g++ kept it out of line, a call and a return on every
// spawn for a few stores around the one real call (spawn_on).
template <class T>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline join_handle<T> spawn_root_on(
    machine* m, task<T>&& t, bool joinable) {
  check_spawnable(t);
  std::coroutine_handle<task_promise<T>> h = t.release();
  g* gp = spawn_on(m, h, &h.promise(), joinable);
  if (!joinable) return {};
  return join_handle<T>(gp, h);
}
}  // namespace internal

// Both check for a runtime before they touch f or the arguments.
template <class F, class... Args>
void go(F&& f, Args&&... args) {
  internal::machine* m = internal::spawn_target("goro::go");
  (void)internal::spawn_root_on(
      m,
      internal::make_root_task(std::forward<F>(f), std::forward<Args>(args)...),
      /*joinable=*/false);
}

template <class F, class... Args>
auto co_spawn(F&& f, Args&&... args)
    -> join_handle<typename internal::spawn_traits<F, Args...>::value_type> {
  internal::machine* m = internal::spawn_target("goro::co_spawn");
  return internal::spawn_root_on(
      m,
      internal::make_root_task(std::forward<F>(f), std::forward<Args>(args)...),
      /*joinable=*/true);
}

}  // namespace goro

#endif  // GORO_RUNTIME_SPAWN_H_
