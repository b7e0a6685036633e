// wait_group_core: goro::wait_group's state and protocol; Go's
// sync.WaitGroup (src/sync/waitgroup.go) over goro's sema.
//
// State. One 64-bit word: the counter (signed) in the high 32 bits, the
// number of waiters parked or about to park in the low 32. Wait and the
// add that takes the counter to zero race only through this word:
//
//  - wait: reads the word; a zero counter means done. Otherwise it adds a
//    waiter with a CAS on the same word it read (so the counter cannot
//    have reached zero meanwhile) and then waits on the sema.
//  - add/done: adds to the counter. The one that takes it to zero with
//    waiters > 0 owns the wake-up: it resets the word to 0 (so the group
//    is reusable) and releases the sema once per waiter. A waiter that has
//    not parked yet finds its unit in the sema (sema.h): no wake-up is
//    lost.
//
// Misuse that Go detects, goro detects too (sync_error, Go's words): a
// negative counter; an add from zero racing with a wait that already
// counted itself in ("Add called concurrently with Wait"); and a waiter
// that wakes to find the group in use again before every earlier wait
// returned ("reused before previous Wait has returned").
//
// Orderings. The counter adds are ACQ_REL and wait's read ACQUIRE: each
// done() is a RELEASE that the final zero-making add carries (it reads
// them all in the word's modification order) and that a wait reading zero
// ACQUIREs; a parked waiter gets the same through the sema hand-over.
#ifndef GORO_SYNC_INTERNAL_WAIT_GROUP_CORE_H_
#define GORO_SYNC_INTERNAL_WAIT_GROUP_CORE_H_

#include <atomic>
#include <cstdint>

#include "goro/core/internal/waiter.h"
#include "goro/sync/internal/sema.h"
#include "goro/sync/internal/sync_op.h"

namespace goro::internal {

struct wait_group_core {
  std::atomic<std::uint64_t> state{0};
  sema sem;

  static std::int32_t counter(std::uint64_t s) noexcept {
    return static_cast<std::int32_t>(s >> 32);
  }
  static std::uint32_t waiters(std::uint64_t s) noexcept {
    return static_cast<std::uint32_t>(s);
  }

  void add(std::int64_t delta);
};

// co_await wg.wait() / wait_blocking() when the counter was not zero.
bool advance_wait_group(sync_op* op) noexcept;

struct wait_group_op : sync_op {
  explicit wait_group_op(wait_group_core* core) noexcept
      : sync_op{&advance_wait_group}, wg(core) {}
  void cancel() noexcept;
  // After the wait: throws if the group was reused too early.
  void check_reuse() const;

  wait_group_core* wg;
  bool reused = false;  // woke to a group already in use again
  waiter w;
};

}  // namespace goro::internal

#endif  // GORO_SYNC_INTERNAL_WAIT_GROUP_CORE_H_
