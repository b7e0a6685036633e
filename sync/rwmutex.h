// goro::rwmutex: Go's sync.RWMutex for Gs: many readers or one writer.
//
//   goro::rwmutex rw;
//   { auto r = co_await rw.scoped_lock_shared(); read(table); }
//   { auto w = co_await rw.scoped_lock();        write(table); }
//
// Contract:
//  - co_await lock() returns once the caller is the only holder (no
//    readers, no other writer); co_await lock_shared() once the caller is
//    one of any number of readers and no writer holds it. Waiting suspends
//    the G; the OS thread never blocks.
//  - Writer preference: once a writer waits in lock(), new lock_shared()
//    calls wait too, until that writer has had its turn; the writer waits
//    only for the readers already inside. So readers cannot starve a writer,
//    and a reader must not read-lock again while it holds the lock (a
//    writer arriving in between deadlocks both, as in Go).
//  - A writer's unlock() lets in every reader that queued behind it before
//    the next writer, so batches of readers and single writers alternate.
//  - unlock() and unlock_shared() never block. Unlocking what is not locked
//    is fatal, with Go's words: "goro: fatal error: sync: Unlock of unlocked
//    RWMutex" / "... sync: RUnlock of unlocked RWMutex".
//  - try_lock() / try_lock_shared() take the lock only if that needs no
//    waiting at all; try_lock_shared() fails while a writer holds or waits.
//  - Not owned: any G may unlock (as in Go). Not reentrant.
//  - lock_blocking() / lock_shared_blocking(): for code that cannot
//    co_await: they block a plain thread, suspend a fiber
//    (goro/fiber/stackful.h), and throw std::logic_error in a stackless G.
//  - Memory: the n-th unlock() happens before the (n+1)-th lock() returns;
//    an unlock() happens before every lock_shared() it let in, and every
//    unlock_shared() before the lock() that waited for it.
//  - At runtime teardown, Gs parked in lock() or lock_shared() are destroyed
//    and their waits undone (goro/runtime/runtime.h).
//  - The uncontended paths: lock_shared and unlock_shared are one atomic
//    read-modify-write each; lock and unlock are two.
#ifndef GORO_SYNC_RWMUTEX_H_
#define GORO_SYNC_RWMUTEX_H_

#include <coroutine>
#include <cstdint>
#include <mutex>
#include <type_traits>

#include "goro/sync/internal/rwmutex_core.h"
#include "goro/sync/internal/sync_op.h"
#include "goro/sync/shared_lock.h"
#include "goro/sync/unique_lock.h"

namespace goro {

class rwmutex {
 public:
  template <bool Scoped>
  class lock_awaiter;
  template <bool Scoped>
  class lock_shared_awaiter;

  rwmutex() noexcept = default;
  rwmutex(const rwmutex&) = delete;
  rwmutex& operator=(const rwmutex&) = delete;

  [[nodiscard]] lock_awaiter<false> lock() noexcept;
  [[nodiscard]] lock_awaiter<true> scoped_lock() noexcept;
  bool try_lock() noexcept { return core_.try_lock(); }
  void unlock() noexcept { core_.unlock(); }
  void lock_blocking();

  [[nodiscard]] lock_shared_awaiter<false> lock_shared() noexcept;
  [[nodiscard]] lock_shared_awaiter<true> scoped_lock_shared() noexcept;
  bool try_lock_shared() noexcept { return core_.try_lock_shared(); }
  void unlock_shared() noexcept { core_.unlock_shared(); }
  void lock_shared_blocking();

 private:
  internal::rwmutex_core core_;
};

// co_await rw.lock() (void) / rw.scoped_lock() (unique_lock<rwmutex>).
template <bool Scoped>
class [[nodiscard]] rwmutex::lock_awaiter {
 public:
  explicit lock_awaiter(rwmutex* rw) noexcept : rw_(rw), op_(&rw->core_) {}
  lock_awaiter(const lock_awaiter&) = delete;
  lock_awaiter& operator=(const lock_awaiter&) = delete;
  ~lock_awaiter() { op_.cancel(); }

  // Uncontended: the writer mutex's CAS, then no readers inside (a CAS
  // of reader_count from 0). With readers inside, the wait for them
  // starts from the park commit, holding the writer mutex already.
  bool await_ready() noexcept {
    op_.begin();
    internal::rwmutex_core& c = rw_->core_;
    if (!c.writer.try_lock_fast()) return false;
    std::int32_t none = 0;
    if (c.reader_count.compare_exchange_strong(
            none, -internal::rwmutex_core::kMaxReaders,
            std::memory_order_acq_rel, std::memory_order_relaxed)) {
      return true;
    }
    op_.stage = internal::rw_lock_op::kWriterHeld;
    return false;
  }
  template <class Promise>
  void await_suspend(std::coroutine_handle<Promise> h) {
    if (!internal::runs_as_g(h) &&
        op_.stage == internal::rw_lock_op::kWriterHeld) {
      rw_->core_.writer.unlock();  // about to throw: undo await_ready
    }
    internal::await_on(&op_, h, internal::wait_reason::sync_rwmutex_lock,
                       "co_await on rwmutex::lock()");
  }
  auto await_resume() noexcept {
    if constexpr (Scoped) {
      return unique_lock<rwmutex>(*rw_, std::adopt_lock);
    }
  }

 private:
  rwmutex* rw_;
  internal::rw_lock_op op_;
};

// co_await rw.lock_shared() (void) / rw.scoped_lock_shared()
// (shared_lock<rwmutex>).
template <bool Scoped>
class [[nodiscard]] rwmutex::lock_shared_awaiter {
 public:
  explicit lock_shared_awaiter(rwmutex* rw) noexcept
      : rw_(rw), op_(&rw->core_) {}
  lock_shared_awaiter(const lock_shared_awaiter&) = delete;
  lock_shared_awaiter& operator=(const lock_shared_awaiter&) = delete;
  ~lock_shared_awaiter() { op_.cancel(); }

  bool await_ready() noexcept { return rw_->core_.try_lock_shared(); }
  template <class Promise>
  void await_suspend(std::coroutine_handle<Promise> h) {
    op_.begin();
    internal::await_on(&op_, h, internal::wait_reason::sync_rwmutex_rlock,
                       "co_await on rwmutex::lock_shared()");
  }
  auto await_resume() noexcept {
    if constexpr (Scoped) {
      return shared_lock<rwmutex>(*rw_, std::adopt_lock);
    }
  }

 private:
  rwmutex* rw_;
  internal::rw_read_op op_;
};

inline rwmutex::lock_awaiter<false> rwmutex::lock() noexcept {
  return lock_awaiter<false>(this);
}
inline rwmutex::lock_awaiter<true> rwmutex::scoped_lock() noexcept {
  return lock_awaiter<true>(this);
}
inline rwmutex::lock_shared_awaiter<false> rwmutex::lock_shared() noexcept {
  return lock_shared_awaiter<false>(this);
}
inline rwmutex::lock_shared_awaiter<true>
rwmutex::scoped_lock_shared() noexcept {
  return lock_shared_awaiter<true>(this);
}

}  // namespace goro

#endif  // GORO_SYNC_RWMUTEX_H_
