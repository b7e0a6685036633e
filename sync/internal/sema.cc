// See sema.h.
#include "goro/sync/internal/sema.h"



namespace goro::internal {

bool sema::acquire_or_enqueue(sync_waiter* w, bool lifo) noexcept {
  lock_.lock();
  if (count_ > 0) {
    --count_;
    lock_.unlock();
    return true;
  }
  if (lifo) {
    waiters_.push_front(w);
  } else {
    waiters_.push_back(w);
  }
  lock_.unlock();  // publishes w and its owner
  return false;
}

std::uint32_t sema::release(std::uint32_t n) noexcept {
  // Wake in batches: tokens are copied under the lock and used after it
  // (wake_token.h), and a batch bounds the stack they take.
  constexpr std::uint32_t kBatch = 16;
  std::uint32_t woken = 0;
  while (n > 0) {
    wake_token to_wake[kBatch];
    std::uint32_t k = 0;
    lock_.lock();
    while (n > 0 && k < kBatch) {
      sync_waiter* w = waiters_.pop_front();
      if (w == nullptr) break;
      to_wake[k++] = w->who;
      --n;
    }
    if (k < kBatch) {  // the queue ran dry: the rest wait in count
      count_ += n;
      n = 0;
    }
    lock_.unlock();
    for (std::uint32_t i = 0; i < k; ++i) wake(to_wake[i]);
    woken += k;
  }
  return woken;
}

bool sema::cancel(sync_waiter* w) noexcept {
  spin_lock_guard guard(lock_);
  if (!w->queued) return false;
  waiters_.remove(w);
  return true;
}

}  // namespace goro::internal
