// mutex_core: goro::mutex's state word and the protocol around it; Go's
// sync.Mutex (src/sync/mutex.go), with goro's sema (sema.h) underneath.
//
// State. One 32-bit word:
//   bit 0  kLocked    the mutex is held
//   bit 1  kWoken     a waiter has been woken (or is spinning) and will
//                     compete for the lock: unlock need not wake another
//   bit 2  kStarving  starvation mode (below)
//   bits 3+           the number of waiters parked on `sema`
//
// Uncontended: lock is a CAS from 0 to kLocked, unlock an atomic subtract
// of kLocked that finds 0 left. One read-modify-write each way.
//
// Normal mode. Waiters queue FIFO on the sema, but a woken waiter does not
// own the lock: it competes with Gs that are just arriving (barging), which
// usually win since they are already running. Barging is what makes a
// mutex fast under contention: the lock goes to whoever can use it at once
// instead of waiting for a parked G to be scheduled. A waiter that loses
// goes back to the *head* of the queue.
//
// Starvation mode. A waiter that has waited more than kStarvationThreshold
// (1 ms, Go's starvationThresholdNs) switches the mutex to starvation mode.
// Then unlock hands the lock straight to the head waiter: the unlocker
// leaves kLocked clear but kStarving set, newcomers see kStarving and
// queue at the tail without trying, and the woken waiter finds the mutex
// its own (it sets kLocked itself). The waiter that takes the lock switches
// back to normal mode if it is the last waiter or waited less than 1 ms.
// So no G waits much more than a millisecond behind a G that relocks in a
// tight loop, while the common case keeps barging's throughput.
//
// Starvation without preemption. Go finds out that a waiter starves when
// the waiter runs again after a wake-up. A woken G that sits in the run
// queue behind a G that never parks (it relocks in a tight loop on the only
// P) would never run, since goro does not preempt Gs, so the mutex could
// never switch modes. So a G that takes the lock past a woken waiter looks,
// every kBargeCheckInterval times, at how long that waiter has been
// runnable without running (woken_since: when unlock woke it); past the
// starvation threshold it queues behind it instead of barging, parks, and
// lets the waiter run, take the lock and, having waited more than 1 ms,
// switch the mutex to starvation mode if it must wait again. (Timing the
// waiter's whole wait instead would make Gs defer all the time under heavy
// contention, where every waiter is old but is stolen by an idle P soon
// after its wake-up: that is the case Go's preemption never has to help.)
//
// Spinning. A waiter on a machine with other running Ps may spin a few
// times (scheduler::lock_may_spin) before parking, setting kWoken so that
// unlock leaves the wake-up to it.
//
// Why no wake-up is lost. Every transition of the waiter count happens in
// a CAS on the state word; an unlock that sees waiters and no kWoken
// claims the wake-up (CAS: waiters-1, set kWoken) and releases the sema.
// The sema keeps the unit if the waiter has not linked its record yet
// (sema.h), so a release can never fall between a waiter's decision to
// park and its parking.
//
// Orderings. The CAS that sets kLocked is ACQUIRE; the subtract that
// clears it is RELEASE; they pair, so one critical section happens before
// the next. In starvation mode the new owner does not CAS kLocked from
// clear to set against the unlocker; the hand-off is ordered by the sema
// (its lock, then the wake-up), which comes after the unlocker's RELEASE
// subtract. The other CASes (waiter counts, kWoken, kStarving) are ACQ_REL
// so that each sees the transitions before it.
#ifndef GORO_SYNC_INTERNAL_MUTEX_CORE_H_
#define GORO_SYNC_INTERNAL_MUTEX_CORE_H_

#include <atomic>
#include <cstdint>

#include "goro/core/internal/waiter.h"
#include "goro/sync/internal/sema.h"
#include "goro/sync/internal/sync_op.h"

namespace goro::internal {

struct mutex_core {
  static constexpr std::int32_t kLocked = 1;
  static constexpr std::int32_t kWoken = 2;
  static constexpr std::int32_t kStarving = 4;
  static constexpr int kWaiterShift = 3;
  static constexpr std::int64_t kStarvationThresholdNs = 1'000'000;
  static constexpr std::uint32_t kBargeCheckInterval = 64;

  std::atomic<std::int32_t> state{0};
  sema sem;
  // When unlock last woke a waiter (steady clock, ns). A G that barges
  // past that waiter checks this now and then (see "Starvation without
  // preemption" above).
  // kNobodyWoken when no woken waiter is pending.
  static constexpr std::int64_t kNobodyWoken = INT64_MAX;
  std::atomic<std::int64_t> woken_since{kNobodyWoken};
  // Barges past a woken waiter, counted loosely (relaxed load and store;
  // lost increments only delay a check).
  std::atomic<std::uint32_t> barges{0};

  bool try_lock_fast() noexcept {
    std::int32_t expected = 0;
    // ACQUIRE: pairs with unlock's RELEASE subtract.
    return state.compare_exchange_strong(expected, kLocked,
                                         std::memory_order_acquire,
                                         std::memory_order_relaxed);
  }

  // lock()'s path that does not suspend: the CAS from 0, and failing that
  // (Gs wait, so the word is not 0) barging in normal mode while the lock
  // is free, as the slow path would do first anyway, minus the suspension.
  bool lock_fast() noexcept {
    std::int32_t old = 0;
    // ACQUIRE: pairs with unlock's RELEASE subtract.
    if (state.compare_exchange_strong(old, kLocked, std::memory_order_acquire,
                                      std::memory_order_relaxed)) {
      return true;
    }
    while ((old & (kLocked | kStarving)) == 0) {
      if ((old & kWoken) != 0 && woken_waiter_starves()) return false;
      // ACQUIRE: as above.
      if (state.compare_exchange_weak(old, old | kLocked,
                                      std::memory_order_acquire,
                                      std::memory_order_relaxed)) {
        return true;
      }
    }
    return false;
  }

  // Whether a G about to take the lock past a woken waiter should leave it
  // to that waiter instead ("Starvation without preemption"): every
  // kBargeCheckInterval barges, whether the waiter has waited longer than
  // the starvation threshold.
  bool woken_waiter_starves() noexcept {
    const std::uint32_t b = barges.load(std::memory_order_relaxed) + 1;
    barges.store(b, std::memory_order_relaxed);
    return b % kBargeCheckInterval == 0 && woken_waited_too_long();
  }
  bool woken_waited_too_long() const noexcept;

  bool try_lock() noexcept {
    std::int32_t old = state.load(std::memory_order_relaxed);
    for (;;) {
      // Not while locked, and not in starvation mode, where the lock
      // belongs to the head waiter even while kLocked is clear.
      if ((old & (kLocked | kStarving)) != 0) return false;
      // ACQUIRE: pairs with unlock's RELEASE subtract.
      if (state.compare_exchange_weak(old, old | kLocked,
                                      std::memory_order_acquire,
                                      std::memory_order_relaxed)) {
        return true;
      }
    }
  }

  void unlock() noexcept {
    // RELEASE: pairs with the ACQUIRE of the next lock.
    const std::int32_t left =
        state.fetch_sub(kLocked, std::memory_order_release) - kLocked;
    if (left != 0) unlock_slow(left);
  }

  void unlock_slow(std::int32_t left) noexcept;

  // unlock_slow's normal-mode half: if `old` (a recent value of state)
  // shows waiters and nobody holding the lock, awake or spinning, claim
  // kWoken and wake the head waiter.
  void wake_waiter(std::int32_t old) noexcept;
};

// One `co_await m.lock()` (or lock_blocking) that did not get the lock at
// once: Go's lockSlow, as a sync_op.
bool advance_mutex_lock(sync_op* op) noexcept;

struct mutex_lock_op : sync_op {
  explicit mutex_lock_op(mutex_core* mc) noexcept
      : sync_op{&advance_mutex_lock}, m(mc) {}

  // For the awaiter's destructor: if the frame dies while waiting (runtime
  // teardown), take the record off the queue.
  void cancel() noexcept;

  // Sets up the slow path's state. Left out of the constructor, which runs
  // on every lock(): the uncontended path never needs it.
  void begin() noexcept {
    wait_start = 0;
    iter = 0;
    starving = awoke = false;
  }

  mutex_core* m;
  bool starving;            // this waiter waited more than 1 ms
  bool awoke;               // holds the kWoken claim
  int iter;                 // spins since the last wake-up
  std::int64_t wait_start;  // steady clock, ns; 0 until first parked
  waiter w;
};

}  // namespace goro::internal

#endif  // GORO_SYNC_INTERNAL_MUTEX_CORE_H_
