// See spin_lock.h.
#include "goro/core/internal/spin_lock.h"

#include <sched.h>

#include "goro/core/internal/futex.h"

namespace goro::internal {

namespace {
// About 2 µs of PAUSEs: several times the longest critical section without
// preemption (//benchmarks:chan_lock_hold reports them), short enough that
// a waiter whose holder was preempted gives its CPU back quickly.
constexpr int kLockSpins = 100;
}  // namespace

void spin_lock::lock_slow() noexcept {
  for (;;) {
    for (int i = 0; i < kLockSpins; ++i) {
      // Test before test-and-set: spin on a shared copy of the line.
      if (!locked_.load(std::memory_order_relaxed) &&
          !locked_.exchange(true, std::memory_order_acquire)) {
        return;
      }
      cpu_relax();
    }
    // The holder is probably preempted: let it run.
    sched_yield();
  }
}

}  // namespace goro::internal
