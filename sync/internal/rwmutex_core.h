// rwmutex_core: goro::rwmutex's state and protocol; Go's sync.RWMutex
// (src/sync/rwmutex.go) over goro's mutex and sema.
//
// State.
//   writer        a mutex_core that serializes writers among themselves;
//   reader_count  readers inside, or, once a writer is pending,
//                 (readers inside or queued) - kMaxReaders: negative;
//   reader_wait   how many of the readers that were inside when the
//                 pending writer announced itself have yet to leave;
//   writer_sem    the pending writer waits here for those readers;
//   reader_sem    readers that arrived after the writer wait here.
//
// Writer preference. A writer first takes `writer`, then subtracts
// kMaxReaders from reader_count: from that instant reader_count is
// negative and every new reader queues on reader_sem instead of entering,
// so a stream of readers cannot starve a writer. The subtraction returns
// how many readers were inside; the writer adds that to reader_wait and,
// unless they have all left already, waits on writer_sem. Each of those
// readers, leaving, sees a negative reader_count and decrements
// reader_wait; the one that takes it to zero releases writer_sem.
//
// A writer's unlock adds kMaxReaders back (new readers may enter again),
// unlocks `writer`, and then releases reader_sem once for every reader that
// queued behind it. Those readers are counted in reader_count already, so a
// next writer that takes `writer` meanwhile waits for them: batches of
// readers and single writers alternate. (Go releases the readers first; in
// C++ a reader let in may unlock and free the rwmutex at once, so the
// release must be the unlock's last touch.) (A consequence, as in Go: a reader
// that read-locks twice can deadlock against a writer that arrived in between.)
//
// No wake-up is lost: every hand-over goes through a sema, which keeps the
// unit if its waiter has not parked yet (sema.h).
//
// Orderings. The reader_count and reader_wait read-modify-writes are
// ACQ_REL: a reader's entering increment pairs with the previous writer's
// adding back, and a reader's leaving decrement with the next writer's
// subtraction, so every write section and every read section are ordered
// as Go's memory model promises for sync.RWMutex. The sema hand-overs
// order the rest.
#ifndef GORO_SYNC_INTERNAL_RWMUTEX_CORE_H_
#define GORO_SYNC_INTERNAL_RWMUTEX_CORE_H_

#include <atomic>
#include <cstdint>

#include "goro/core/internal/waiter.h"
#include "goro/sync/internal/mutex_core.h"
#include "goro/sync/internal/sema.h"
#include "goro/sync/internal/sync_op.h"

namespace goro::internal {

struct rwmutex_core {
  static constexpr std::int32_t kMaxReaders = std::int32_t{1} << 30;

  mutex_core writer;
  sema writer_sem;
  sema reader_sem;
  std::atomic<std::int32_t> reader_count{0};
  std::atomic<std::int32_t> reader_wait{0};

  // A reader enters if no writer is pending or inside: one CAS.
  bool try_lock_shared() noexcept {
    std::int32_t c = reader_count.load(std::memory_order_relaxed);
    for (;;) {
      if (c < 0) return false;
      // ACQ_REL: see the header.
      if (reader_count.compare_exchange_weak(
              c, c + 1, std::memory_order_acq_rel, std::memory_order_relaxed)) {
        return true;
      }
    }
  }

  bool try_lock() noexcept {
    if (!writer.try_lock()) return false;
    std::int32_t expected = 0;
    if (!reader_count.compare_exchange_strong(expected, -kMaxReaders,
                                              std::memory_order_acq_rel,
                                              std::memory_order_relaxed)) {
      writer.unlock();
      return false;
    }
    return true;
  }

  void unlock_shared() noexcept {
    const std::int32_t r =
        reader_count.fetch_sub(1, std::memory_order_acq_rel) - 1;
    if (r < 0) unlock_shared_slow(r);
  }

  void unlock_shared_slow(std::int32_t r) noexcept;
  void unlock() noexcept;
};

// co_await rw.lock() / lock_blocking(): the writer mutex, then the readers.
bool advance_rw_lock(sync_op* op) noexcept;

struct rw_lock_op : sync_op {
  explicit rw_lock_op(rwmutex_core* core) noexcept
      : sync_op{&advance_rw_lock}, rw(core), writer_op(&core->writer) {}
  enum stage_t : int { kStart, kWriterMutex, kWriterHeld, kReaders };
  void begin() noexcept {
    stage = kStart;
    writer_op.begin();
  }
  void cancel() noexcept;

  rwmutex_core* rw;
  int stage;  // where the next advance continues
  mutex_lock_op writer_op;
  waiter w;
};

// co_await rw.lock_shared() when the one-CAS fast path failed.
bool advance_rw_read(sync_op* op) noexcept;

struct rw_read_op : sync_op {
  explicit rw_read_op(rwmutex_core* core) noexcept
      : sync_op{&advance_rw_read}, rw(core) {}
  void begin() noexcept { counted = false; }
  void cancel() noexcept;

  rwmutex_core* rw;
  bool counted;  // counted in reader_count, waiting
  waiter w;
};

}  // namespace goro::internal

#endif  // GORO_SYNC_INTERNAL_RWMUTEX_CORE_H_
