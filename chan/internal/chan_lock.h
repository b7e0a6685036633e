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
// Why not std::mutex. The uncontended path of a channel operation is the
// lock and the unlock; pthread's are out-of-line calls with more bookkeeping.
// This is Drepper's three-state futex mutex ("Futexes Are Tricky", mutex3),
// inline: one CAS to lock, one exchange to unlock.
//
// Why not a pure spinlock. An OS thread can be preempted while it holds the
// lock (2 cores here, and plain threads use channels too). Spinning forever
// on a descheduled holder burns the other core; so a contended lock() spins
// briefly (the holder is almost always mid-way through a short critical
// section on another core) and then sleeps on the futex. Measured hold times
// are in benchmarks/README.md (BM_ChanLockHold).
//
// Holding it across a suspension. A blocking channel operation takes the lock
// in await_ready and releases it in the park commit function, after the
// coroutine frame is fully suspended (see chan/internal/chan_ops.h). Between
// the two only the M's trampoline runs, on the same thread; no user code.
//
// States: 0 unlocked; 1 locked, nobody asleep; 2 locked, maybe sleepers.
// Orderings: lock's successful CAS/exchange is ACQUIRE and unlock's exchange
// is RELEASE; they pair with each other, which orders every critical section
// after the previous one. The futex calls carry no ordering.
#ifndef GORO_CHAN_INTERNAL_CHAN_LOCK_H_
#define GORO_CHAN_INTERNAL_CHAN_LOCK_H_

#include <atomic>
#include <cstdint>

namespace goro::internal {

class chan_lock {
 public:
  void lock() noexcept {
    std::uint32_t expected = 0;
    // ACQUIRE: pairs with unlock()'s RELEASE exchange.
    if (state_.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
      return;
    }
    lock_slow();
  }

  bool try_lock() noexcept {
    std::uint32_t expected = 0;
    return state_.compare_exchange_strong(expected, 1,
                                          std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }

  void unlock() noexcept {
    // RELEASE: pairs with the ACQUIRE of the next lock().
    if (state_.exchange(0, std::memory_order_release) == 2) wake_one();
  }

 private:
  void lock_slow() noexcept;
  void wake_one() noexcept;

  std::atomic<std::uint32_t> state_{0};
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
