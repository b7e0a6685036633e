// chan_lock: the lock that guards one channel.
//
// What it protects. A channel's buffer indices, its closed flag and its two
// waiter queues change together, under this lock, in critical sections of a
// few dozen instructions: move one value, link or unlink one waiter record.
// Nothing that can block, allocate, call user code other than T's (nothrow)
// move constructor and destructor, or wake another thread runs while it is
// held; waking the peer G happens after unlock(). Go's channels make the
// same choice (one runtime lock per hchan, hchan.lock).
//
// Why not std::mutex or a futex mutex. The uncontended path of a channel
// operation is the lock and the unlock. A locked read-modify-write costs
// about 6 ns on this machine (benchmarks/README.md), and a ping-pong round
// trip over two unbuffered channels takes and releases four locks: with
// a futex mutex (Drepper's mutex3, Go's lock_futex) each unlock must be an
// exchange, to learn whether someone sleeps. Here unlock() is a plain
// RELEASE store and lock() a single exchange; that is a test-and-set
// spinlock.
//
// What a spinlock risks, and why it is acceptable here. The danger is a
// holder preempted by the OS while others spin. Critical sections are tens
// of nanoseconds and never block, so a waiter spins briefly (PAUSE, bounded)
// and then calls sched_yield() between attempts, handing its CPU to the
// preempted holder rather than burning the time slice it needs. No waiter
// sleeps, so there is nobody for unlock() to wake and no wake-up to lose.
// Hold times under load are measured by //benchmarks:chan_lock_hold.
//
// Holding it across a suspension. A blocking channel operation takes the lock
// in await_ready and releases it in the park commit function, after the
// coroutine frame is fully suspended (see chan/internal/chan_ops.h). Between
// the two only the M's trampoline runs, on the same thread; no user code.
//
// Orderings: lock's successful exchange is ACQUIRE and unlock's store is
// RELEASE; they pair with each other, which orders every critical section
// after the previous one.
#ifndef GORO_CHAN_INTERNAL_CHAN_LOCK_H_
#define GORO_CHAN_INTERNAL_CHAN_LOCK_H_

#include <atomic>
#include <cstdint>

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

class chan_lock {
 public:
  void lock() noexcept {
    // ACQUIRE: pairs with unlock()'s RELEASE store.
    if (locked_.exchange(true, std::memory_order_acquire)) lock_slow();
    if constexpr (kChanLockTiming) chan_lock_timing_acquired();
  }

  bool try_lock() noexcept {
    const bool got = !locked_.load(std::memory_order_relaxed) &&
                     !locked_.exchange(true, std::memory_order_acquire);
    if constexpr (kChanLockTiming) {
      if (got) chan_lock_timing_acquired();
    }
    return got;
  }

  // RELEASE: pairs with the ACQUIRE exchange of the next lock().
  void unlock() noexcept {
    if constexpr (kChanLockTiming) chan_lock_timing_released();
    locked_.store(false, std::memory_order_release);
  }

 private:
  void lock_slow() noexcept;

  std::atomic<bool> locked_{false};
};

// RAII form for the non-suspending paths.
class chan_lock_guard {
 public:
  explicit chan_lock_guard(chan_lock& l) noexcept : l_(l) { l_.lock(); }
  ~chan_lock_guard() { l_.unlock(); }
  chan_lock_guard(const chan_lock_guard&) = delete;
  chan_lock_guard& operator=(const chan_lock_guard&) = delete;

 private:
  chan_lock& l_;
};

}  // namespace goro::internal

#endif  // GORO_CHAN_INTERNAL_CHAN_LOCK_H_
