// asymmetric_fence: a StoreLoad barrier whose cost the rare side pays.
//
// A Dekker handshake (each side stores, then loads what the other side
// stores) needs a full barrier between the store and the load on both
// sides. Handshake (a) (idle.h) has a hot side, every co_spawn pushing a G
// on its P's fork deque, and a rare side, an M that gives up its P to
// sleep. So the hot side uses light() (a compiler barrier) and the rare
// side heavy(): membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), which returns
// only after every thread of the process that is running has executed a
// full memory barrier (the kernel interrupts their CPUs). The argument,
// with the producer's store S and load L (light() between them) and the
// consumer's store C and load R (heavy() between them):
//  - if the barrier that heavy() forced on the producer's CPU came after S
//    in the producer's program order, S is visible before heavy() returns,
//    so R sees it;
//  - else it came before S, hence before L; and it came after C (the
//    syscall's entry orders C before the interrupts are sent), so L sees
//    C.
// Either way one side sees the other's store: no wake-up is lost. (A
// producer thread that is not running has no store in flight: the kernel's
// context switch is itself a full barrier.) The C++ memory model does not
// describe membarrier; this is the kernel's documented contract (man 2
// membarrier), as used by userspace RCU and folly's asymmetric fences.
//
// Fallback. Where membarrier is unavailable (kernels before 4.14, seccomp
// filters that refuse it), under ThreadSanitizer (which does not model it),
// or with GORODEBUG=membarrier=0, light() is a seq_cst fence and heavy()
// one too: the symmetric handshake, as in C++'s model. The mode is chosen
// once per process, before the first runtime starts its Ms, and never
// changes.
#ifndef GORO_RUNTIME_INTERNAL_ASYMMETRIC_FENCE_H_
#define GORO_RUNTIME_INTERNAL_ASYMMETRIC_FENCE_H_

#include <atomic>

namespace goro::internal {

class asymmetric_fence {
 public:
  // Chooses the mode; idempotent and thread-safe (each scheduler calls it
  // before it starts any M).
  static void init() noexcept;

  // Whether heavy() is membarrier (false: both sides fence).
  static bool asymmetric() noexcept {
    return asymmetric_.load(std::memory_order_relaxed);
  }

  // The hot side, between its store and its load.
  static void light() noexcept {
    if (asymmetric()) {
      std::atomic_signal_fence(std::memory_order_seq_cst);  // compiler only
    } else {
      std::atomic_thread_fence(std::memory_order_seq_cst);
    }
  }

  // The rare side, between its store and its load. A few microseconds
  // when asymmetric.
  static void heavy() noexcept;

 private:
  static std::atomic<bool> asymmetric_;
};

}  // namespace goro::internal

#endif  // GORO_RUNTIME_INTERNAL_ASYMMETRIC_FENCE_H_
