// chan_lock: the lock that guards one channel.
//
// A channel's buffer indices, its closed flag and its two waiter queues
// change together, under this lock, in critical sections of a few dozen
// instructions: move one value, link or unlink one waiter record. Go's
// channels make the same choice (one runtime lock per hchan, hchan.lock).
// It is goro's spin_lock (core/internal/spin_lock.h explains why a
// spinlock, and why it may be held across a suspension), plus optional
// hold-time instrumentation.
//
// Orderings are spin_lock's: lock is ACQUIRE, unlock is RELEASE, and they
// pair with each other.
#ifndef GORO_CHAN_INTERNAL_CHAN_LOCK_H_
#define GORO_CHAN_INTERNAL_CHAN_LOCK_H_

#include "absl/base/thread_annotations.h"
#include "goro/core/internal/spin_lock.h"

namespace goro::internal {

// Hold-time instrumentation, compiled in only by //chan:chan_lock_timing
// (for //benchmarks:chan_lock_hold): every critical section's length goes
// into a histogram (chan/internal/lock_timing.h).
#ifdef GORO_CHAN_LOCK_TIMING
inline constexpr bool kChanLockTiming = true;
#else
inline constexpr bool kChanLockTiming = false;
#endif
void chan_lock_timing_acquired() noexcept;
void chan_lock_timing_released() noexcept;

class ABSL_LOCKABLE chan_lock {
 public:
  void lock() noexcept ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    l_.lock();
    if constexpr (kChanLockTiming) chan_lock_timing_acquired();
  }

  bool try_lock() noexcept ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) {
    const bool got = l_.try_lock();
    if constexpr (kChanLockTiming) {
      if (got) chan_lock_timing_acquired();
    }
    return got;
  }

  void unlock() noexcept ABSL_UNLOCK_FUNCTION() {
    if constexpr (kChanLockTiming) chan_lock_timing_released();
    l_.unlock();
  }

 private:
  spin_lock l_;
};

// RAII form for the paths that do not suspend.
using chan_lock_guard = basic_lock_guard<chan_lock>;

}  // namespace goro::internal

#endif  // GORO_CHAN_INTERNAL_CHAN_LOCK_H_
