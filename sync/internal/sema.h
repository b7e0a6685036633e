// sema: a counting semaphore whose waiters are Gs or threads; the
// building block under mutex, rwmutex and wait_group (Go's runtime
// semaphore, runtime/sema.go: semacquire/semrelease).
//
// `count` is the number of releases that found nobody to wake. acquire
// takes one if there is one; otherwise it links a waiter record and the
// owner waits until a release unlinks the record, which hands the unit
// straight to it (`granted`) instead of adding it to count. Because the
// check for a unit and the linking happen under one lock, and a release
// either finds the record or leaves a unit in count for it, no wake-up is
// lost however the two race. Go keeps these queues in a global table keyed
// by address, to keep sync.Mutex at 8 bytes; goro embeds one per primitive
// (about 32 bytes) and needs no table, hashing or treap.
//
// Releases wake in FIFO order. A waiter may ask to go to the head instead
// (`lifo`): the mutex does this for a woken waiter that lost the lock to a
// newcomer.
#ifndef GORO_SYNC_INTERNAL_SEMA_H_
#define GORO_SYNC_INTERNAL_SEMA_H_

#include <atomic>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "goro/core/internal/spin_lock.h"
#include "goro/core/internal/waiter.h"

namespace goro::internal {

class sema {
 public:
  // One step of an acquire: true if a unit was available and is now taken
  // (the wait is over). Otherwise `w` (with `who` set) is linked and false
  // is returned; the unlock that ends this call publishes w, so the caller
  // must not touch w, or the G or thread it names, until woken.
  bool acquire_or_enqueue(waiter* w, bool lifo) noexcept;

  // Hands one unit to the oldest waiter, or adds it to count if there is
  // none; `n` times. Returns how many waiters it woke. If woken_at is not
  // null, stores there, before the lock that ends the grants is released,
  // the time of the wake-up (nanotime) or INT64_MAX if it woke nobody: the
  // caller may not touch its primitive after this returns, since the
  // waiter it granted may already have freed it.
  std::uint32_t release(std::uint32_t n = 1,
                        std::atomic<std::int64_t>* woken_at = nullptr) noexcept;

  // The one cancel (core/internal/waiter.h) for a waiter whose frame is
  // destroyed while it waits (runtime teardown): unlinks w if it is still
  // waiting and returns false; returns true if a release has already
  // granted it a unit that its owner will now never take, which the caller
  // must pass on or undo.
  [[nodiscard]] bool cancel(waiter* w) noexcept;

 private:
  spin_lock lock_;
  std::uint32_t count_ ABSL_GUARDED_BY(lock_) = 0;
  wait_queue waiters_ ABSL_GUARDED_BY(lock_);
};

}  // namespace goro::internal

#endif  // GORO_SYNC_INTERNAL_SEMA_H_
