// goro::rwmutex's slow paths. The protocol is described in
// rwmutex_core.h.
#include "goro/sync/rwmutex.h"

#include "goro/runtime/internal/blocking.h"
#include "goro/sync/internal/rwmutex_core.h"
#include "goro/sync/internal/sync_fatal.h"

namespace goro::internal {

// The cancels run when a waiting G's frame is destroyed at runtime
// teardown (no G of that runtime runs any more); they undo the wait so that
// the rwmutex stays usable by others.
void rw_lock_op::cancel() noexcept {
  writer_op.cancel();  // still waiting for the writer mutex
  if (w.idle()) return;
  if (rw->writer_sem.cancel(&w)) {
    rw->unlock();  // the last reader let us in: we hold the write lock
    return;
  }
  // Announced but still waiting for readers: withdraw the announcement.
  // The readers inside leave through the fast path once reader_count is
  // non-negative again; the ones queued behind us are let in.
  const std::int32_t inside =
      rw->reader_wait.exchange(0, std::memory_order_acq_rel);
  const std::int32_t r = rw->reader_count.fetch_add(rwmutex_core::kMaxReaders,
                                                    std::memory_order_acq_rel) +
                         rwmutex_core::kMaxReaders;
  if (r > inside)
    rw->reader_sem.release(static_cast<std::uint32_t>(r - inside));
  rw->writer.unlock();
}

void rw_read_op::cancel() noexcept {
  if (w.idle()) return;
  if (rw->reader_sem.cancel(&w)) {
    rw->unlock_shared();  // the writer's unlock let us in: leave
  } else {
    // Still queued behind a writer: we never entered; uncount ourselves.
    rw->reader_count.fetch_sub(1, std::memory_order_acq_rel);
  }
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
      op->w.consume();
      return true;
  }
  // Announce the writer; wait for the readers that are inside.
  const std::int32_t r = rw->reader_count.fetch_sub(rwmutex_core::kMaxReaders,
                                                    std::memory_order_acq_rel);
  if (r != 0 &&
      rw->reader_wait.fetch_add(r, std::memory_order_acq_rel) + r != 0) {
    op->stage = rw_lock_op::kReaders;
    op->w.who = op->self;
    if (!rw->writer_sem.acquire_or_enqueue(&op->w, /*lifo=*/false)) {
      return false;
    }
  }
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
    op->w.who = op->self;
    if (!rw->reader_sem.acquire_or_enqueue(&op->w, /*lifo=*/false)) {
      return false;
    }
    return true;  // a unit was waiting for us
  }
  op->w.consume();  // the writer's unlock let us in
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
  // Let the next writer in, then wake the readers that queued behind this
  // writer. In this order because a reader let in may unlock and free the
  // rwmutex at once (core/internal/waiter.h, "No touch after the last grant"),
  // while a next writer cannot free it before those readers leave: they are
  // counted in reader_count already, so it waits for them.
  writer.unlock();
  if (r > 0) reader_sem.release(static_cast<std::uint32_t>(r));
}

}  // namespace goro::internal

namespace goro {

void rwmutex::lock_blocking() {
  internal::block_here(lock(), "rwmutex::lock_blocking()", [this] {
    internal::rw_lock_op op(&core_);
    op.begin();
    internal::block_on(&op, "rwmutex::lock_blocking()");
  });
}

void rwmutex::lock_shared_blocking() {
  internal::block_here(
      lock_shared(), "rwmutex::lock_shared_blocking()", [this] {
        if (core_.try_lock_shared()) return;
        internal::rw_read_op op(&core_);
        op.begin();
        internal::block_on(&op, "rwmutex::lock_shared_blocking()");
      });
}

}  // namespace goro
