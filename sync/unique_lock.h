// goro::unique_lock<L>: owns the exclusive lock of a goro::mutex or
// goro::rwmutex until it is destroyed, moved from, or unlock()ed.
//
//   {
//     auto guard = co_await m.scoped_lock();
//     ... // m is held
//   }     // m.unlock()
//
// Like std::unique_lock, but obtained from scoped_lock() (the lock is taken
// by co_await, which a constructor cannot do), or by adopting a lock already
// held: goro::unique_lock<goro::mutex> g(m, std::adopt_lock). Movable, not
// copyable; moving into a guard that owns a lock unlocks that one first.
//
//   unlock()     unlocks now; throws std::logic_error if it owns nothing
//   release()    gives up ownership without unlocking
//   owns_lock()  (and operator bool) whether it owns a lock
//   mutex()      the mutex, or null
#ifndef GORO_SYNC_UNIQUE_LOCK_H_
#define GORO_SYNC_UNIQUE_LOCK_H_

#include "goro/sync/internal/lock_owner.h"

namespace goro {

template <class Lockable>
using unique_lock = internal::lock_owner<Lockable, internal::exclusive_side>;

}  // namespace goro

#endif  // GORO_SYNC_UNIQUE_LOCK_H_
