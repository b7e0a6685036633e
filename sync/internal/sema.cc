// See sema.h.
#include "goro/sync/internal/sema.h"

#include "goro/core/internal/clock.h"

namespace goro::internal {

bool sema::acquire_or_enqueue(waiter* w, bool lifo) noexcept {
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

std::uint32_t sema::release(std::uint32_t n,
                            std::atomic<std::int64_t>* woken_at) noexcept {
  // Every grant in one hold of the lock, the wake-ups after it: the last
  // granted waiter may free the primitive as soon as it runs
  // (core/internal/waiter.h, "No touch after the last grant").
  grant_list granted;
  lock_.lock();
  while (n > 0) {
    waiter* w = waiters_.pop_front();
    if (w == nullptr) break;
    granted.push(w);
    --n;
  }
  count_ += n;  // nobody left to wake: the rest wait in count
  if (woken_at != nullptr) {
    // Under the lock: after it, a waiter that takes the unit from count
    // without parking may free the primitive.
    woken_at->store(granted.size() != 0 ? nanotime() : INT64_MAX,
                    std::memory_order_relaxed);
  }
  lock_.unlock();
  const std::uint32_t woken = granted.size();
  granted.wake_all();
  return woken;
}

bool sema::cancel(waiter* w) noexcept {
  spin_lock_guard guard(lock_);
  return waiters_.cancel(w);
}

}  // namespace goro::internal
