// semaphore_core: goro::semaphore's state and protocol; the design of Go's
// golang.org/x/sync/semaphore.Weighted.
//
// State, all under `lock`: size (fixed), cur (units held), and a FIFO of
// waiters, each wanting `n` units.
//
// acquire(n) takes n units at once if they are free *and nobody is
// waiting*; otherwise it queues at the tail. release(n) returns units and
// then grants waiters from the head, in order, for as long as the head's
// request fits; it stops at the first that does not fit, even if a later,
// smaller request would. That is what keeps a large request from being
// starved by a stream of small ones: once it is at the head, no later
// request passes it. try_acquire follows the same rule (it fails while
// anyone waits).
//
// A granted waiter finds its units already added to cur by the releaser
// (`granted`), so the wake-up is a hand-over and nothing is re-checked.
// The check and the linking happen under one lock, and releasers grant
// under the same lock: no wake-up is lost.
#ifndef GORO_SYNC_INTERNAL_SEMAPHORE_CORE_H_
#define GORO_SYNC_INTERNAL_SEMAPHORE_CORE_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "goro/core/internal/spin_lock.h"
#include "goro/core/internal/waiter.h"
#include "goro/sync/internal/sync_op.h"

namespace goro::internal {

struct semaphore_core {
  explicit semaphore_core(std::int64_t n);

  // Throws sync_error for a request that can never be granted.
  void check_request(std::int64_t n) const;
  // Takes n units if that needs no waiting.
  bool try_acquire(std::int64_t n) noexcept;
  void release(std::int64_t n);

  spin_lock lock;
  const std::int64_t size;
  std::int64_t cur ABSL_GUARDED_BY(lock) = 0;
  wait_queue waiters ABSL_GUARDED_BY(lock);
};

// co_await s.acquire(n) when the units were not free at once.
bool advance_semaphore(sync_op* op) noexcept;

struct semaphore_op : sync_op {
  semaphore_op(semaphore_core* core, std::int64_t n) noexcept
      : sync_op{&advance_semaphore}, s(core) {
    w.n = n;
  }
  void cancel() noexcept;

  semaphore_core* s;
  waiter w;  // w.n: the units wanted
};

}  // namespace goro::internal

#endif  // GORO_SYNC_INTERNAL_SEMAPHORE_CORE_H_
