// spin_lock: the lock that guards a wait queue (a channel's, a mutex's
// semaphore, a cond's ticket list).
//
// What it is for. Critical sections of a few dozen instructions that move a
// value or link and unlink one waiter record. Nothing that can block,
// allocate, call arbitrary user code or wake another thread runs while it
// is held: waking happens after unlock(), through a wake_token copied under
// the lock (wake_token.h). Go makes the same choice for hchan.lock and the
// semaphore table's per-bucket locks (runtime/lock_futex.go).
//
// Why not std::mutex or a futex mutex. The uncontended path of a channel
// operation or a contended mutex hand-off is this lock and its unlock, and
// a futex mutex's unlock must be an exchange (to learn whether anyone
// sleeps). Here unlock() is a plain RELEASE store and lock() one exchange:
// a test-and-set spinlock.
//
// What a spinlock risks, and why it is acceptable. The danger is a holder
// preempted by the OS while others spin. Sections are tens of nanoseconds
// and never block, so a waiter spins briefly (PAUSE, bounded) and then
// calls sched_yield() between attempts, handing its CPU to the preempted
// holder rather than burning the time slice it needs. No waiter sleeps, so
// unlock() has nobody to wake and no wake-up can be lost.
//
// Holding it across a suspension. A blocking operation takes the lock in
// await_ready (or in the park commit) and releases it in the park commit
// function, after the coroutine frame is fully suspended. In between only
// the M's trampoline runs, on the same thread; no user code.
//
// Orderings: lock's successful exchange is ACQUIRE and unlock's store is
// RELEASE; they pair with each other, which orders every critical section
// after the previous one.
#ifndef GORO_CORE_INTERNAL_SPIN_LOCK_H_
#define GORO_CORE_INTERNAL_SPIN_LOCK_H_

#include <atomic>

#include "absl/base/thread_annotations.h"

namespace goro::internal {

class ABSL_LOCKABLE spin_lock {
 public:
  void lock() noexcept ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    // ACQUIRE: pairs with unlock()'s RELEASE store.
    if (locked_.exchange(true, std::memory_order_acquire)) lock_slow();
  }

  bool try_lock() noexcept ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) {
    return !locked_.load(std::memory_order_relaxed) &&
           !locked_.exchange(true, std::memory_order_acquire);
  }

  // RELEASE: pairs with the ACQUIRE exchange of the next lock().
  void unlock() noexcept ABSL_UNLOCK_FUNCTION() {
    locked_.store(false, std::memory_order_release);
  }

 private:
  void lock_slow() noexcept;

  std::atomic<bool> locked_{false};
};

// RAII form for the paths that do not suspend, for spin_lock and for the
// locks built on it (chan_lock): Lock needs lock() and unlock() annotated
// as ABSL_EXCLUSIVE_LOCK_FUNCTION / ABSL_UNLOCK_FUNCTION.
template <class Lock>
class ABSL_SCOPED_LOCKABLE basic_lock_guard {
 public:
  explicit basic_lock_guard(Lock& l) noexcept ABSL_EXCLUSIVE_LOCK_FUNCTION(l)
      : l_(l) {
    l_.lock();
  }
  ~basic_lock_guard() ABSL_UNLOCK_FUNCTION() { l_.unlock(); }
  basic_lock_guard(const basic_lock_guard&) = delete;
  basic_lock_guard& operator=(const basic_lock_guard&) = delete;

 private:
  Lock& l_;
};

using spin_lock_guard = basic_lock_guard<spin_lock>;

}  // namespace goro::internal

#endif  // GORO_CORE_INTERNAL_SPIN_LOCK_H_
