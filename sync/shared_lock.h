// goro::shared_lock<L>: owns a shared (reader) lock of a goro::rwmutex
// until it is destroyed, moved from, or unlock()ed, which calls
// unlock_shared().
//
//   {
//     auto guard = co_await rw.scoped_lock_shared();
//     ... // rw is read-locked
//   }     // rw.unlock_shared()
//
// The same interface and rules as goro::unique_lock (goro/sync/unique_lock.h).
#ifndef GORO_SYNC_SHARED_LOCK_H_
#define GORO_SYNC_SHARED_LOCK_H_

#include "goro/sync/internal/lock_owner.h"

namespace goro {

template <class Lockable>
using shared_lock = internal::lock_owner<Lockable, internal::shared_side>;

}  // namespace goro

#endif  // GORO_SYNC_SHARED_LOCK_H_
