// goro::await(x): co_await for code running on a fiber.
//
//   void worker(goro::chan<int> in, goro::mutex& mu) {   // an ordinary function
//     while (auto v = goro::await(in.recv())) { ... }
//     goro::await(mu.lock());  ...  mu.unlock();
//     goro::await(goro::sleep_for(10ms));
//     int r = goro::await(compute(7));                    // a goro::task<int>
//   }
//   goro::go_stackful(worker, ch, std::ref(mu));
//
// Contract:
//  - Called on a fiber (a G started with go_stackful / co_spawn_stackful /
//    stackful, goro/fiber/stackful.h), await(x) does what `co_await x` does
//    in a stackless G: it suspends the fiber, not the thread, until x
//    completes (the M runs other Gs meanwhile), then returns x's result
//    (the type co_await x would have, references included) or throws its
//    exception. x may be anything a goro::task can co_await: a task, a
//    join_handle, a channel operation, a select, a lock, a wait group, a
//    sleep, goro::yield().
//  - x is used in place: a temporary lives until the end of the full
//    expression, so `goro::await(ch.recv())` is fine. One difference from
//    co_await: the awaiter that x's operator co_await returns lives only
//    until await returns, so a reference result that points into that
//    awaiter (no goro awaitable returns one) dangles at once.
//  - After it returns, the fiber may be running on another thread
//    (another M). The compiler does not know that: within one function it
//    may reuse a thread_local's address, errno's location and
//    pthread_self() / std::this_thread::get_id() from before the call
//    (glibc declares those const). So read errno right after the call that
//    set it, in the same function, compare no thread ids across a wait,
//    and reach thread_locals through a function that is not inlined.
//  - Called anywhere else (a plain thread, or a stackless G, where the
//    call would have nothing to suspend), it throws std::logic_error and x
//    is not touched.
//  - Cost: an operation that can complete at once (x's await_ready) runs
//    right here, with no switch. One that must wait costs two stack
//    switches on top of the wait itself (benchmarks/README.md, "Fibers").
//  - When a runtime is destroyed with the fiber still waiting, the pending
//    await throws goro's internal fiber_unwind, which unwinds the fiber's
//    stack (its destructors run). It is not a std::exception; a
//    `catch (...)` that swallows it must rethrow. Awaiting again while being
//    unwound throws it again.
#ifndef GORO_FIBER_AWAIT_H_
#define GORO_FIBER_AWAIT_H_

#include <exception>
#include <type_traits>
#include <utility>

#include "goro/fiber/internal/fiber.h"
#include "goro/task/task.h"

namespace goro {

namespace internal {

[[noreturn]] void throw_await_outside_fiber();

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
// co_await calls await_resume on the awaiter as an lvalue; so does await.
template <class A>
using awaiter_t =
    std::remove_reference_t<decltype(awaiter_of(std::declval<A>()))>;
template <class A>
using await_result_t = decltype(std::declval<awaiter_t<A>&>().await_resume());

// wait_request::suspend for an awaiter of type Aw: calls its await_suspend
// with the driver's handle and turns the result into what the driver's
// await_suspend returns (fiber.h, wait_request).
template <class Aw>
std::coroutine_handle<> suspend_on(
    void* awaiter, std::coroutine_handle<task_promise<void>> driver) {
  Aw& aw = *static_cast<Aw*>(awaiter);
  using S = decltype(aw.await_suspend(driver));
  if constexpr (std::is_void_v<S>) {
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

}  // namespace internal

template <class A>
internal::await_result_t<A&&> await(A&& x) {
  internal::fiber* f = internal::fiber::current();
  if (f == nullptr) internal::throw_await_outside_fiber();
  f->before_wait();
  // Once await_ready has been asked, nothing may throw before the driver
  // reaches await_suspend (fiber::before_wait).
  // The awaiter lives here, on the fiber's stack, until await returns.
  auto&& aw = internal::awaiter_of(std::forward<A>(x));
  using Aw = std::remove_reference_t<decltype(aw)>;
  // Ready (a buffered channel with room, a free mutex, a finished G): no
  // switch at all, as co_await would not suspend.
  if (!aw.await_ready()) {
    using A0 = std::remove_cv_t<Aw>;
    f->suspend(internal::wait_request{
        const_cast<A0*>(std::addressof(aw)), &internal::suspend_on<A0>,
        &internal::cancel_awaiter<A0>});
  }
  return aw.await_resume();
}

}  // namespace goro

#endif  // GORO_FIBER_AWAIT_H_
