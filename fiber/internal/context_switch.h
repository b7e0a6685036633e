// The bare context switch under goro's fibers: save this stack's
// callee-saved registers, jump to another stack (context_switch.S).
//
// A "context" is nothing but a saved stack pointer: the registers live on
// the stack it points into. switch_context(&mine, theirs) suspends the
// caller (its context is written to `mine`) and resumes `theirs`; it
// returns when somebody switches back to `mine`. make_context prepares a
// fresh stack so that the first switch to it calls fn(arg) there; fn must
// never return (it switches away for the last time instead).
//
// This layer knows nothing of sanitizers, exceptions or thread-locals:
// fiber.h wraps every switch with what those need.
#ifndef GORO_FIBER_INTERNAL_CONTEXT_SWITCH_H_
#define GORO_FIBER_INTERNAL_CONTEXT_SWITCH_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

extern "C" {
void goro_context_switch(void** save_sp, void* next_sp);
void goro_context_start();
}

namespace goro::internal {

using context_fn = void (*)(void*);

inline void switch_context(void** save, void* next) noexcept {
  goro_context_switch(save, next);
}

// Lays out the first frame at the top of [.., top) and returns the context
// to switch to. top must be 16-byte aligned. The new context starts with
// the calling thread's floating-point control state (rounding mode,
// flush-to-zero, exception masks), as a new thread starts with its
// creator's.
inline void* make_context(char* top, context_fn fn, void* arg) noexcept {
#if defined(__x86_64__)
  // Layout: see context_switch.S.
  std::uint32_t mxcsr = 0;
  std::uint16_t x87cw = 0;
  __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
  __asm__ volatile("fnstcw %0" : "=m"(x87cw));
  std::uint64_t frame[8] = {};
  frame[0] = mxcsr | (std::uint64_t{x87cw} << 32);
  frame[4] = reinterpret_cast<std::uint64_t>(arg);  // r12
  frame[5] = reinterpret_cast<std::uint64_t>(fn);   // rbx
  frame[6] = 0;                                     // rbp: ends FP chains
  frame[7] = reinterpret_cast<std::uint64_t>(&goro_context_start);
#elif defined(__aarch64__)
  std::uint64_t frame[22] = {};
  frame[0] = reinterpret_cast<std::uint64_t>(fn);                    // x19
  frame[1] = reinterpret_cast<std::uint64_t>(arg);                   // x20
  frame[10] = 0;                                                     // x29
  frame[11] = reinterpret_cast<std::uint64_t>(&goro_context_start);  // x30
  std::uint64_t fpcr = 0;
  __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
  frame[20] = fpcr;
#endif
  char* sp = top - sizeof(frame);
  std::memcpy(sp, frame, sizeof(frame));
  return sp;
}

}  // namespace goro::internal

#endif  // GORO_FIBER_INTERNAL_CONTEXT_SWITCH_H_
