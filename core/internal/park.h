// park: the one way a G waits (Go's gopark).
//
// Every wait in goro (a channel operation, a select, a lock, a wait group, a
// cond, a semaphore, a sleep, a join, a yield) suspends the waiting G the
// same way:
//
//  1. The awaiter's await_suspend calls park(g, frame, commit, arg, why).
//     park only writes the G's park notes (in its trampoline,
//     trampoline.h): the frame to resume, the commit function and its
//     argument, and the wait reason. Nothing is published
//     yet: the G is still running (see "The publication rule", g.h).
//  2. The frame suspends; the M's loop sees kind == park, records the
//     park's (coarse) time in the G and calls commit(arg, g) on the M's
//     stack (scheduler::after_suspend).
//  3. commit publishes the G to whoever will wake it (links a waiter record
//     and releases the lock it took in await_ready, arms a timer, pushes
//     the G on a run queue for a yield) and tells the M what to do next:
//       nullptr  the G is published; the M must not touch it again;
//       g        the event already happened: resume g at once (Go's
//                gopark whose unlock function refuses);
//       other    g stays published (owned by `other`'s finish) and the M
//                runs `other` next, in g's time slice (a join that claims
//                its target: runtime/internal/join.cc).
//  4. The waker makes the G runnable exactly once (wake_token.h); the M
//     that takes it resumes the frame, and the awaiter's await_resume reads
//     what the waker left in its record.
//
// Waits that take several steps. Some waits cannot end with the wake-up: a
// woken mutex waiter in Go's normal mode must still compete for the lock
// and may have to wait again, and rwmutex and cond waits queue on more than
// one thing in turn. Their commit sets g->repark before publishing the G:
// the M then runs the commit again each time the G is scheduled, before the
// frame resumes, until it returns g (the wait is over). The frame resumes
// once, when the whole wait is over.
//
// Wait reasons. Each park names what the G waits for, with Go's strings
// where Go has one (runtime/runtime2.go, waitReasonStrings), and the G keeps
// the reason and the (coarse) time it parked while it waits: a goroutine
// dump and a deadlock report print exactly these.
#ifndef GORO_CORE_INTERNAL_PARK_H_
#define GORO_CORE_INTERNAL_PARK_H_

#include <coroutine>

#include "goro/core/internal/trampoline.h"
#include "goro/core/internal/wait_reason.h"

namespace goro::internal {

// Step 1: records the park notes (trampoline.h) of the G `t` (a promise's
// g_), whose frame `h` (promise `hp`) is suspending. t must not be null:
// the awaiter checks that the frame runs as a G first
// (runtime/internal/park.h does). Inline: a handful of stores into the
// trampoline, which user code already writes on every frame hop.
inline void park(trampoline* t, std::coroutine_handle<> h, promise_base* hp,
                 park_commit_fn commit, void* arg, wait_reason why) noexcept {
  t->resume = h;
  t->resume_promise = hp;
  t->park_fn = commit;
  t->park_arg = arg;
  t->kind = suspend_kind::park;
  t->reason = why;
}

}  // namespace goro::internal

#endif  // GORO_CORE_INTERNAL_PARK_H_
