// parker: how an idle M sleeps, and how another thread wakes it.
//
// A one-token semaphore over a futex word (Go's `note`): unpark() deposits
// the token, park() consumes it, blocking until it is there. An unpark that
// comes before the park is not lost: the park returns at once. That is what
// makes the scheduler's stop/start protocol race-free: the waker decides to
// wake a particular M (under the idle lock, runtime/internal/idle.h) and may
// call unpark() before that M has actually gone to sleep.
//
// This is where an idle M blocks, except the one that sleeps until the
// earliest timer: that one waits in the poller (poller.h, Go's
// netpoll(delay)) instead, so that the other idle Ms need no deadline.
//
// Ordering: unpark's exchange is RELEASE, park's exchange is ACQUIRE; they
// pair, so whatever the waker wrote before unpark() (e.g. machine::next_p) is
// visible to the M after park() returns. The futex calls only sleep and wake;
// they carry no ordering the code relies on.
#ifndef GORO_CORE_INTERNAL_PARKER_H_
#define GORO_CORE_INTERNAL_PARKER_H_

#include <atomic>
#include <cstdint>

namespace goro::internal {

class parker {
 public:
  // Blocks until a token is available, then consumes it.
  void park() noexcept;
  // Makes a token available (at most one is kept) and wakes the parked
  // thread, if any.
  void unpark() noexcept;

 private:
  static constexpr std::uint32_t kEmpty = 0;
  static constexpr std::uint32_t kNotified = 1;
  static constexpr std::uint32_t kSleeping = 2;
  std::atomic<std::uint32_t> state_{kEmpty};
};

}  // namespace goro::internal

#endif  // GORO_CORE_INTERNAL_PARKER_H_
