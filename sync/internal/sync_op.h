// sync_op: one wait on a sync primitive, written once and driven by
// whatever kind of waiter runs it.
//
// Concept. Every blocking call of the sync package (mutex lock, rwmutex
// lock and lock_shared, cond wait, wait_group wait, semaphore acquire) is a
// small state machine, a sync_op, with one function:
//
//   advance(op) -> true   the wait is over (the lock is ours, the count
//                         reached zero, ...);
//               -> false  the op linked a waiter record, whose `who` is
//                         op->self, and released the queue lock: someone
//                         will wake op->self later, and advance must then be
//                         called again.
//
// advance never blocks and never touches op after the unlock that
// published it. Some waits end with their first wake-up (a semaphore unit
// handed over); others must look again and may wait again (a mutex waiter
// in normal mode competes with newcomers, a writer waits first for the
// writer mutex and then for the readers, a cond waiter then relocks its
// mutex). Either way the driver is the same loop, and the primitive does not
// know what kind of waiter drives it:
//
//  - A G (await_on below): the awaiter's await_suspend parks the G with
//    sync_op_commit as its park commit, which marks the park as one of
//    several steps; the M runs advance once the frame is suspended, and
//    again each time the G is scheduled after a wake-up, until it returns
//    true; only then does the frame resume (core/internal/park.h, "Waits
//    that take several steps").
//  - A plain thread (block_on): `while (!advance(op)) park();` on a parker.
//  - A fiber is a G to the primitives: its driver task awaits the same
//    awaiter on the fiber's behalf (fiber/README.md).
//
// The fast paths (an uncontended lock, a zero counter) run in await_ready,
// in the G, before anything is suspended; only the slow path pays for the
// suspension and the park commit.
#ifndef GORO_SYNC_INTERNAL_SYNC_OP_H_
#define GORO_SYNC_INTERNAL_SYNC_OP_H_

#include <coroutine>
#include <type_traits>

#include "goro/core/internal/park.h"
#include "goro/core/internal/wake_token.h"
#include "goro/runtime/internal/park.h"
#include "goro/runtime/internal/scheduler_ref.h"

namespace goro::internal {

struct sync_op;
using advance_fn = bool (*)(sync_op* op) noexcept;

struct sync_op {
  advance_fn advance;
  wake_token self{};  // who advance's waiter records name
};

// The park function of a G driving an op (a park_commit_fn).
g* sync_op_commit(void* op, g* gp) noexcept;

// Blocks the calling plain thread until op's wait is over. Throws
// std::logic_error (naming `what`) if the thread is running a G: blocking
// the M would stall every G queued behind it.
void block_on(sync_op* op, const char* what);

// await_suspend of every sync awaiter: park the G (waiting for `why`) and
// drive op from the park commit. A goro::task driven by a foreign coroutine
// has no G to park: that throws std::logic_error naming `what`, before op
// has done anything.
template <class Promise>
void await_on(sync_op* op, std::coroutine_handle<Promise> h, wait_reason why,
              const char* what) {
  if (!runs_as_g(h)) throw_not_in_g(what);
  park_on(h, &sync_op_commit, op, why);
}

}  // namespace goro::internal

#endif  // GORO_SYNC_INTERNAL_SYNC_OP_H_
