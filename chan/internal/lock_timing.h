// Channel-lock hold times, for //benchmarks:chan_lock_hold.
//
// Built only into //chan:chan_lock_timing, which compiles the channel code
// with GORO_CHAN_LOCK_TIMING: chan_lock then stamps the time stamp counter
// when it is acquired and adds the elapsed time to a per-thread histogram
// when it is released. Locks are released in the reverse order of their
// acquisition on the same thread (one operation, or a select's locks), so a
// per-thread stack of stamps pairs them; a lock taken in await_ready and
// released by the park commit is the same thread too (the M).
#ifndef GORO_CHAN_INTERNAL_LOCK_TIMING_H_
#define GORO_CHAN_INTERNAL_LOCK_TIMING_H_

#include <cstdint>

namespace goro::internal {

struct lock_hold_stats {
  std::uint64_t count = 0;
  double p50_ns = 0;
  double p99_ns = 0;
  double p999_ns = 0;
  double max_ns = 0;
  double mean_ns = 0;
};

// Hold times recorded since the last call, from threads that have exited
// and from the calling thread. (Ms exit when their runtime is destroyed, so
// destroy the runtime first.)
lock_hold_stats take_lock_hold_stats();

}  // namespace goro::internal

#endif  // GORO_CHAN_INTERNAL_LOCK_TIMING_H_
