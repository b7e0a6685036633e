// fatal: how goro ends the process on errors nothing can recover from,
// Go's "fatal error" (runtime.throw): misuse that leaves the runtime or a
// lock untrustworthy (destroying a runtime from its own G, unlocking an
// unlocked mutex) and failures of the system calls the runtime cannot do
// without. Prints "goro: fatal error: <msg>" to stderr, then abort().
#ifndef GORO_CORE_INTERNAL_FATAL_H_
#define GORO_CORE_INTERNAL_FATAL_H_

namespace goro::internal {

[[noreturn]] void fatal(const char* msg) noexcept;

// The same, with ": <strerror(errno)>" after `what` (a failed system call).
[[noreturn]] void fatal_errno(const char* what) noexcept;

}  // namespace goro::internal

#endif  // GORO_CORE_INTERNAL_FATAL_H_
