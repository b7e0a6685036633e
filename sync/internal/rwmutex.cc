// goro::rwmutex's slow paths. The protocol is described in
// rwmutex_core.h.
#include "goro/sync/internal/rwmutex_core.h"
#include "goro/sync/internal/sync_fatal.h"
#include "goro/sync/rwmutex.h"

namespace goro::internal {

void rw_lock_op::cancel() noexcept {
  writer_op.cancel();
  if (maybe_linked) rw->writer_sem.cancel(&w);
}

bool advance_rw_lock(sync_op* base) noexcept {
  auto* op = static_cast<rw_lock_op*>(base);
  rwmutex_core* rw = op->rw;
  switch (op->stage) {
    case rw_lock_op::kStart:
      // The writer mutex: first its fast path (no other writer around),
      // then the mutex's own multi-step wait, parked under our name.
      if (rw->writer.try_lock_fast()) break;
      op->writer_op.self = op->self;
      op->stage = rw_lock_op::kWriterMutex;
      [[fallthrough]];
    case rw_lock_op::kWriterMutex:
      if (!advance_mutex_lock(&op->writer_op)) return false;
      break;
    case rw_lock_op::kWriterHeld:  // await_ready took the writer mutex
      break;
    default:  // kReaders: woken by the last reader to leave
      op->maybe_linked = false;
      return true;
  }
  // Announce the writer; wait for the readers that are inside.
  const std::int32_t r = rw->reader_count.fetch_sub(
      rwmutex_core::kMaxReaders, std::memory_order_acq_rel);
  if (r != 0 &&
      rw->reader_wait.fetch_add(r, std::memory_order_acq_rel) + r != 0) {
    op->stage = rw_lock_op::kReaders;
    op->maybe_linked = true;
    op->w.who = op->self;
    if (!rw->writer_sem.acquire_or_enqueue(&op->w, /*lifo=*/false)) {
      return false;
    }
  }
  op->maybe_linked = false;
  return true;
}

bool advance_rw_read(sync_op* base) noexcept {
  auto* op = static_cast<rw_read_op*>(base);
  rwmutex_core* rw = op->rw;
  if (!op->counted) {
    // Count ourselves in; a writer pending or inside makes it negative.
    if (rw->reader_count.fetch_add(1, std::memory_order_acq_rel) + 1 >= 0) {
      return true;
    }
    op->counted = true;
    op->maybe_linked = true;
    op->w.who = op->self;
    if (!rw->reader_sem.acquire_or_enqueue(&op->w, /*lifo=*/false)) {
      return false;
    }
  }
  op->maybe_linked = false;  // the writer's unlock let us in
  return true;
}

void rwmutex_core::unlock_shared_slow(std::int32_t r) noexcept {
  if (r + 1 == 0 || r + 1 == -kMaxReaders) {
    sync_fatal("sync: RUnlock of unlocked RWMutex");
  }
  // A writer is pending: the last of the readers it waits for wakes it.
  if (reader_wait.fetch_sub(1, std::memory_order_acq_rel) - 1 == 0) {
    writer_sem.release();
  }
}

void rwmutex_core::unlock() noexcept {
  // Let readers in again.
  const std::int32_t r =
      reader_count.fetch_add(kMaxReaders, std::memory_order_acq_rel) +
      kMaxReaders;
  if (r >= kMaxReaders) sync_fatal("sync: Unlock of unlocked RWMutex");
  // Wake the readers that queued behind this writer, then let the next
  // writer in.
  if (r > 0) reader_sem.release(static_cast<std::uint32_t>(r));
  writer.unlock();
}

}  // namespace goro::internal

namespace goro {

void rwmutex::lock_blocking() {
  internal::check_not_in_g("rwmutex::lock_blocking()");
  internal::rw_lock_op op(&core_);
  op.begin();
  internal::block_on(&op, "rwmutex::lock_blocking()");
}

void rwmutex::lock_shared_blocking() {
  internal::check_not_in_g("rwmutex::lock_shared_blocking()");
  if (core_.try_lock_shared()) return;
  internal::rw_read_op op(&core_);
  op.begin();
  internal::block_on(&op, "rwmutex::lock_shared_blocking()");
}

}  // namespace goro
