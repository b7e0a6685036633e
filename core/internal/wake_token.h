// wake_token: whom to wake when a wait is over, whatever kind of waiter it
// is.
//
// Every wait queue in goro (a channel's, a mutex's, a cond's, a semaphore's)
// holds records of waiters of two kinds: a G, which is woken by making it
// runnable on its scheduler, and a plain thread blocked in a `_blocking`
// call, which is woken through its parker. (The stackful issue adds fibers,
// which are Gs to the scheduler.) The queues do not care which: they store
// a wake_token in the record and call wake() on a copy.
//
// The rule that keeps records safe. A waker copies the token out of a
// record while it still holds the queue's lock, releases the lock, and then
// wakes through the copy, never touching the record again: from the unlock
// on, the record may be destroyed at any moment (normally only after the
// wake-up, but a runtime being torn down destroys its parked Gs' frames
// without waiting for one).
#ifndef GORO_CORE_INTERNAL_WAKE_TOKEN_H_
#define GORO_CORE_INTERNAL_WAKE_TOKEN_H_

#include "goro/core/internal/parker.h"

namespace goro::internal {

struct g;

struct wake_token {
  g* gp = nullptr;           // a G to make runnable
  parker* thread = nullptr;  // or a plain thread to unpark
  explicit operator bool() const noexcept {
    return gp != nullptr || thread != nullptr;
  }
};

// Wakes the waiter. Call after releasing the queue lock. A G goes into the
// waker's P's runnext if the waker is an M of the G's runtime, else onto
// that runtime's global queue; the run-queue hand-over (or the parker's
// RELEASE/ACQUIRE token) orders everything the waker wrote into the record
// before the waiter reads it. A failure inside the scheduler (out of memory
// growing its global queue, or no thread for a new M) ends the process:
// the waiter could otherwise never be woken.
void wake(wake_token t) noexcept;

}  // namespace goro::internal

#endif  // GORO_CORE_INTERNAL_WAKE_TOKEN_H_
