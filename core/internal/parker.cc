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

bool parker::park_for(std::chrono::nanoseconds timeout) noexcept {
  if (state_.exchange(kEmpty, std::memory_order_acquire) == kNotified) {
    return true;
  }
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  const auto deadline = std::chrono::seconds(now.tv_sec) +
                        std::chrono::nanoseconds(now.tv_nsec) + timeout;
  for (;;) {
    std::uint32_t expected = kEmpty;
    if (state_.compare_exchange_strong(expected, kSleeping,
                                       std::memory_order_acquire)) {
      clock_gettime(CLOCK_MONOTONIC, &now);
      auto left = deadline - (std::chrono::seconds(now.tv_sec) +
                              std::chrono::nanoseconds(now.tv_nsec));
      if (left.count() > 0) {
        struct timespec rel;
        rel.tv_sec = static_cast<time_t>(left.count() / 1000000000);
        rel.tv_nsec = static_cast<long>(left.count() % 1000000000);
        futex_wait(&state_, kSleeping, &rel);
      }
    }
    expected = kNotified;
    if (state_.compare_exchange_strong(expected, kEmpty,
                                       std::memory_order_acquire)) {
      return true;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (std::chrono::seconds(now.tv_sec) +
            std::chrono::nanoseconds(now.tv_nsec) >=
        deadline) {
      expected = kSleeping;
      if (state_.compare_exchange_strong(expected, kEmpty,
                                         std::memory_order_relaxed)) {
        return false;
      }
      // An unpark raced with the timeout: take its token.
      expected = kNotified;
      state_.compare_exchange_strong(expected, kEmpty,
                                     std::memory_order_acquire);
      return true;
    }
  }
}

void parker::unpark() noexcept {
  // RELEASE: pairs with the ACQUIRE exchanges in park()/park_for().
  if (state_.exchange(kNotified, std::memory_order_release) == kSleeping) {
    futex_wake_one(&state_);
  }
}

}  // namespace goro::internal
