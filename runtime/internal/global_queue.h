// global_queue: the runtime-wide queue of runnable Gs above the Ps.
//
// Go's sched.runq: a FIFO of Gs guarded by a mutex, with an atomic length so
// that the hot path ("is there anything in the global queue?") is one load and
// takes no lock. It receives
//  - Gs spawned or readied by threads that hold no P (rt.go from main()),
//  - half of a P's local ring when the ring overflows,
//  - Gs that yield (Gosched puts the G at the back of the global queue).
// Every P takes from it when its own queue is empty, and every 61st schedule
// even when it is not, so that nothing here starves behind a busy P.
//
// Why a mutex and not a lock-free MPMC list: every consumer takes a batch
// (up to half a local ring) per lock hold, and the producers above are the
// slow paths; a lock-free intrusive MPMC queue would need hazard pointers or
// a stub node per runtime for the same amortised cost. std::mutex (pthread)
// rather than absl::Mutex because the sanitizers understand it even though
// Debian's Abseil is not built with TSan annotations.
//
// Ordering: the mutex orders queue contents. size_ is written under the
// mutex and read without it. Readers that use it to decide to sleep
// (scheduler::any_work, find_runnable's re-check) load it seq_cst after
// their own seq_cst store of "I am idle" (idle::release_p); writers push,
// then load the idle counts seq_cst in idle::wake_for_global; the two
// seq_cst pairs form the Dekker handshake that prevents a lost wake-up
// (handshake (b) in idle.h).
#ifndef GORO_RUNTIME_INTERNAL_GLOBAL_QUEUE_H_
#define GORO_RUNTIME_INTERNAL_GLOBAL_QUEUE_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <deque>
#include <mutex>

#include "goro/core/internal/g.h"

namespace goro::internal {

class global_queue {
 public:
  // Appends gs[0..n).
  void push_batch(g* const* gs, std::size_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    q_.insert(q_.end(), gs, gs + n);
    size_.store(q_.size(), std::memory_order_seq_cst);
  }
  void push(g* gp) { push_batch(&gp, 1); }

  // Moves up to `max` Gs, oldest first, into out[]; returns how many.
  std::size_t pop_batch(g** out, std::size_t max) {
    if (empty()) return 0;
    std::lock_guard<std::mutex> lock(mu_);
    std::size_t n = q_.size() < max ? q_.size() : max;
    std::copy_n(q_.begin(), n, out);
    q_.erase(q_.begin(), q_.begin() + static_cast<std::ptrdiff_t>(n));
    size_.store(q_.size(), std::memory_order_seq_cst);
    return n;
  }

  std::size_t size() const noexcept {
    return size_.load(std::memory_order_seq_cst);
  }
  bool empty() const noexcept {
    // Relaxed is enough for the hot-path peek: a stale "empty" only delays
    // the take to the next schedule; the sleep path re-checks with size().
    return size_.load(std::memory_order_relaxed) == 0;
  }

 private:
  std::mutex mu_;
  // Pointers, not a list through g::link: moving a batch under the lock then
  // touches no g (each one a likely cache miss on another core's data), so
  // the lock is held for a memcpy, not a pointer chase.
  std::deque<g*> q_;
  std::atomic<std::size_t> size_{0};
};

}  // namespace goro::internal

#endif  // GORO_RUNTIME_INTERNAL_GLOBAL_QUEUE_H_
