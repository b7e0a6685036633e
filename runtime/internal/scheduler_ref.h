// The few scheduler entry points that public, header-only templates
// (join_handle, go, co_spawn, yield, the primitives' awaiters) call,
// declared without pulling the scheduler's header into every user's
// translation unit (join_handle reads the G itself: core/internal/g.h).
#ifndef GORO_RUNTIME_INTERNAL_SCHEDULER_REF_H_
#define GORO_RUNTIME_INTERNAL_SCHEDULER_REF_H_

#include <coroutine>
#include <cstdint>

#include "goro/core/internal/park.h"
#include "goro/core/internal/waiter.h"

namespace goro::internal {

class scheduler;
struct g;
struct promise_base;

// The scheduler of the runtime whose G is running on this thread; throws
// std::logic_error naming `what` if there is none.
scheduler* current_scheduler_or_throw(const char* what);

// Throws std::logic_error: `what` was called outside any goro runtime.
[[noreturn]] void throw_outside_runtime(const char* what);

// scheduler::spawn / drop_handle, out of line. spawn_g starts the G on
// `s` from any thread. go / co_spawn from a G first call spawn_target,
// the calling thread's M (it throws std::logic_error naming `what` outside
// any runtime, before the root task is made), then spawn_on with it: the
// runtime and the P come from one thread-local read.
g* spawn_g(scheduler* s, std::coroutine_handle<> root,
           promise_base* root_promise, bool joinable);
struct machine;
machine* spawn_target(const char* what);
g* spawn_on(machine* m, std::coroutine_handle<> root,
            promise_base* root_promise, bool joinable);
void drop_handle(g* gp) noexcept;

// A join in progress: the G joined, and the joiner's waiter record, which
// the joiner links into target's join word (core/internal/waiter.h,
// "Joins"; runtime/internal/join.cc). Lives in the joiner's awaiter.
struct join_wait {
  g* target;  // set before the record leaves idle; read only after
  waiter w;
};

// join_commit run from the joiner's await_suspend, where frames hop
// directly (runtime/join_handle.h), with what the M's loop would do next:
// me parks (or finds its target finished), and the G to run next on this
// M becomes its current G: the target itself if this P could take it
// back, else the joiner when the target finished meanwhile, else another
// local G. Returns that G's frame for the joiner's frame to transfer to,
// or noop_coroutine to go back to the M's loop. me's park notes must be
// written first (park_on).
std::coroutine_handle<> join_direct(g* me, join_wait* jw) noexcept;

// Takes a join's record back from its target's join word, if it is still
// linked there: for an awaiter destroyed while it waits (runtime teardown).
// A join has no grant to pass on (the result stays with the handle).
void join_cancel(join_wait* jw) noexcept;

// Park commits (park_commit_fn) of the runtime's own waits:
//  - join_commit(join_wait, me): me waits for jw->target to finish
//    (runtime/internal/join.cc);
//  - yield_commit(unused, me): me goes to the back of the global queue
//    (Go's Gosched);
//  - park_forever(unused, me): nothing will ever wake me (a nil channel,
//    an empty select); runtime teardown destroys my frames.
g* join_commit(void* jw, g* me);
g* yield_commit(void* unused, g* me);
g* park_forever(void* unused, g* me);

[[noreturn]] void throw_empty_join_handle();
// Throws std::logic_error: a join_handle awaited from a G of another
// runtime than its G's.
[[noreturn]] void throw_join_across_runtimes();
// Throws std::logic_error: `what` needs a G, and the awaiting coroutine is
// not running as one (a goro::task driven by a foreign coroutine type).
[[noreturn]] void throw_not_in_g(const char* what);
[[noreturn]] void throw_join_handle_awaited_twice();

}  // namespace goro::internal

#endif  // GORO_RUNTIME_INTERNAL_SCHEDULER_REF_H_
