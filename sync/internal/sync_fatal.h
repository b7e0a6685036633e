// sync_fatal: how goro reports the misuses that Go treats as fatal errors
// (not recoverable panics): unlocking an unlocked mutex or rwmutex, and
// states that only memory corruption or such a misuse can produce. The
// lock can no longer be trusted by anyone, so the process ends: the message
// "goro: fatal error: <msg>" goes to stderr, then abort(). Go prints
// "fatal error: <msg>" and exits.
#ifndef GORO_SYNC_INTERNAL_SYNC_FATAL_H_
#define GORO_SYNC_INTERNAL_SYNC_FATAL_H_

#include "goro/core/internal/fatal.h"

namespace goro::internal {

[[noreturn]] inline void sync_fatal(const char* msg) noexcept { fatal(msg); }

}  // namespace goro::internal

#endif  // GORO_SYNC_INTERNAL_SYNC_FATAL_H_
