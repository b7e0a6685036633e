// global_queue: the runtime-wide queue of runnable Gs above the Ps.
//
// Go's sched.runq: an intrusive FIFO of Gs linked through g::link, guarded by
// a mutex, with an atomic length so that the hot path ("is there anything in
// the global queue?") is one load and takes no lock. It receives
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
// (scheduler::find_runnable's re-check) load it seq_cst after their own
// seq_cst store of "I am idle"; writers push, then load the idle counts
// seq_cst in scheduler::wake_for_global; the two seq_cst pairs form the
// Dekker handshake that prevents a lost wake-up (see scheduler.h).
#ifndef GORO_RUNTIME_INTERNAL_GLOBAL_QUEUE_H_
#define GORO_RUNTIME_INTERNAL_GLOBAL_QUEUE_H_

#include <atomic>
#include <cstddef>
#include <mutex>

#include "goro/runtime/internal/g.h"

namespace goro::internal {

class global_queue {
 public:
  // Appends the chain first..last (linked by g::link) of n Gs.
  void push_chain(g* first, g* last, std::size_t n) {
    last->link = nullptr;
    std::lock_guard<std::mutex> lock(mu_);
    if (tail_ != nullptr) {
      tail_->link = first;
    } else {
      head_ = first;
    }
    tail_ = last;
    size_.store(size_.load(std::memory_order_relaxed) + n,
                std::memory_order_seq_cst);
  }
  void push(g* gp) { push_chain(gp, gp, 1); }

  // Removes up to `max` Gs; returns the chain (linked by g::link, null
  // terminated) and its length in *n.
  g* pop_chain(std::size_t max, std::size_t* n) {
    *n = 0;
    if (empty()) return nullptr;
    std::lock_guard<std::mutex> lock(mu_);
    g* first = head_;
    g* last = nullptr;
    std::size_t taken = 0;
    while (head_ != nullptr && taken < max) {
      last = head_;
      head_ = head_->link;
      ++taken;
    }
    if (last == nullptr) return nullptr;
    last->link = nullptr;
    if (head_ == nullptr) tail_ = nullptr;
    size_.store(size_.load(std::memory_order_relaxed) - taken,
                std::memory_order_seq_cst);
    *n = taken;
    return first;
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
  g* head_ = nullptr;
  g* tail_ = nullptr;
  std::atomic<std::size_t> size_{0};
};

}  // namespace goro::internal

#endif  // GORO_RUNTIME_INTERNAL_GLOBAL_QUEUE_H_
