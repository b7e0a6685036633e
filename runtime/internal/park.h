// park_on: how an awaiter's await_suspend parks the awaiting G (the typed
// front of core/internal/park.h, which states the protocol).
//
//   template <class Promise>
//   void await_suspend(std::coroutine_handle<Promise> h) {
//     if (!runs_as_g(h)) { undo what await_ready did; throw_not_in_g("..."); }
//     park_on(h, &my_commit, this, wait_reason::chan_receive);
//   }
//
// Neither touches the G's layout beyond the trampoline (core/internal/
// trampoline.h), where park() writes the park notes inline: public
// headers that park compile against the trampoline alone.
#ifndef GORO_RUNTIME_INTERNAL_PARK_H_
#define GORO_RUNTIME_INTERNAL_PARK_H_

#include <coroutine>
#include <type_traits>

#include "goro/core/internal/park.h"
#include "goro/task/internal/promise.h"

namespace goro::internal {

// Whether the frame `h` runs as a G (false: a goro::task driven by a
// coroutine type that is not goro's, which has nothing to park).
template <class Promise>
bool runs_as_g(std::coroutine_handle<Promise> h) noexcept {
  static_assert(std::is_base_of_v<promise_base, Promise>,
                "goro's awaitables (channel operations, select, locks, "
                "sleeps, joins, yield) can only be awaited from a goro::task");
  return h.promise().g_ != nullptr;
}

// Parks the G running `h` with `commit(arg, g)` and the reason `why`.
// Requires runs_as_g(h).
template <class Promise>
void park_on(std::coroutine_handle<Promise> h, park_commit_fn commit, void* arg,
             wait_reason why) noexcept {
  park(h.promise().g_, h, &h.promise(), commit, arg, why);
}

}  // namespace goro::internal

#endif  // GORO_RUNTIME_INTERNAL_PARK_H_
