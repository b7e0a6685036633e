// goro::wait_group's slow paths. The protocol is described in
// wait_group_core.h.
#include "goro/sync/wait_group.h"

#include <cstdint>

#include "goro/runtime/internal/blocking.h"
#include "goro/sync/internal/wait_group_core.h"
#include "goro/sync/sync_error.h"

namespace goro::internal {

void wait_group_core::add(std::int64_t delta) {
  const std::uint64_t s =
      state.fetch_add(static_cast<std::uint64_t>(delta) << 32,
                      std::memory_order_acq_rel) +
      (static_cast<std::uint64_t>(delta) << 32);
  const std::int32_t v = counter(s);
  const std::uint32_t w = waiters(s);
  if (v < 0) throw sync_error("sync: negative WaitGroup counter");
  if (w != 0 && delta > 0 && v == static_cast<std::int32_t>(delta)) {
    throw sync_error(
        "sync: WaitGroup misuse: Add called concurrently with Wait");
  }
  if (v > 0 || w == 0) return;
  // The counter is zero and there are waiters: this call wakes them. Nobody
  // may change the word now (a wait would see zero and not count itself
  // in, an add from zero must not race with Wait).
  if (state.load(std::memory_order_relaxed) != s) {
    throw sync_error(
        "sync: WaitGroup misuse: Add called concurrently with Wait");
  }
  // RELEASE: a wait() that loads this 0 (ACQUIRE) and returns at once must
  // see what every done() before it did; a plain store would end the
  // release sequence of their ACQ_REL adds.
  state.store(0, std::memory_order_release);
  sem.release(w);
}

void wait_group_op::check_reuse() const {
  if (reused) {
    throw sync_error(
        "sync: WaitGroup is reused before previous Wait has returned");
  }
}

void wait_group_op::cancel() noexcept {
  if (w.idle()) return;
  // Granted: the add that reached zero has reset the word already.
  if (wg->sem.cancel(&w)) return;
  // Still waiting: withdraw from the waiter count, or the add that reaches
  // zero would release a unit nobody takes, and a later wait would take
  // it and return early.
  std::uint64_t s = wg->state.load(std::memory_order_relaxed);
  while (wait_group_core::waiters(s) > 0 &&
         !wg->state.compare_exchange_weak(s, s - 1, std::memory_order_acq_rel,
                                          std::memory_order_relaxed)) {
  }
}

bool advance_wait_group(sync_op* base) noexcept {
  auto* op = static_cast<wait_group_op*>(base);
  wait_group_core* wg = op->wg;
  if (op->w.granted()) {  // woken by the add that reached zero
    op->w.consume();
    op->reused = wg->state.load(std::memory_order_acquire) != 0;
    return true;
  }
  // ACQUIRE: pairs with the done()s' ACQ_REL adds.
  std::uint64_t s = wg->state.load(std::memory_order_acquire);
  for (;;) {
    if (wait_group_core::counter(s) == 0) return true;
    if (wg->state.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel,
                                        std::memory_order_acquire)) {
      break;
    }
  }
  op->w.who = op->self;
  if (!wg->sem.acquire_or_enqueue(&op->w, /*lifo=*/false)) return false;
  op->reused = wg->state.load(std::memory_order_acquire) != 0;
  return true;
}

}  // namespace goro::internal

namespace goro {

void wait_group::wait_blocking() {
  internal::block_here(wait(), "wait_group::wait_blocking()", [this] {
    if (internal::wait_group_core::counter(
            core_.state.load(std::memory_order_acquire)) == 0) {
      return;
    }
    internal::wait_group_op op(&core_);
    internal::block_on(&op, "wait_group::wait_blocking()");
    op.check_reuse();
  });
}

}  // namespace goro
