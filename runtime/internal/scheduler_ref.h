// The few scheduler entry points that public, header-only templates
// (join_handle, go, co_spawn, yield) call, declared without pulling the
// scheduler's own header into every user's translation unit.
#ifndef GORO_RUNTIME_INTERNAL_SCHEDULER_REF_H_
#define GORO_RUNTIME_INTERNAL_SCHEDULER_REF_H_

#include <coroutine>

#include "goro/runtime/internal/g.h"

namespace goro::internal {

class scheduler;

// The scheduler of the runtime whose G is running on this thread; throws
// std::logic_error naming `what` if there is none.
scheduler* current_scheduler_or_throw(const char* what);

// scheduler::spawn / drop_ref, out of line.
g* spawn_g(scheduler* s, std::coroutine_handle<> root,
           promise_base* root_promise, bool joinable);
void drop_ref(g* gp) noexcept;
// The park commit of a join: `me` waits for `target` (a park_commit_fn).
g* join_park(g* me, g* target);

[[noreturn]] void throw_empty_join_handle();
// Throws std::logic_error unless the calling thread runs a G of target's
// runtime.
void check_join_allowed(g* target);
// Throws std::logic_error: `what` needs a G, and the awaiting coroutine is
// not running as one (a goro::task driven by a foreign coroutine type).
[[noreturn]] void throw_not_in_g(const char* what);
[[noreturn]] void throw_join_handle_awaited_twice();

}  // namespace goro::internal

#endif  // GORO_RUNTIME_INTERNAL_SCHEDULER_REF_H_
