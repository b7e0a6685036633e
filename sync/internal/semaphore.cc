// goro::semaphore. The protocol is described in semaphore_core.h.
#include "goro/sync/semaphore.h"

#include <cstdint>

#include "goro/runtime/internal/blocking.h"
#include "goro/sync/internal/semaphore_core.h"
#include "goro/sync/sync_error.h"

namespace goro::internal {

semaphore_core::semaphore_core(std::int64_t n) : size(n) {
  if (n < 0) throw sync_error("semaphore: negative size");
}

void semaphore_core::check_request(std::int64_t n) const {
  if (n < 0) throw sync_error("semaphore: negative weight");
  if (n > size) {
    throw sync_error("semaphore: acquire of more than the semaphore's size");
  }
}

bool semaphore_core::try_acquire(std::int64_t n) noexcept {
  spin_lock_guard guard(lock);
  if (size - cur >= n && waiters.empty()) {
    cur += n;
    return true;
  }
  return false;
}

void semaphore_core::release(std::int64_t n) {
  if (n < 0) throw sync_error("semaphore: negative weight");
  // Every grant in one hold of the lock, the wake-ups after it: the last
  // granted G may free the semaphore as soon as it runs
  // (core/internal/waiter.h, "No touch after the last grant").
  grant_list granted;
  {
    spin_lock_guard guard(lock);
    if (n > cur) throw sync_error("semaphore: released more than held");
    cur -= n;
    // Grant from the head while the head's request fits; never skip it.
    for (;;) {
      waiter* w = waiters.front();
      if (w == nullptr || size - cur < w->n) break;
      cur += w->n;
      waiters.take(w);
      granted.push(w);
    }
  }
  granted.wake_all();
}

void semaphore_op::cancel() noexcept {
  if (w.idle()) return;
  bool regrant = false;
  bool granted = false;
  {
    spin_lock_guard guard(s->lock);
    // Leaving the head may let the next waiters through (x/sync does the
    // same when a context ends a wait).
    regrant = s->waiters.front() == &w;
    // Granted: a release gave us w.n units we will never use.
    granted = s->waiters.cancel(&w);
  }
  if (granted) {
    s->release(w.n);
  } else if (regrant) {
    s->release(0);
  }
}

bool advance_semaphore(sync_op* base) noexcept {
  auto* op = static_cast<semaphore_op*>(base);
  semaphore_core* s = op->s;
  if (op->w.granted()) {  // woken: the releaser granted our units
    op->w.consume();
    return true;
  }
  s->lock.lock();
  if (s->size - s->cur >= op->w.n && s->waiters.empty()) {
    s->cur += op->w.n;
    s->lock.unlock();
    return true;
  }
  op->w.who = op->self;
  s->waiters.push_back(&op->w);
  s->lock.unlock();  // publishes the waiter: op may be gone from here on
  return false;
}

}  // namespace goro::internal

namespace goro {

void semaphore::acquire_blocking(std::int64_t n) {
  internal::block_here(acquire(n), "semaphore::acquire_blocking()", [this, n] {
    core_.check_request(n);
    if (core_.try_acquire(n)) return;
    internal::semaphore_op op(&core_, n);
    internal::block_on(&op, "semaphore::acquire_blocking()");
  });
}

}  // namespace goro
