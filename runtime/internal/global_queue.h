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
// Why a lock and not a lock-free MPMC list: every consumer takes a batch
// (up to half a local ring) per lock hold, and the producers above are the
// slow paths; a lock-free intrusive MPMC queue would need hazard pointers or
// a stub node per runtime for the same amortised cost. The lock is a
// spin_lock (core/internal/spin_lock.h): every section is a copy of a few
// pointers, and a yield round trip takes it twice, where a pthread mutex
// cost as much as the rest of the yield. Nothing allocates under it: a
// full buffer is replaced by one allocated with the lock released (grow).
//
// The queue is a ring of pointers that doubles when full, never a list
// through the gs: moving a batch under the lock then touches no g (each
// one a likely cache miss on another core's data).
//
// Ordering: the lock orders queue contents. size_ is written under the
// lock and read without it. Readers that use it to decide to sleep
// (scheduler::any_work, find_runnable's re-check) load it seq_cst after
// their own seq_cst store of "I am idle" (idle::release_p); writers push,
// then load the idle counts seq_cst in idle::wake_for_global; the two
// seq_cst pairs form the Dekker handshake that prevents a lost wake-up
// (handshake (b) in idle.h).
#ifndef GORO_RUNTIME_INTERNAL_GLOBAL_QUEUE_H_
#define GORO_RUNTIME_INTERNAL_GLOBAL_QUEUE_H_

#include <atomic>
#include <cstddef>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "goro/core/internal/g.h"
#include "goro/core/internal/spin_lock.h"

namespace goro::internal {

class global_queue {
 public:
  // Appends gs[0..n). Out of line: the push of a G readied from a thread
  // without a P sits in the inline enqueue of every spawn and wake-up,
  // and would give each of them a stack frame.
  [[gnu::noinline]] void push_batch(g* const* gs, std::size_t n) {
    std::unique_ptr<g*[]> spare;  // freed after the unlock
    lock_.lock();
    append(gs, n, &spare);
    size_.store(count_, std::memory_order_seq_cst);
    lock_.unlock();
  }
  void push(g* gp) { push_batch(&gp, 1); }

  // push(gp), then pop_batch(out, n) with n = size() / share + 1, at most
  // max, under one lock: a yield whose M takes from this queue next anyway
  // (Gosched with nothing local to run). Returns n (at least 1: gp may
  // come straight back).
  [[gnu::noinline]] std::size_t push_then_pop(g* gp, g** out, std::size_t share,
                                              std::size_t max) {
    std::unique_ptr<g*[]> spare;  // freed after the unlock
    basic_lock_guard<spin_lock> lock(lock_);
    append(&gp, 1, &spare);
    std::size_t n = count_ / share + 1;
    if (n > max) n = max;
    return take(out, n < count_ ? n : count_);
  }

  // Moves up to `max` Gs, oldest first, into out[]; returns how many.
  std::size_t pop_batch(g** out, std::size_t max) {
    if (empty()) return 0;
    basic_lock_guard<spin_lock> lock(lock_);
    return take(out, count_ < max ? count_ : max);
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
  void append(g* const* gs, std::size_t n, std::unique_ptr<g*[]>* spare)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_) {
    while (cap_ - count_ < n) grow(count_ + n, spare);
    for (std::size_t i = 0; i < n; ++i) {
      buf_[(head_ + count_ + i) & (cap_ - 1)] = gs[i];
    }
    count_ += n;
  }
  // n <= count_.
  std::size_t take(g** out, std::size_t n)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_) {
    for (std::size_t i = 0; i < n; ++i) {
      out[i] = buf_[(head_ + i) & (cap_ - 1)];
    }
    head_ = (head_ + n) & (cap_ - 1);
    count_ -= n;
    size_.store(count_, std::memory_order_seq_cst);
    return n;
  }

  // Makes room for `need` Gs: allocates with the lock released, then, if
  // nobody grew the ring meanwhile, moves the contents over (oldest at 0).
  // Called and returns with the lock held; the buffer left over (the old
  // ring, or the new one if another pusher won) goes to *spare, for the
  // caller to free after its unlock.
  void grow(std::size_t need, std::unique_ptr<g*[]>* spare)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lock_) {
    std::size_t cap = cap_ == 0 ? 64 : cap_ * 2;
    while (cap < need) cap *= 2;
    lock_.unlock();
    spare->reset();
    std::unique_ptr<g*[]> fresh(new g*[cap]);
    lock_.lock();
    if (cap <= cap_) {  // another pusher grew it; the caller checks again
      *spare = std::move(fresh);
      return;
    }
    for (std::size_t i = 0; i < count_; ++i) {
      fresh[i] = buf_[(head_ + i) & (cap_ - 1)];
    }
    buf_.swap(fresh);
    *spare = std::move(fresh);
    cap_ = cap;
    head_ = 0;
  }

  spin_lock lock_;
  std::unique_ptr<g*[]> buf_ ABSL_GUARDED_BY(lock_);
  std::size_t cap_ ABSL_GUARDED_BY(lock_) = 0;  // a power of two, or 0
  std::size_t head_ ABSL_GUARDED_BY(lock_) = 0;
  std::size_t count_ ABSL_GUARDED_BY(lock_) = 0;
  std::atomic<std::size_t> size_{0};  // count_, for lock-free peeks
};

}  // namespace goro::internal

#endif  // GORO_RUNTIME_INTERNAL_GLOBAL_QUEUE_H_
