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
//  - A G (await_on below): the awaiter's await_suspend records the park
//    notes with sync_op_commit as park function and sets g::repark; the M
//    runs advance once the frame is suspended, and again each time the G is
//    scheduled after a wake-up, until it returns true; only then does the
//    frame resume (runtime/internal/g.h, "Waits that take several steps").
//  - A plain thread (block_on): `while (!advance(op)) park();` on a parker.
//  - A fiber (the stackful issue): the same loop, switching away instead of
//    parking.
//
// The fast paths (an uncontended lock, a zero counter) run in await_ready,
// in the G, before anything is suspended; only the slow path pays for the
// suspension and the park commit.
#ifndef GORO_SYNC_INTERNAL_SYNC_OP_H_
#define GORO_SYNC_INTERNAL_SYNC_OP_H_

#include <coroutine>
#include <type_traits>

#include "goro/runtime/internal/g.h"
#include "goro/runtime/internal/scheduler_ref.h"
#include "goro/runtime/internal/wake_token.h"
#include "goro/task/internal/promise.h"

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

// Throws std::logic_error naming `what` if the calling thread is an M
// (goro/runtime/runtime.h).
void check_not_in_g(const char* what);

// await_suspend of every sync awaiter: park the G and drive op from the
// park commit. A goro::task driven by a foreign coroutine has no G to park:
// that throws std::logic_error naming `what`, before op has done anything.
template <class Promise>
void await_on(sync_op* op, std::coroutine_handle<Promise> h,
              const char* what) {
  static_assert(std::is_base_of_v<promise_base, Promise>,
                "goro sync primitives can only be awaited from a goro::task");
  g* me = h.promise().g_;
  if (me == nullptr) throw_not_in_g(what);
  op->self = wake_token{me, nullptr};
  me->resume = h;
  me->resume_promise = &h.promise();
  me->kind = suspend_kind::park;
  me->park_fn = &sync_op_commit;
  me->park_arg = op;
  me->repark = true;
}

}  // namespace goro::internal

#endif  // GORO_SYNC_INTERNAL_SYNC_OP_H_
