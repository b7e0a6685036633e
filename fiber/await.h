// goro::await(x): co_await for code running on a fiber.
//
//   void worker(goro::chan<int> in, goro::mutex& mu) {   // an ordinary
//   function
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

#include "goro/runtime/internal/blocking.h"
#include "goro/task/task.h"

namespace goro {

namespace internal {
[[noreturn]] void throw_await_outside_fiber();
}  // namespace internal

template <class A>
internal::await_result_t<A&&> await(A&& x) {
  internal::wait_context* ctx = internal::current_wait_context();
  if (ctx == nullptr) internal::throw_await_outside_fiber();
  return internal::await_in(ctx, std::forward<A>(x));
}

}  // namespace goro

#endif  // GORO_FIBER_AWAIT_H_
