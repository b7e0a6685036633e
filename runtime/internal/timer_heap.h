// timer and timer_heap: pending wake-ups, kept by the Ps (Go's per-P timer
// heaps, src/runtime/time.go).
//
// Concepts. A `timer` is a record owned by whoever armed it (a sleeping
// G's awaiter, a goro::timer, a context's deadline): a due time, an
// optional period, and a function to run when it is due. Armed, it sits in
// exactly one `timer_heap`, a 4-ary min-heap ordered by due time. Every P
// has one; a timer goes into the heap of the P its armer runs on, so a
// sleeping G's timer is normally run by the M that ran the G.
//
// Who runs timers. No timer thread: an M runs the expired timers of its
// own P each time it looks for a G (find_runnable), a spinning M also runs
// other Ps' expired timers (Go's stealWork), and the M that sleeps for the
// earliest timer of all (the poller, timers.cc) runs them when it wakes.
// Running a timer: under the heap's lock, take it off the heap (or, if it
// is periodic, move its due time on by whole periods and keep it), then,
// with the lock released, call its function. The function must be short
// and never block: it readies a G, spawns one, or does a non-blocking
// channel send.
//
// A periodic timer stays on its heap while its function runs; if it comes
// due again before that firing has ended (its M was descheduled for a
// whole period), the run only moves it on: one firing at a time, ticks in
// order, the missed one dropped.
//
// Stopping. A timer is stopped by taking it off its heap under that heap's
// lock. `heap` names the heap a timer is on (null: not armed); it can only
// change under the lock of the heap it leaves, so `stop` reads it, locks
// that heap and checks it again. A stop that finds the timer gone lost the
// race to the firing (or the timer was never armed): the firing happens or
// happened. A `waitable` timer's owner can also wait, with
// wait_not_running(), until no firing of it is in progress: the firing
// thread counts the firing in `running` under the heap lock *before* it
// clears `heap`, and the function counts it out (end_firing) as its last
// access to the record, so that it may then still drop a reference that
// keeps the record alive. Timers whose function hands the record to
// someone else (a sleeping G's, whose function readies the G that owns it)
// are not waitable, and nothing touches them after their function.
//
// Orderings. `heap` is stored with RELEASE and read with ACQUIRE: a stop
// that reads null (ACQUIRE) also sees the firing's `running` increment
// made before it. `running`'s decrement is RELEASE and wait_not_running's
// load ACQUIRE, so the owner sees everything the function did before it
// reuses or frees the timer. `earliest` is written under the lock with
// seq_cst: it is the adder's step 1 of the timer wake-up handshake (c)
// (timers.cc); it pairs with the seq_cst load of every heap's earliest by
// an M about to sleep.
//
// Rejected alternatives: one global heap (one lock for every timer in the
// process, the contention Go moved away from in 1.14); a timer wheel
// (cheaper inserts, but coarse: goro promises sub-millisecond wake-ups);
// lock-free heaps (the lock is held for a few dozen instructions).
#ifndef GORO_RUNTIME_INTERNAL_TIMER_HEAP_H_
#define GORO_RUNTIME_INTERNAL_TIMER_HEAP_H_

#include <atomic>
#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "goro/core/internal/clock.h"
#include "goro/core/internal/spin_lock.h"

namespace goro::internal {

class timer_heap;

enum class timer_event : std::uint8_t {
  fired,     // due: the timer's work happens now
  detached,  // the runtime is being destroyed; the timer will never fire
};

struct timer {
  using fire_fn = void (*)(timer* t, timer_event e, std::int64_t now) noexcept;

  fire_fn fn = nullptr;
  std::int64_t when = 0;    // due time (nanotime); under the heap's lock
  std::int64_t period = 0;  // > 0: re-armed by that much each time it fires
  std::atomic<timer_heap*> heap{nullptr};  // the heap holding it, or null
  std::atomic<std::uint32_t> running{0};   // firings in progress (waitable)
  bool waitable = false;                   // set by the owner before arming
  std::uint32_t index = 0;  // position in the heap; under the heap's lock
  void* arg = nullptr;      // for fn: its owner

  // The last step of a waitable timer's fn: counts the firing out.
  // RELEASE: pairs with wait_not_running's ACQUIRE.
  void end_firing() noexcept {
    running.fetch_sub(1, std::memory_order_release);
  }
  // Waits (spinning, then yielding the CPU) until no firing of this
  // waitable timer is in progress. A firing only calls a short function.
  void wait_not_running() const noexcept;
};

class timer_heap {
 public:
  timer_heap() = default;
  timer_heap(const timer_heap&) = delete;
  timer_heap& operator=(const timer_heap&) = delete;

  // The earliest due time, kNever if empty. seq_cst (see above).
  std::int64_t earliest() const noexcept {
    return earliest_.load(std::memory_order_seq_cst);
  }
  // The same, relaxed: a hint for the hot path of find_runnable.
  std::int64_t earliest_hint() const noexcept {
    return earliest_.load(std::memory_order_relaxed);
  }

  // Arms t, which must not be on any heap, to be due at `when`. Returns
  // true if t is now this heap's earliest timer (the caller then makes sure
  // some M will wake up for it).
  bool add(timer* t, std::int64_t when);

  // Takes t off whatever heap holds it. True if it was armed (so this call
  // prevented its next firing), false if it was not (never armed, stopped
  // already, or a one-shot timer whose firing has begun).
  static bool stop(timer* t) noexcept;

  // Runs every timer due at or before `now`. Returns how many ran.
  int run_expired(std::int64_t now);

  // Teardown: takes every timer off and tells it (timer_event::detached).
  void detach_all() noexcept;

 private:
  void remove_at_locked(std::uint32_t i) noexcept
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  void sift_up_locked(std::uint32_t i) noexcept
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  void sift_down_locked(std::uint32_t i) noexcept
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);
  void publish_earliest_locked() noexcept ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_);

  spin_lock lock_;
  std::vector<timer*> heap_ ABSL_GUARDED_BY(lock_);
  std::atomic<std::int64_t> earliest_{kNever};
};

}  // namespace goro::internal

#endif  // GORO_RUNTIME_INTERNAL_TIMER_HEAP_H_
