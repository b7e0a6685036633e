// clock: the runtime's time base. Timers, sleeps and the mutex's starvation
// check all read CLOCK_MONOTONIC in nanoseconds (what std::chrono's
// steady_clock reads on Linux, so steady_clock time points convert by
// their count), through the vDSO: no system call.
#ifndef GORO_CORE_INTERNAL_CLOCK_H_
#define GORO_CORE_INTERNAL_CLOCK_H_

#include <time.h>

#include <cstdint>
#include <limits>

namespace goro::internal {

inline std::int64_t nanotime() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// CLOCK_MONOTONIC_COARSE in nanoseconds: the same time base, read from the
// kernel's last tick (a few milliseconds' resolution) for a fraction of
// nanotime's cost. For bookkeeping that prints durations (how long a G has
// been parked), never for deadlines.
inline std::int64_t coarse_nanotime() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// "Never" as a time: no timer, no deadline.
inline constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

// now + d, saturating at kNever (Go's when(): huge durations never wrap).
inline std::int64_t deadline_after(std::int64_t now, std::int64_t d) noexcept {
  if (d <= 0) return now;
  return d > kNever - now ? kNever : now + d;
}

}  // namespace goro::internal

#endif  // GORO_CORE_INTERNAL_CLOCK_H_
