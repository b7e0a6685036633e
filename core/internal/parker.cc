#include "goro/core/internal/parker.h"

#include <time.h>

#include "goro/core/internal/futex.h"

namespace goro::internal {

// State machine: kEmpty --unpark--> kNotified --park--> kEmpty.
// A parker about to sleep moves kEmpty -> kSleeping; unpark() moving
// kSleeping -> kNotified owes a futex wake. Only unpark() writes kNotified
// and only park() leaves it, so one token is never consumed twice.

void parker::park() noexcept {
  // ACQUIRE: pairs with unpark()'s RELEASE exchange.
  if (state_.exchange(kEmpty, std::memory_order_acquire) == kNotified) return;
  for (;;) {
    std::uint32_t expected = kEmpty;
    if (state_.compare_exchange_strong(expected, kSleeping,
                                       std::memory_order_acquire)) {
      futex_wait(&state_, kSleeping, nullptr);
    }
    expected = kNotified;
    if (state_.compare_exchange_strong(expected, kEmpty,
                                       std::memory_order_acquire)) {
      return;
    }
    // Spurious futex return while still kSleeping: sleep again.
    expected = kSleeping;
    state_.compare_exchange_strong(expected, kEmpty, std::memory_order_relaxed);
  }
}

void parker::unpark() noexcept {
  // RELEASE: pairs with the ACQUIRE exchanges in park().
  if (state_.exchange(kNotified, std::memory_order_release) == kSleeping) {
    futex_wake_one(&state_);
  }
}

}  // namespace goro::internal
