// The two low-level waiting primitives goro builds on: the Linux futex
// (sleep until a 32-bit word changes; wake sleepers on it), used only by
// parker (how an M or a plain thread sleeps), and the CPU's spin-wait hint,
// used by the spinning Ms and by spin_lock's contended path. Nothing else
// talks to the kernel to wait (spin_lock yields, it never sleeps).
//
// The futex calls carry no memory ordering: callers order their data with
// atomics on the word itself and use the futex only to sleep and wake.
//
// Waking a word whose owner may already have returned (a waiter that saw
// the new value without sleeping, and whose stack frame held the word) is
// harmless: FUTEX_WAKE only looks the address up; at worst it wakes an
// unrelated sleeper on a reused address, and every futex sleeper in goro
// re-checks its condition in a loop.
#ifndef GORO_CORE_INTERNAL_FUTEX_H_
#define GORO_CORE_INTERNAL_FUTEX_H_

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace goro::internal {

// Sleeps while *word == expected (or until woken, a signal, or the relative
// timeout). Spurious returns are possible.
inline void futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t expected,
                       const struct timespec* timeout = nullptr) noexcept {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAIT_PRIVATE,
          expected, timeout, nullptr, 0);
}

inline void futex_wake_one(std::atomic<std::uint32_t>* word) noexcept {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAKE_PRIVATE,
          1, nullptr, nullptr, 0);
}

// One spin-wait hint (x86 PAUSE, AArch64 YIELD).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#else
  std::atomic_signal_fence(std::memory_order_seq_cst);
#endif
}

}  // namespace goro::internal

#endif  // GORO_CORE_INTERNAL_FUTEX_H_
