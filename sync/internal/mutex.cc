// goro::mutex's slow paths: lock (Go's lockSlow) and unlock (unlockSlow).
// The protocol is described in mutex_core.h.
#include "goro/sync/mutex.h"

#include <cstdint>

#include "goro/core/internal/clock.h"
#include "goro/core/internal/futex.h"
#include "goro/runtime/internal/blocking.h"
#include "goro/runtime/internal/scheduler.h"
#include "goro/sync/internal/mutex_core.h"
#include "goro/sync/internal/sync_fatal.h"

namespace goro::internal {

namespace {

// Go's procyield(active_spin_cnt): about a microsecond of PAUSEs.
constexpr int kSpinPauses = 30;

using mc = mutex_core;

// The waiter is back from the sema. In starvation mode the lock was handed
// to it: take it and return true. Otherwise compete again (false).
bool after_wake(mutex_lock_op* op) noexcept {
  mutex_core* m = op->m;
  op->starving =
      op->starving || nanotime() - op->wait_start > mc::kStarvationThresholdNs;
  const std::int32_t old = m->state.load(std::memory_order_relaxed);
  if ((old & mc::kStarving) == 0) {
    op->awoke = true;  // the unlocker set kWoken on our behalf
    op->iter = 0;
    return false;
  }
  if ((old & (mc::kLocked | mc::kWoken)) != 0 ||
      (old >> mc::kWaiterShift) == 0) {
    sync_fatal("sync: inconsistent mutex state");
  }
  std::int32_t delta = mc::kLocked - (std::int32_t{1} << mc::kWaiterShift);
  if (!op->starving || (old >> mc::kWaiterShift) == 1) {
    // Leave starvation mode, or the last waiter would hand the lock to
    // nobody: it must be back in normal mode when it unlocks.
    delta -= mc::kStarving;
  }
  // ACQUIRE: the hand-off is ordered by the sema already; this pairs with
  // the waiter-count CASes of Gs arriving meanwhile.
  m->state.fetch_add(delta, std::memory_order_acquire);
  return true;
}

}  // namespace

void mutex_lock_op::cancel() noexcept {
  if (w.idle()) return;
  if (!m->sem.cancel(&w)) {
    // Still queued: withdraw from the waiter count. The last waiter gone
    // also ends starvation mode (as after_wake's last waiter does), or
    // try_lock would keep failing on a mutex nobody waits for; no hand-off
    // can be under way, since the waiter it went to would still count.
    std::int32_t old = m->state.load(std::memory_order_relaxed);
    std::int32_t next;
    do {
      next = old - (std::int32_t{1} << mc::kWaiterShift);
      if ((next >> mc::kWaiterShift) == 0) next &= ~mc::kStarving;
      // ACQ_REL: as the waiter-count CASes in advance_mutex_lock.
    } while (!m->state.compare_exchange_weak(
        old, next, std::memory_order_acq_rel, std::memory_order_relaxed));
    return;
  }
  // An unlock already chose this waiter.
  const std::int32_t old = m->state.load(std::memory_order_relaxed);
  if ((old & mc::kStarving) != 0) {
    // Handed the lock (starvation mode): take it as after_wake would,
    // leaving starvation mode, then unlock it for the next waiter.
    m->state.fetch_add(
        mc::kLocked - (std::int32_t{1} << mc::kWaiterShift) - mc::kStarving,
        std::memory_order_acquire);
    m->unlock();
  } else {
    // Woken to compete (normal mode): give the kWoken claim back, or no
    // unlock would wake anyone again; and since the unlock that woke us
    // left the next wake-up to us, pass it on if the mutex is free now.
    const std::int32_t left =
        m->state.fetch_and(~mc::kWoken, std::memory_order_acq_rel) &
        ~mc::kWoken;
    m->wake_waiter(left);
  }
}

bool advance_mutex_lock(sync_op* base) noexcept {
  auto* op = static_cast<mutex_lock_op*>(base);
  mutex_core* m = op->m;
  if (op->w.granted()) {  // back from the sema: look at the state
    op->w.consume();
    if (after_wake(op)) return true;
  }
  std::int32_t old = m->state.load(std::memory_order_relaxed);
  for (;;) {
    // Spin while another G holds the lock in normal mode, if spinning can
    // pay off (the holder may be running on another P).
    if ((old & (mc::kLocked | mc::kStarving)) == mc::kLocked &&
        scheduler::lock_may_spin(op->iter)) {
      // Claim kWoken so that unlock does not wake a parked waiter we are
      // about to beat to the lock anyway.
      if (!op->awoke && (old & mc::kWoken) == 0 &&
          (old >> mc::kWaiterShift) != 0 &&
          m->state.compare_exchange_strong(old, old | mc::kWoken,
                                           std::memory_order_acq_rel,
                                           std::memory_order_relaxed)) {
        op->awoke = true;
      }
      for (int i = 0; i < kSpinPauses; ++i) cpu_relax();
      ++op->iter;
      old = m->state.load(std::memory_order_relaxed);
      continue;
    }
    std::int32_t next = old;
    // Barge for the lock only in normal mode; in starvation mode it
    // belongs to the head waiter. Nor past a woken waiter that has been
    // runnable too long (mutex_core.h, "Starvation without preemption").
    const bool free = (old & (mc::kLocked | mc::kStarving)) == 0;
    const bool defer = free && !op->awoke && (old & mc::kWoken) != 0 &&
                       m->woken_waited_too_long();
    if (free && !defer) {
      next |= mc::kLocked;
    } else {
      next += std::int32_t{1} << mc::kWaiterShift;
    }
    // Switch to starvation mode only if the mutex is still locked: an
    // unlocked mutex in starvation mode would have no owner to hand off.
    if (op->starving && (old & mc::kLocked) != 0) next |= mc::kStarving;
    if (op->awoke) {
      if ((next & mc::kWoken) == 0) {
        sync_fatal("sync: inconsistent mutex state");
      }
      next &= ~mc::kWoken;  // we are awake; give the claim back
      // Nor is a woken waiter waiting to run any more. Stored before the
      // CAS: while we hold kWoken no unlock wakes anyone, so this cannot
      // overwrite the time of a later wake-up.
      m->woken_since.store(mc::kNobodyWoken, std::memory_order_relaxed);
    }
    // ACQ_REL: ACQUIRE for the case that takes the lock (pairs with
    // unlock's RELEASE), RELEASE for the waiter-count transitions.
    if (!m->state.compare_exchange_weak(old, next, std::memory_order_acq_rel,
                                        std::memory_order_relaxed)) {
      continue;
    }
    if (free && !defer) return true;  // ours
    // Queued as a waiter: park on the sema. A waiter that already waited
    // goes to the head of the queue.
    const bool lifo = op->wait_start != 0;
    if (!lifo) op->wait_start = nanotime();
    op->w.who = op->self;
    if (!m->sem.acquire_or_enqueue(&op->w, lifo)) return false;
    // A unit was waiting for us: as if woken at once.
    if (after_wake(op)) return true;
    old = m->state.load(std::memory_order_relaxed);
  }
}

bool mutex_core::woken_waited_too_long() const noexcept {
  return nanotime() - woken_since.load(std::memory_order_relaxed) >
         kStarvationThresholdNs;
}

void mutex_core::unlock_slow(std::int32_t left) noexcept {
  if (((left + kLocked) & kLocked) == 0) {
    sync_fatal("sync: unlock of unlocked mutex");
  }
  if ((left & kStarving) != 0) {
    // Hand the lock to the head waiter, which sets kLocked itself. Until
    // it does, kStarving keeps newcomers off the lock.
    sem.release();
    return;
  }
  wake_waiter(left);
}

void mutex_core::wake_waiter(std::int32_t old) noexcept {
  for (;;) {
    // Nobody to wake, or somebody is already awake or spinning, or the
    // lock was taken meanwhile (its holder will do the waking): done.
    if ((old >> kWaiterShift) == 0 ||
        (old & (kLocked | kWoken | kStarving)) != 0) {
      return;
    }
    const std::int32_t next =
        (old - (std::int32_t{1} << kWaiterShift)) | kWoken;
    // ACQ_REL: pairs with the waiters' count CASes.
    if (state.compare_exchange_weak(old, next, std::memory_order_acq_rel,
                                    std::memory_order_relaxed)) {
      // A unit left in the count goes to a waiter that is still running
      // (it has not parked yet): nobody to time. The time is stored by the
      // sema under its lock: once the woken waiter runs it may lock,
      // unlock and free the mutex, so nothing here touches it afterwards.
      static_assert(kNobodyWoken == INT64_MAX);
      sem.release(1, &woken_since);
      return;
    }
  }
}

}  // namespace goro::internal

namespace goro {

void mutex::lock_blocking() {
  internal::block_here(lock(), "mutex::lock_blocking()", [this] {
    if (core_.lock_fast()) return;
    internal::mutex_lock_op op(&core_);
    op.begin();
    internal::block_on(&op, "mutex::lock_blocking()");
  });
}

}  // namespace goro
