// block_here: the one dispatch behind every `_blocking` call
// (ch.send_blocking(v), ch.recv_blocking(), m.lock_blocking(),
// rw.lock_blocking() and lock_shared_blocking(), wg.wait_blocking(),
// s.acquire_blocking(n)).
//
// Such a call can be made by three kinds of code, and does what each needs:
//  1. Code with a wait context on this thread (a fiber: goro::go_stackful)
//     waits as `co_await` would in a G: the context suspends the caller
//     and the M runs other Gs meanwhile.
//  2. A stackless G: an error (std::logic_error naming the call). Blocking
//     its thread would stall the M and every G queued behind it.
//  3. A plain thread: blocks the thread, through the awaiter's own
//     thread path (its record names the thread's parker).
// The primitives call block_here and never name fibers: fiber/ plugs into
// case 1 from above by installing itself as the thread's wait context
// while a fiber runs (exchange_wait_context).
//
// A wait context receives a wait_request: the awaiter (await_ready already
// asked, and false) and a function that calls its await_suspend with the
// handle of the coroutine that waits on the context's behalf (a fiber's
// driver task) and returns what that coroutine's own await_suspend should:
// std::noop_coroutine() to stay suspended, the driver's handle if the
// awaiter declined to suspend, or the handle the awaiter transfers to.
// `cancel` destroys the awaiter (for a context abandoned at teardown).
#ifndef GORO_RUNTIME_INTERNAL_BLOCKING_H_
#define GORO_RUNTIME_INTERNAL_BLOCKING_H_

#include <coroutine>
#include <memory>
#include <type_traits>
#include <utility>

#include "goro/task/internal/promise.h"

namespace goro::internal {

struct wait_request {
  void* awaiter = nullptr;
  std::coroutine_handle<> (*suspend)(
      void* awaiter,
      std::coroutine_handle<task_promise<void>> driver) = nullptr;
  void (*cancel)(void* awaiter) noexcept = nullptr;
};

class wait_context {
 public:
  // Called before a wait touches its awaiter; may throw (a fiber being
  // destroyed unwinds instead of waiting). Nothing may throw between an
  // awaiter's await_ready and its await_suspend (a channel operation holds
  // its lock from one to the other), hence this separate first step.
  virtual void before_wait() = 0;
  // Suspends the caller until the request's awaiter may be resumed. Throws
  // what the awaiter's await_suspend threw.
  virtual void wait(wait_request request) = 0;

 protected:
  ~wait_context() = default;
};

// This thread's wait context: non-null while a fiber runs on it. Opaque
// (never inlined): code on a fiber may move to another thread at any wait.
wait_context* current_wait_context() noexcept;
// Installs ctx as this thread's wait context; returns the previous one.
wait_context* exchange_wait_context(wait_context* ctx) noexcept;

// Throws std::logic_error naming `what` if the calling thread is running a
// G: blocking it would stall the M and every G queued behind it.
void check_not_in_g(const char* what);

// What co_await a resolves to: operator co_await (member or free), or a.
template <class A>
decltype(auto) awaiter_of(A&& a) {
  if constexpr (requires { std::forward<A>(a).operator co_await(); }) {
    return std::forward<A>(a).operator co_await();
  } else if constexpr (requires { operator co_await(std::forward<A>(a)); }) {
    return operator co_await(std::forward<A>(a));
  } else {
    return std::forward<A>(a);
  }
}
// co_await calls await_resume on the awaiter as an lvalue; so does await_in.
template <class A>
using awaiter_t =
    std::remove_reference_t<decltype(awaiter_of(std::declval<A>()))>;
template <class A>
using await_result_t = decltype(std::declval<awaiter_t<A>&>().await_resume());

// wait_request::suspend for an awaiter of type Aw.
template <class Aw>
std::coroutine_handle<> suspend_on(
    void* awaiter, std::coroutine_handle<task_promise<void>> driver) {
  Aw& aw = *static_cast<Aw*>(awaiter);
  // The driver (fiber.cc) resumes the frame this returns: noop (the G
  // waits), the driver itself (done at once), or another frame of the same
  // G (a task's). A join would hand the M to another G by transfer
  // (join_direct makes the target the M's current G), which the driver
  // cannot follow where it does not hop directly; such an awaiter offers a
  // plain suspend instead.
  using S = decltype(aw.await_suspend(driver));
  if constexpr (requires { aw.await_suspend_without_transfer(driver); }) {
    if (aw.await_suspend_without_transfer(driver)) {
      return std::noop_coroutine();
    }
    return driver;
  } else if constexpr (std::is_void_v<S>) {
    aw.await_suspend(driver);
    return std::noop_coroutine();
  } else if constexpr (std::is_same_v<S, bool>) {
    if (aw.await_suspend(driver)) return std::noop_coroutine();
    return driver;
  } else {
    return aw.await_suspend(driver);  // symmetric transfer
  }
}

template <class Aw>
void cancel_awaiter(void* awaiter) noexcept {
  static_cast<Aw*>(awaiter)->~Aw();
}

// `co_await x` through the wait context ctx: an operation that can complete
// at once (await_ready) completes here, with no switch.
template <class A>
await_result_t<A&&> await_in(wait_context* ctx, A&& x) {
  ctx->before_wait();
  // The awaiter lives here, on the caller's stack, until this returns.
  auto&& aw = awaiter_of(std::forward<A>(x));
  using Aw = std::remove_reference_t<decltype(aw)>;
  if (!aw.await_ready()) {
    using A0 = std::remove_cv_t<Aw>;
    ctx->wait(wait_request{const_cast<A0*>(std::addressof(aw)), &suspend_on<A0>,
                           &cancel_awaiter<A0>});
  }
  return aw.await_resume();
}

// The dispatch (cases 1-3 above): `aw` is the awaiter co_await would use;
// on_thread() runs the plain-thread path and returns what await_resume
// would.
template <class Aw, class OnThread>
decltype(auto) block_here(Aw&& aw, const char* what, OnThread&& on_thread) {
  if (wait_context* ctx = current_wait_context()) {
    return await_in(ctx, std::forward<Aw>(aw));
  }
  check_not_in_g(what);
  return std::forward<OnThread>(on_thread)();
}

}  // namespace goro::internal

#endif  // GORO_RUNTIME_INTERNAL_BLOCKING_H_
